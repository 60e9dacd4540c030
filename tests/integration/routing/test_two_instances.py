"""Routing's periodic jobs with two instances, as real processes on real Kafka and
PostgreSQL: each closed digest period makes one digest per team, and each muted alert
whose silence ends is sent once, whichever instance gets there first."""

from __future__ import annotations

import os
from collections import Counter
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from console_service.silence_ops import add_silence, expire_silence
from routing_service.models import AlertRow
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.schemas import Category, Location, Subject
from shared.settings import Settings
from tests.integration.routing.test_routing_service import (
    DIGEST_POLICY,
    FAST_POLICY,
    publish,
    report,
)
from tests.kafkautil import consume, values, wait_for
from tests.procs import instances

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KECAMATAN = ["63.10.03", "63.10.04", "63.10.08", "63.10.09"]


def two_instances(settings: Settings, db: str, policy: Path) -> AbstractAsyncContextManager[None]:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "TIMPORA_TOPIC_PREFIX": settings.topic_prefix,
        "DATABASE_URL": db,
        "ROUTING_POLICY_FILE": str(policy),
        "ROUTING_ESCALATION_POLL_SECONDS": "0.1",
    }
    return instances("routing_service", env)


async def count_rows(db: str, status: str) -> int:
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as s:
        n = await s.scalar(select(func.count()).where(AlertRow.status == status))
    await engine.dispose()
    return n or 0


async def test_one_digest_per_team_with_two_instances(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(DIGEST_POLICY)
    guests = [
        report(
            category=Category.presence,
            location=Location(kecamatan_code=KECAMATAN[i % 4]),
            subjects=[Subject(full_name=f"Guest {i}", passport_number=f"X2000{i:03d}")],
        )
        for i in range(20)
    ]
    async with two_instances(kafka_settings, db, policy):
        await publish(kafka_settings, *guests)

        async def digest_rows() -> bool:
            return await count_rows(db, "digest") == 20

        await wait_for(digest_rows, timeout=60)
        engine = make_engine(db)  # close the period now instead of waiting for midnight
        async with transaction(make_sessionmaker(engine)) as s:
            await s.execute(update(AlertRow).values(window_ends_at=AlertRow.created_at))
        await engine.dispose()
        digests = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 4, settle=3.0))
    per_team = Counter(d["team_id"] for d in digests)
    assert per_team == {f"timpora-{code}": 1 for code in KECAMATAN}
    assert sum(d["occurrence_count"] for d in digests) == 20
    assert {d["reason"] for d in digests} == {"digest"}


async def test_a_muted_alert_is_sent_once_when_its_silence_ends_with_two_instances(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY.replace("escalate_after: 2s", "escalate_after: 1h"))
    engine = make_engine(db)
    sessions = make_sessionmaker(engine)
    silence = await add_silence(
        sessions,
        matchers={"jurisdiction_prefix": "63.10"},
        duration=timedelta(hours=1),
        comment="joint operation",
        created_by="kasi-inteldakim",
    )
    reports = [
        report(
            category=Category.overstay,
            location=Location(kecamatan_code=KECAMATAN[i % 4]),
            subjects=[Subject(full_name=f"Guest {i}", passport_number=f"X3000{i:03d}")],
        )
        for i in range(12)
    ]
    async with two_instances(kafka_settings, db, policy):
        await publish(kafka_settings, *reports)

        async def all_muted() -> bool:
            return await count_rows(db, "muted") == 12

        await wait_for(all_muted, timeout=60)
        assert await consume(kafka_settings, topics.ALERTS_ROUTED, 0, settle=1.0) == []
        assert await expire_silence(sessions, silence)  # the operator ends it early
        await engine.dispose()
        sent = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 12, timeout=30, settle=3))
    per_alert = Counter((a["alert_id"], a["version"]) for a in sent)
    assert len(per_alert) == 12
    assert set(per_alert.values()) == {1}  # each sent once, by one of the two instances
    assert {a["report_id"] for a in sent} == {r.report_id for r in reports}
    assert await count_rows(db, "muted") == 0
