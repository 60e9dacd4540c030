"""``timpora deliveries`` shows each delivery's state (the provider's report when there is
one: delivered, read, failed, unconfirmed) and lists the newest deliveries in a state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from shared.schemas import new_id
from tests.integration.cli.test_deliveries import delivery, insert_deliveries

from .conftest import invoke, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
T0 = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)


def test_states_and_the_state_filter(cli: CliRunner, database_url: str) -> None:
    report_id, alert_id = new_id(), new_id()
    reported = T0 + timedelta(seconds=9)
    rows = [
        delivery(report_id, alert_id, member_id="m1", receipt="delivered", receipt_at=reported),
        delivery(report_id, alert_id, member_id="m2", channel="whatsapp", receipt="read"),
        delivery(
            report_id,
            alert_id,
            member_id="m3",
            status="gave_up",
            receipt="failed",
            error="kannel DLR 16: rejected by the SMSC",
        ),
        delivery(report_id, alert_id, member_id="m4", receipt="unconfirmed"),
        delivery(report_id, alert_id, member_id="m5", receipt="awaiting"),
        delivery(report_id, alert_id, member_id="m6", channel="email"),
    ]
    for i, row in enumerate(rows):
        row["created_at"] = row["updated_at"] = T0 + timedelta(seconds=i)
    sync(insert_deliveries(database_url, rows))

    out = json.loads(invoke(cli, "deliveries", "--alert", alert_id, "--json").output)
    assert [(r["member"], r["status"], r["state"]) for r in out] == [
        ("m1", "sent", "delivered"),
        ("m2", "sent", "read"),
        ("m3", "gave_up", "failed"),
        ("m4", "sent", "unconfirmed"),
        ("m5", "sent", "sent"),
        ("m6", "sent", "sent"),
    ]
    assert out[0]["reported"] == "2026-01-10T06:00:09+00:00"
    assert out[4]["reported"] == ""

    failed = json.loads(invoke(cli, "deliveries", "--state", "failed", "--json").output)
    assert [(r["member"], r["error"]) for r in failed if r["alert"] == f"{alert_id} v1"] == [
        ("m3", "kannel DLR 16: rejected by the SMSC")
    ]
    sent = json.loads(
        invoke(cli, "deliveries", "--alert", alert_id, "--state", "sent", "--json").output
    )
    assert [r["member"] for r in sent] == ["m5", "m6"]
    newest_sent = json.loads(invoke(cli, "deliveries", "--state", "sent", "--json").output)
    assert [r["member"] for r in newest_sent][:2] == ["m6", "m5"]  # newest first
    table = invoke(cli, "deliveries", "--state", "unconfirmed").output
    assert "m4" in table
    assert "m1" not in table


def test_an_unknown_state_is_refused(cli: CliRunner) -> None:
    result = invoke(cli, "deliveries", "--state", "lost", ok=False)
    assert result.exit_code == 2
    assert "--state: one of sent, delivered" in result.output
