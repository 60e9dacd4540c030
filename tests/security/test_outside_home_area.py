"""The attack (#17 item 7): a source's key serves Tanah Bumbu and Kotabaru, yet its
report names a kecamatan in Jakarta (Gambir, which has a team of its own); routing sent it
to the Jakarta team with full confidence. Now a report outside its source's home area is
held for the source office's fallback team to review (the alert says so; the Jakarta team
hears nothing), or, when the policy says ``outside_home_area: reject``, dead-lettered
with the reason. Routing runs on real Kafka and PostgreSQL with the shipped policy."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from routing_service.policy import parse_policy
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import load_directory, replace_directory
from shared.schemas import Level, Location, Member, Team
from shared.settings import Settings
from tests.integration.routing.test_routing_service import (
    ROOT,
    publish,
    report,
    routing_settings,
    running,
)
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SHIPPED_POLICY = ROOT / "routing_service" / "config" / "policy.yaml"
GAMBIR = Team(
    team_id="timpora-31.71.01",
    name="Timpora Kecamatan Gambir",
    level=Level.kecamatan,
    jurisdiction_code="31.71.01",
    members=[Member(member_id="gambir", name="Petugas Gambir", phone="+6281200000999")],
)


@pytest.fixture
async def with_jakarta(database_url: str) -> str:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        teams = load_directory(ROOT / "config" / "teams.yaml")
        await replace_directory(session, [*teams, GAMBIR])
    await engine.dispose()
    return database_url


def jakarta_report():  # type: ignore[no-untyped-def]
    return report(location=Location(kecamatan_code="31.71.01", kecamatan_name="Gambir"))


async def test_a_report_outside_the_home_area_is_held_for_the_office(
    kafka_settings: Settings, with_jakarta: str
) -> None:
    assert parse_policy(SHIPPED_POLICY.read_text()).outside_home_area == "hold"
    sent = jakarta_report()
    assert sent.home_area == ["63.10", "63.02"]
    assert sent.resolution is not None
    assert (sent.resolution.routing_code, sent.resolution.low_confidence) == ("31.71.01", False)
    async with running(routing_settings(kafka_settings, with_jakarta)):
        await publish(kafka_settings, sent)
        records = await consume(kafka_settings, topics.ALERTS_ROUTED, 1, settle=2.0)
    assert [r.key for r in records] == [b"timpora-63.10"]  # not timpora-31.71.01
    [alert] = values(records)
    assert alert["fallback"] == {
        "office": "Kantor Imigrasi Batulicin",
        "unserved_code": None,
        "outside_home_area": "31.71.01",
    }
    assert alert["report"]["location"]["kecamatan_code"] == "31.71.01"  # shown for review


async def test_the_policy_can_reject_them(
    kafka_settings: Settings, with_jakarta: str, tmp_path: Path
) -> None:
    strict = tmp_path / "policy.yaml"
    strict.write_text(SHIPPED_POLICY.read_text() + "\noutside_home_area: reject\n")
    sent = jakarta_report()
    async with running(routing_settings(kafka_settings, with_jakarta, strict)):
        await publish(kafka_settings, sent)
        dead = await consume(kafka_settings, topics.REPORTS_REJECTED, 1, settle=2.0)
        routed = await consume(kafka_settings, topics.ALERTS_ROUTED, 0, settle=0.5)
    assert routed == []
    [letter] = [orjson.loads(r.value) for r in dead]
    [reason] = letter["reasons"]
    assert reason["code"] == "outside_home_area"
    assert "31.71.01 is outside its source's home area (63.10, 63.02)" in reason["message"]
    assert letter["headers"]["report_id"] == sent.report_id
