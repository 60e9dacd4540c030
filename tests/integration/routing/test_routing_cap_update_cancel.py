"""CAP Update and Cancel on real Kafka and PostgreSQL, from the CAP samples as ingest
parses them: an alert with two areas reaches the team of each kecamatan; the Update is
version 2 of the same alert; the Cancel is its last version (reason cancelled), closes
both alerts and cancels their escalation timers (nothing escalates afterwards); a Cancel
of nothing routing knows is recorded in its fate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from ingest_service.formats import SourceContext, parse
from routing_service.models import AlertRow, EscalationTimer
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.schemas import Report
from shared.settings import Settings
from tests.integration.routing.test_report_fate import timpora
from tests.integration.routing.test_routing_service import publish, routing_settings, running
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
POLICY = """
version: 1
fallback_jurisdiction: "63.10"
rules:
  - name: illegal-work
    match: {category: [illegal_work]}
    targets: [kecamatan]
    escalate_after: 3s
  - name: default
    targets: [kabupaten]
"""
SATUI, ANGSANA = "timpora-63.10.04", "timpora-63.10.09"


def cap(sample: str) -> list[Report]:
    ctx = SourceContext(source="polres-tanbu", home_area=("63.10",), received_at=datetime.now(UTC))
    parsed = parse("cap", (SAMPLES / sample).read_bytes(), ctx)
    assert all(p.report for p in parsed), [p.reasons for p in parsed]
    return [p.report for p in parsed if p.report is not None]


async def test_update_then_cancel_of_a_two_area_alert(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    [cancel] = cap("cap_satui_tambang_cancel.xml")
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, *cap("cap_satui_tambang.xml"))  # Satui and Angsana
        opened = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 2))
        await publish(kafka_settings, *cap("cap_satui_tambang_update.xml"))  # Satui only
        await consume(kafka_settings, topics.ALERTS_ROUTED, 3)
        await publish(kafka_settings, cancel)
        await consume(kafka_settings, topics.ALERTS_ROUTED, 5)
        await publish(kafka_settings, cancel)  # a redelivery: the same versions again
        await asyncio.sleep(4.0)  # past the escalation deadline
        alerts = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 7, settle=1.0))

    assert {a["team_id"] for a in opened} == {SATUI, ANGSANA}  # one team per area
    ids = {a["team_id"]: a["alert_id"] for a in opened}
    story = {
        team: [(a["version"], a["reason"]) for a in alerts if a["alert_id"] == ids[team]]
        for team in ids
    }
    assert story[SATUI] == [(1, "new"), (2, "update"), (3, "cancelled"), (3, "cancelled")]
    assert story[ANGSANA] == [(1, "new"), (2, "cancelled"), (2, "cancelled")]
    assert all(a["team_id"] in ids for a in alerts)  # nothing escalated, nothing new
    [cancelled] = [a for a in alerts if a["reason"] == "cancelled" and a["team_id"] == SATUI][:1]
    assert cancelled["report_id"] == cancel.report_id
    assert cancelled["report"]["text"].startswith("Salah lapor")
    assert cancelled["category"] == "illegal_work"  # what the team was told

    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        for alert_id in ids.values():
            row = await session.get(AlertRow, alert_id)
            assert row is not None
            assert row.status == "closed"
            assert row.close_note.startswith("cancelled by its source polres-tanbu")
            timers = await session.scalars(
                select(EscalationTimer.state).where(EscalationTimer.alert_id == alert_id)
            )
            assert timers.all() == ["cancelled"]
    await engine.dispose()

    text = await asyncio.to_thread(timpora, kafka_settings, db, "report", cancel.report_id)
    assert "cancelled by its source" in text
    assert ids[SATUI] in text
    assert ids[ANGSANA] in text


async def test_a_cancel_of_nothing_known_is_recorded_and_an_update_routes_as_new(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    [cancel] = cap("cap_satui_tambang_cancel.xml")
    [update] = cap("cap_satui_tambang_update.xml")
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, cancel, update)
        [alert] = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 1, settle=1.0))
    assert (alert["team_id"], alert["reason"], alert["version"]) == (SATUI, "new", 1)
    text = await asyncio.to_thread(timpora, kafka_settings, db, "report", cancel.report_id)
    assert "references nothing routing knows" in text
    assert "POLRES-TANBU-2026-0112-007" in text
