"""``timpora purge``: a dry run says what would be erased and changes nothing; a run
erases it and says so; progress goes to standard error, the summary to standard out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from shared.schemas import utcnow
from tests.integration.notify.test_notify_service import alert
from tests.rows import database_text, hits, seed_history

from .conftest import invoke, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_purge_dry_run_then_run(cli: CliRunner, database_url: str) -> None:
    old = alert()
    sync(seed_history(database_url, old, status="closed", changed=utcnow() - timedelta(days=181),
                      note="Zhang Wei Ming sudah pulang"))  # fmt: skip
    before = sync(database_text(database_url))

    dry = json.loads(invoke(cli, "purge", "--dry-run", "--json").stdout)
    assert dry["dry_run"] is True
    assert (dry["alerts"], dry["versions"], dry["reports"], dry["acks"], dry["notes"]) == (
        1, 1, 1, 1, 1,
    )  # fmt: skip
    assert sync(database_text(database_url)) == before

    result = invoke(cli, "purge")
    assert result.stdout.startswith("erased the personal data of 1 alerts")
    assert "1 alerts looked at, 1 due" in result.stderr
    assert hits(sync(database_text(database_url)), "E12345678", "Zhang Wei Ming") == {}
    assert "would erase the personal data of 0 alerts" in invoke(cli, "purge", "--dry-run").stdout


def test_purge_help_names_the_settings(cli: CliRunner) -> None:
    text = invoke(cli, "purge", "--help").stdout
    for name in ("--dry-run", "TIMPORA_RETENTION_CLOSED_DAYS", "TIMPORA_AUDIT_RETENTION_DAYS"):
        assert name in text
