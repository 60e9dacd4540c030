"""Offices as records, on real Kafka and PostgreSQL: routing takes the office records
(not the policy file's ``offices:``) for the fallback team, and applies an office's
overrides of the policy's defaults to the reports of its area only."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.offices import Office, replace_offices
from shared.schemas import Category, Location
from shared.settings import Settings
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
offices:  # what the records replace
  - name: Policy office
    home_area: ["63.10", "63.02"]
    fallback_team: timpora-63.10
rules:
  - name: default
    targets: [kabupaten]
"""
BATULICIN = Office(
    id="batulicin",
    name="Kanim Batulicin (record)",
    home_area=["63.10"],
    fallback_team="timpora-63.02",
    defaults={"escalate_after": "1s"},
)
KOTABARU = Office(
    id="kotabaru", name="Kanim Kotabaru", home_area=["63.02"], fallback_team="timpora-63.02"
)


async def save(database_url: str, *offices: Office) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_offices(session, offices)
    await engine.dispose()


async def test_office_records_choose_the_fallback_team_and_override_defaults(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    await save(db, BATULICIN, KOTABARU)
    async with running(routing_settings(kafka_settings, db, policy)):
        # Batulicin's overrides: its report escalates after 1 s (the policy never does)
        await publish(kafka_settings, report(home_area=["63.10"]))
        first = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 2, timeout=30))
        assert [(a["team_id"], a["reason"]) for a in first] == [
            ("timpora-63.10", "new"),
            ("timpora-63", "escalation"),
        ]
        # Kotabaru has none: its report does not escalate
        kotabaru = report(home_area=["63.02"], location=Location(kecamatan_code="63.02.01"))
        await publish(kafka_settings, kotabaru)
        after = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, settle=3.0))
        assert [(a["team_id"], a["reason"]) for a in after[2:]] == [("timpora-63.02", "new")]

        # a report held outside its home area goes to the record's fallback team
        await publish(
            kafka_settings,
            report(
                home_area=["63.10"],
                category=Category.overstay,
                location=Location(kecamatan_code="31.71.01"),
            ),
        )
        held = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 4, timeout=30))[3]
    assert held["team_id"] == "timpora-63.02"
    assert held["fallback"]["office"] == "Kanim Batulicin (record)"
    assert held["fallback"]["outside_home_area"] == "31.71.01"
