"""``timpora silences add/list/expire``: silences in the database; a matcher and comment needed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from .conftest import invoke

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_silences_add_list_expire(cli: CliRunner) -> None:
    added = invoke(
        cli,
        "silences",
        "add",
        "--comment",
        "Operasi gabungan di Satui, jangan ganggu",
        "--jurisdiction",
        "63.10.04",
        "--category",
        "illegal_work",
        "--category",
        "overstay",
        "--hours",
        "2",
        "--created-by",
        "kasi-inteldakim",
    )
    assert added.output.startswith("silence ")
    silence_id = added.output.split()[1]

    rows = json.loads(invoke(cli, "silences", "list", "--json").output)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == silence_id
    assert row["active"] is True
    assert row["by"] == "kasi-inteldakim"
    assert row["comment"] == "Operasi gabungan di Satui, jangan ganggu"
    assert json.loads(row["matchers"]) == {
        "jurisdiction_prefix": "63.10.04",
        "category": ["illegal_work", "overstay"],
    }
    ends = datetime.fromisoformat(row["ends_at"])
    assert timedelta(minutes=118) < ends - datetime.now(UTC) <= timedelta(hours=2)
    assert silence_id in invoke(cli, "silences", "list").output

    expired = invoke(cli, "silences", "expire", silence_id)
    assert f"silence {silence_id} expired" in expired.output
    rows = json.loads(invoke(cli, "silences", "list", "--json").output)
    assert [(r["id"], r["active"]) for r in rows] == [(silence_id, False)]


def test_silence_without_matcher_or_comment_is_refused(cli: CliRunner) -> None:
    no_matcher = invoke(cli, "silences", "add", "--comment", "everything", ok=False)
    assert no_matcher.exit_code != 0
    message = no_matcher.output + str(no_matcher.exception or "")
    assert "matcher" in message

    no_comment = invoke(cli, "silences", "add", "--team", "timpora-63.10.04", ok=False)
    assert no_comment.exit_code != 0
    assert "--comment" in no_comment.output

    blank = invoke(cli, "silences", "add", "--comment", "  ", "--team", "t", ok=False)
    assert blank.exit_code != 0
    assert "comment" in blank.output + str(blank.exception or "")

    assert json.loads(invoke(cli, "silences", "list", "--json").output) == []
