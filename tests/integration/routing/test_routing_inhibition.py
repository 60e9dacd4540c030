"""Inhibition on real Kafka and PostgreSQL: once a case is open at the kabupaten (an
escalated alert, or a rule that targets both levels), a new kecamatan alert for the same
case is recorded, not sent, never escalates, and ``timpora report`` says which alert and
rule kept it quiet; a case opened at both levels at once escalates from the kabupaten
only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from routing_service.models import AlertRow, EscalationTimer
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.schemas import Category
from shared.settings import Settings
from tests.integration.routing.test_report_fate import timpora
from tests.integration.routing.test_routing_service import (
    publish,
    report,
    routing_settings,
    running,
)
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
POLICY = """
version: 1
fallback_jurisdiction: "63.10"
rules:
  - name: narcotics
    match: {category: [narcotics]}
    targets: [kecamatan, kabupaten]
    escalate_after: 2s
  - name: default
    targets: [kecamatan]
    escalate_after: 2s
inhibit:
  - {name: case-above, source: [kabupaten, provinsi], target: [kecamatan]}
"""
SATUI, TANAH_BUMBU, SOUTH_KALIMANTAN = "timpora-63.10.04", "timpora-63.10", "timpora-63"


async def statuses(database_url: str) -> dict[str, tuple[str, str]]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.scalars(select(AlertRow))).all()
    await engine.dispose()
    return {r.alert_id: (r.team_id, r.status) for r in rows}


async def test_an_escalated_case_keeps_the_kecamatan_from_being_paged_again(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    first = report(category=Category.overstay)
    again = report(category=Category.overstay)  # the same person, place and day
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, first)
        sent = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, timeout=30))
        assert [(a["team_id"], a["reason"]) for a in sent] == [
            (SATUI, "new"),
            (TANAH_BUMBU, "escalation"),
            (SOUTH_KALIMANTAN, "escalation"),
        ]
        await publish(kafka_settings, again)
        await asyncio.sleep(3.0)  # past the escalation deadline of an alert that was sent
        after = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, settle=1.0))
    assert len(after) == 3, [(a["team_id"], a["reason"]) for a in after]  # nobody paged
    escalated = sent[0]["alert_id"]
    rows = await statuses(db)
    [quiet] = [i for i, (_, status) in rows.items() if status == "inhibited"]
    assert rows[quiet][0] == SATUI
    assert rows[escalated] == (SOUTH_KALIMANTAN, "open")

    story = await asyncio.to_thread(timpora, kafka_settings, db, "report", again.report_id)
    assert "inhibited" in story
    assert escalated in story
    assert "case-above" in story


async def test_a_case_opened_at_both_levels_escalates_from_the_kabupaten_only(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, report(category=Category.narcotics))
        opened = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 2))
        assert {a["team_id"] for a in opened} == {SATUI, TANAH_BUMBU}  # both, as the rule asks
        await asyncio.sleep(3.0)  # both timers are due
        sent = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, settle=1.5))
    escalations = [a for a in sent if a["reason"] == "escalation"]  # records of 3 partitions
    assert [a["team_id"] for a in escalations] == [SOUTH_KALIMANTAN]
    kabupaten = next(a["alert_id"] for a in opened if a["team_id"] == TANAH_BUMBU)
    assert escalations[0]["alert_id"] == kabupaten  # the kecamatan alert's timer was cancelled
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        timers = (await session.scalars(select(EscalationTimer))).all()
    await engine.dispose()
    kecamatan = next(a["alert_id"] for a in opened if a["team_id"] == SATUI)
    assert [t.state for t in timers if t.alert_id == kecamatan] == ["cancelled"]
