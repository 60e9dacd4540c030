"""Nothing vanishes and a closed case stays closed, on real Kafka and PostgreSQL: a
report no team serves goes to the office's fallback team (the alert says why); without
one it is a dead letter with its reason; ``timpora report REPORT_ID`` tells which, for
every routed report. A closed alert never escalates; the next report opens a new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from console_service.cli import app
from routing_service.models import AlertRow, EscalationTimer
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.schemas import AlertAcknowledged, Category, Location, ReportRejected
from shared.settings import Settings
from tests.integration.routing.test_routing_service import (
    FAST_POLICY,
    publish,
    report,
    routing_settings,
    running,
)
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
BANDUNG = Location(kecamatan_code="32.73.01")  # Sukasari, Kota Bandung: no team there


def timpora(settings: Settings, database_url: str, *args: str) -> str:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "TIMPORA_TOPIC_PREFIX": settings.topic_prefix,
        "DATABASE_URL": database_url,
        "COLUMNS": "250",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


async def test_a_report_no_team_serves_reaches_the_office_fallback_team(
    kafka_settings: Settings, db: str
) -> None:
    # A source with no home area (inside one, Bandung would be held as outside it)
    lost = report(category=Category.overstay, location=BANDUNG, home_area=[])
    served = report()  # Satui: its kecamatan and kabupaten teams
    async with running(routing_settings(kafka_settings, db)):  # the shipped policy
        await publish(kafka_settings, lost, served)
        alerts = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, settle=1.0))
    [fallback] = [a for a in alerts if a["report_id"] == lost.report_id]
    assert fallback["team_id"] == "timpora-63.10"
    assert fallback["fallback"] == {
        "office": "Kantor Imigrasi Batulicin",
        "unserved_code": "32.73.01",
        "outside_home_area": None,
    }
    assert fallback["matched_rules"] == ["overstay"]
    assert all(a["fallback"] is None for a in alerts if a["report_id"] == served.report_id)

    story = await asyncio.to_thread(timpora, kafka_settings, db, "report", lost.report_id)
    assert "alert sent" in story
    assert "timpora-63.10 (fallback of Kantor Imigrasi Batulicin)" in story
    assert fallback["alert_id"] in story


async def test_without_an_office_fallback_the_report_is_a_dead_letter_with_its_reason(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY.replace('fallback_jurisdiction: "63.10"\n', ""))
    lost = report(location=BANDUNG, home_area=[])
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, lost)
        [record] = await consume(kafka_settings, topics.REPORTS_REJECTED, 1)
        # A redelivery of the same report re-emits the same dead letter, nothing else
        await publish(kafka_settings, lost)
        again = await consume(kafka_settings, topics.REPORTS_REJECTED, 2, settle=1.0)
    rejected = ReportRejected.model_validate_json(record.value)
    assert rejected.source == "routing"
    assert rejected.original_topic == topics.REPORTS_NORMALIZED
    assert rejected.headers["report_id"] == lost.report_id
    [reason] = rejected.reasons
    assert reason.code == "no_team"
    assert reason.message.startswith("no team serves 32.73.01 or any level above it")
    assert len(again) == 2
    assert await consume(kafka_settings, topics.ALERTS_ROUTED, 0, settle=0.5) == []

    story = await asyncio.to_thread(timpora, kafka_settings, db, "report", lost.report_id)
    assert "dead letter" in story
    assert "no team serves 32.73.01" in story


async def test_a_closed_alert_never_escalates_and_the_next_report_opens_a_new_one(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY)  # overstay escalates after 2 s
    first = report(category=Category.overstay)
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, first)
        [opened] = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 1))
        close = AlertAcknowledged(
            alert_id=opened["alert_id"], channel="sms", member_id="m0005",
            action="close", note="sudah dicek, izin tinggal sah",
        )  # fmt: skip
        await publish(kafka_settings, close, close)  # a repeat changes nothing
        await asyncio.sleep(3.0)  # past the escalation deadline
        # the same person at the same place the same day: a new case, a new alert
        await publish(kafka_settings, report(category=Category.overstay))
        alerts = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 2, settle=1.0))
    assert [(a["reason"], a["version"]) for a in alerts] == [("new", 1), ("new", 1)]
    assert alerts[0]["alert_id"] == opened["alert_id"] != alerts[1]["alert_id"]
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        row = await session.get(AlertRow, opened["alert_id"])
        assert row is not None
        assert (row.status, row.closed_by, row.close_note) == (
            "closed", "m0005", "sudah dicek, izin tinggal sah",
        )  # fmt: skip
        timers = await session.scalars(
            select(EscalationTimer.state).where(EscalationTimer.alert_id == opened["alert_id"])
        )
        assert timers.all() == ["cancelled"]
    await engine.dispose()
