"""Silences hold, then let go, on real Kafka and PostgreSQL: a muted alert is never sent
and never escalates while its silence lasts; when the silence ends, the still-open
alert is sent to its team and its escalation ladder starts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from console_service.silence_ops import add_silence
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.schemas import Category
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
SILENCE_S = 4.0


async def test_a_muted_alert_waits_out_its_silence_then_is_sent_and_escalates(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY)  # overstay: the kecamatan team, escalated after 2 s
    engine = make_engine(db)
    await add_silence(
        make_sessionmaker(engine),
        matchers={"jurisdiction_prefix": "63.10.04"},
        duration=timedelta(seconds=SILENCE_S),
        comment="joint operation at the Satui mine",
        created_by="kasi-inteldakim",
    )
    await engine.dispose()
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, report(category=Category.overstay))
        # Muted: nothing is sent and nothing escalates, although the 2 s deadline passes
        assert await consume(kafka_settings, topics.ALERTS_ROUTED, 0, settle=3.0) == []
        await asyncio.sleep(SILENCE_S - 3.0)
        alerts = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, timeout=20))
    assert [(a["level"], a["reason"], a["version"]) for a in alerts] == [
        ("kecamatan", "new", 1),  # sent when the silence ended
        ("kabupaten", "escalation", 2),  # then its ladder, 2 s later
        ("provinsi", "escalation", 3),
    ]
    assert len({a["alert_id"] for a in alerts}) == 1
