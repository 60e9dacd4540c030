"""``timpora deliveries``: a report's or an alert's delivery rows from the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from shared.db import make_engine, make_sessionmaker, transaction
from shared.schemas import ack_code_for, new_id

from .conftest import invoke, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def insert_deliveries(
    database_url: str, rows: list[dict[str, Any]], severity: str = "medium"
) -> None:
    """Delivery rows and the alert versions they point at."""
    from notify_service.models import AlertVersionRow, DeliveryRow

    engine = make_engine(database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            session.add_all(
                AlertVersionRow(
                    alert_id=alert_id, version=version, reason="new", level="kecamatan",
                    severity=severity, jurisdiction_code="63.10.04", payload={},
                )
                for alert_id, version in {(r["alert_id"], r["alert_version"]) for r in rows}
            )  # fmt: skip
            session.add_all(DeliveryRow(**row) for row in rows)
    finally:
        await engine.dispose()


def delivery(report_id: str, alert_id: str, **values: object) -> dict[str, Any]:
    created = values.pop("created_at", datetime(2026, 1, 10, 6, 0, tzinfo=UTC))
    return {
        "delivery_id": new_id(),
        "alert_id": alert_id,
        "alert_version": 1,
        "report_id": report_id,
        "team_id": "timpora-63.10.04",
        "member_id": "m0010",
        "channel": "sms",
        "ack_code": ack_code_for(alert_id),
        "status": "sent",
        "attempts": 1,
        "provider_message_id": "kannel-42",
        "created_at": created,
        "updated_at": created,
        **values,
    }


def test_deliveries_for_a_report(cli: CliRunner, database_url: str) -> None:
    report_id, alert_id, other = new_id(), new_id(), new_id()
    t0 = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)
    sync(
        insert_deliveries(
            database_url,
            [
                delivery(report_id, alert_id, created_at=t0),
                delivery(
                    report_id,
                    alert_id,
                    member_id="m0011",
                    channel="telegram",
                    status="gave_up",
                    attempts=4,
                    provider_message_id=None,
                    error="HTTP 403: bot was blocked by the user",
                    created_at=t0 + timedelta(seconds=1),
                ),
                delivery(
                    report_id,
                    alert_id,
                    alert_version=2,
                    member_id="m0012",
                    channel="none",
                    status="skipped",
                    attempts=0,
                    error="off duty",
                    created_at=t0 + timedelta(seconds=2),
                ),
                delivery(other, new_id(), member_id="m0099"),
            ],
        )
    )
    rows = json.loads(invoke(cli, "deliveries", "--report", report_id, "--json").output)
    assert [(r["member"], r["channel"], r["status"], r["attempts"]) for r in rows] == [
        ("m0010", "sms", "sent", 1),
        ("m0011", "telegram", "gave_up", 4),
        ("m0012", "none", "skipped", 0),
    ]
    assert rows[0]["alert"] == f"{alert_id} v1"
    assert rows[2]["alert"] == f"{alert_id} v2"
    assert rows[0]["provider_id"] == "kannel-42"
    assert rows[1]["error"] == "HTTP 403: bot was blocked by the user"
    assert rows[0]["team"] == "timpora-63.10.04"
    assert rows[0]["updated"] == "2026-01-10T06:00:00+00:00"

    table = invoke(cli, "deliveries", "--report", report_id)
    for member in ("m0010", "m0011", "m0012"):
        assert member in table.output
    assert "m0099" not in table.output

    by_alert = json.loads(invoke(cli, "deliveries", "--alert", alert_id, "--json").output)
    assert len(by_alert) == 3
    assert json.loads(invoke(cli, "deliveries", "--report", new_id(), "--json").output) == []


def test_deliveries_needs_a_report_or_an_alert(cli: CliRunner) -> None:
    result = invoke(cli, "deliveries", ok=False)
    assert result.exit_code == 2
    assert "give --report, --alert or --uncertain" in result.output


def test_deliveries_uncertain_lists_what_a_stopped_process_may_not_have_sent(
    cli: CliRunner, database_url: str
) -> None:
    report_id, alert_id = new_id(), new_id()
    sync(
        insert_deliveries(
            database_url,
            [
                delivery(report_id, alert_id, status="uncertain"),
                delivery(report_id, alert_id, member_id="m0011", status="sent"),
            ],
        )
    )
    rows = json.loads(invoke(cli, "deliveries", "--uncertain", "--json").output)
    mine = [r for r in rows if r["alert"] == f"{alert_id} v1"]
    assert [(r["member"], r["channel"], r["severity"]) for r in mine] == [
        ("m0010", "sms", "medium")
    ]
    assert set(mine[0]) == {"alert", "severity", "team", "member", "channel", "ack_code", "claimed"}
