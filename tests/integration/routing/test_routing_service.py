"""The routing service on real Kafka and PostgreSQL: alerts, grouping, escalation, acks."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from routing_service.app import create_app
from routing_service.models import EscalationTimer
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import load_directory, replace_directory
from shared.jurisdiction import place_report
from shared.kafka import Outgoing, dumps, make_broker, publish_all
from shared.schemas import AlertAcknowledged, Category, Location, Report, Severity, Subject
from shared.settings import RoutingSettings, Settings
from tests.kafkautil import consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[3]

FAST_POLICY = """
version: 1
fallback_jurisdiction: "63.10"
rules:
  - name: overstay-fast
    match: {category: [overstay]}
    targets: [kecamatan]
    escalate_after: 2s
  - name: default
    targets: [kabupaten]
"""


def report(**overrides: object) -> Report:
    fields: dict[str, object] = {
        "source": "apoa-kalsel",
        "category": Category.illegal_work,
        "severity": Severity.medium,
        "location": Location(kecamatan_code="63.10.04"),
        "subjects": [Subject(full_name="Li Wei", nationality="CHN", passport_number="E1234567")],
        "home_area": ["63.10", "63.02"],
    }
    return place_report(Report(**(fields | overrides)))  # normalised: as ingest hands it over


async def seed(database_url: str) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, load_directory(ROOT / "config" / "teams.yaml"))
    await engine.dispose()


def routing_settings(
    kafka: Settings, database_url: str, policy: Path | None = None
) -> RoutingSettings:
    extra = {"policy_file": policy} if policy else {}
    return RoutingSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka.kafka_bootstrap_servers,
        TIMPORA_TOPIC_PREFIX=kafka.topic_prefix,
        DATABASE_URL=database_url,
        escalation_poll_seconds=0.2,
        **extra,
    )


@asynccontextmanager
async def running(settings: RoutingSettings) -> AsyncIterator[None]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield


async def publish(settings: Settings, *items: Report | AlertAcknowledged) -> None:
    broker = make_broker(settings, client_id="test")
    await broker.start()
    try:
        records = [
            Outgoing(topics.REPORTS_NORMALIZED, r.partition_key(), dumps(r))
            if isinstance(r, Report)
            else Outgoing(topics.ALERTS_ACKS, r.alert_id, dumps(r))
            for r in items
        ]
        await publish_all(broker, settings, records)
    finally:
        await broker.stop()


async def test_report_becomes_alerts_keyed_by_team(kafka_settings: Settings, db: str) -> None:
    async with running(routing_settings(kafka_settings, db)):
        await publish(kafka_settings, report())
        records = await consume(kafka_settings, topics.ALERTS_ROUTED, 2)
    alerts = values(records)
    assert {r.key for r in records} == {b"timpora-63.10.04", b"timpora-63.10"}
    assert {a["level"] for a in alerts} == {"kecamatan", "kabupaten"}
    for alert in alerts:
        assert alert["schema_version"] == 1
        assert alert["matched_rules"] == ["illegal-work-mining"]
        assert alert["reason"] == "new"
        assert alert["severity"] == "high"
        assert alert["jurisdiction_code"] in {"63.10.04", "63.10"}


async def test_redelivery_is_idempotent_and_duplicates_group(
    kafka_settings: Settings, db: str
) -> None:
    first = report()
    again_later = report(text="seen again at the same mine")  # same passport, place, day
    async with running(routing_settings(kafka_settings, db)):
        await publish(kafka_settings, first)
        await consume(kafka_settings, topics.ALERTS_ROUTED, 2)
        await publish(kafka_settings, first, again_later)  # a redelivery + a duplicate report
        records = await consume(kafka_settings, topics.ALERTS_ROUTED, 6, settle=1.0)
    alerts = values(records)
    assert len(alerts) == 6  # 2 new, 2 re-emitted identical (redelivery), 2 updates
    kecamatan = [a for a in alerts if a["team_id"] == "timpora-63.10.04"]
    assert len({a["alert_id"] for a in kecamatan}) == 1
    assert sorted((a["version"], a["reason"]) for a in kecamatan) == [
        (1, "new"),
        (1, "new"),
        (2, "update"),
    ]
    assert max(a["occurrence_count"] for a in kecamatan) == 2


async def test_escalates_up_the_ladder_until_acknowledged(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY)
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, report(category=Category.overstay))
        records = await consume(kafka_settings, topics.ALERTS_ROUTED, 3, timeout=30)
        alerts = values(records)
        assert [(a["level"], a["reason"], a["version"]) for a in alerts] == [
            ("kecamatan", "new", 1),
            ("kabupaten", "escalation", 2),
            ("provinsi", "escalation", 3),
        ]
        assert len({a["alert_id"] for a in alerts}) == 1

        # A second alert, acknowledged before its timer: it never escalates.
        await publish(
            kafka_settings,
            report(category=Category.overstay, location=Location(kecamatan_code="63.10.06")),
        )
        [*_, new] = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 4))
        await publish(
            kafka_settings,
            AlertAcknowledged(alert_id=new["alert_id"], channel="sms", member_id="m0001"),
        )
        after = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 4, settle=4.0))
    assert len(after) == 4, [(a["level"], a["reason"]) for a in after]


async def test_timers_survive_a_killed_process_and_fire_once_with_two_instances(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FAST_POLICY.replace("2s", "4s"))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.kafka_bootstrap_servers,
        "TIMPORA_TOPIC_PREFIX": kafka_settings.topic_prefix,
        "DATABASE_URL": db,
        "ROUTING_POLICY_FILE": str(policy),
        "ROUTING_ESCALATION_POLL_SECONDS": "0.2",
    }

    def start(port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "routing_service", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = start(18182)
    try:
        await publish(kafka_settings, report(category=Category.overstay))
        await consume(kafka_settings, topics.ALERTS_ROUTED, 1, timeout=60)
        first.send_signal(signal.SIGKILL)  # timers pending, process gone
        first.wait()
        engine = make_engine(db)
        sessions = make_sessionmaker(engine)

        async def pending() -> int:
            async with sessions() as s:
                return (
                    await s.scalar(select(func.count()).where(EscalationTimer.state == "pending"))
                    or 0
                )

        assert await pending() == 1
        second, third = start(18183), start(18184)  # two instances race for each timer
        try:
            # settle > the 4 s between escalations: v3 still arrives if a re-fired v2 (below)
            # made the count early
            records = await consume(kafka_settings, topics.ALERTS_ROUTED, 3, timeout=60, settle=6)
        finally:
            for p in (second, third):
                p.terminate()
                p.wait(30)
        await engine.dispose()
    finally:
        if first.poll() is None:
            first.kill()
    # An escalation is published before its commit: if the first process fired one and
    # was killed before committing (a slow machine), the next fires the same version
    # again (notify's delivery key absorbs it). Firing twice would instead make a new
    # version for the same level: each version must have one level, in this order.
    by_version: dict[int, str] = {}
    for a in values(records):
        assert by_version.setdefault(a["version"], a["level"]) == a["level"]
    assert sorted(by_version.items()) == [(1, "kecamatan"), (2, "kabupaten"), (3, "provinsi")]


async def test_unreadable_record_is_dead_lettered_and_partition_moves_on(
    kafka_settings: Settings, db: str
) -> None:
    broker = make_broker(kafka_settings, client_id="test")
    await broker.start()
    await publish_all(
        broker, kafka_settings, [Outgoing(topics.REPORTS_NORMALIZED, "63.10.04", b"{not json")]
    )
    await broker.stop()
    async with running(routing_settings(kafka_settings, db)):
        await publish(kafka_settings, report())
        await consume(kafka_settings, topics.ALERTS_ROUTED, 2)
        [dead] = values(await consume(kafka_settings, topics.REPORTS_REJECTED, 1))
    assert dead["original_topic"] == topics.REPORTS_NORMALIZED
    assert dead["source"] == "routing"
    await asyncio.sleep(0)


DIGEST_POLICY = """
version: 1
rules:
  - name: routine-presence
    match: {category: [presence]}
    targets: [kecamatan]
    digest: daily
  - name: default
    targets: [kabupaten]
"""


async def test_routine_reports_become_one_digest_per_team(
    kafka_settings: Settings, db: str, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from routing_service.models import AlertRow

    policy = tmp_path / "policy.yaml"
    policy.write_text(DIGEST_POLICY)
    guests = [
        report(
            category=Category.presence,
            subjects=[Subject(full_name=f"Guest {i}", passport_number=f"X100000{i}")],
        )
        for i in range(3)
    ]
    engine = make_engine(db)
    async with running(routing_settings(kafka_settings, db, policy)):
        await publish(kafka_settings, *guests)

        async def digested() -> int:
            async with make_sessionmaker(engine)() as s:
                return await s.scalar(select(func.count()).where(AlertRow.status == "digest")) or 0

        await wait_for(lambda: _eq(digested, 3))
        # Nothing is sent during the period; close it now instead of waiting for midnight.
        async with transaction(make_sessionmaker(engine)) as s:
            await s.execute(update(AlertRow).values(window_ends_at=AlertRow.created_at))
        [digest] = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 1, settle=2.0))
    await engine.dispose()
    assert digest["reason"] == "digest"
    assert digest["team_id"] == "timpora-63.10.04"
    assert digest["occurrence_count"] == 3
    assert len(digest["report"]["subjects"]) == 3
    assert digest["report"]["text"].startswith("Ringkasan: 3 laporan")


async def _eq(fn, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await fn() == n


async def test_silenced_alerts_are_recorded_not_sent(kafka_settings: Settings, db: str) -> None:
    from datetime import timedelta

    from console_service.silence_ops import add_silence
    from routing_service.models import AlertRow

    engine = make_engine(db)
    sessions = make_sessionmaker(engine)
    await add_silence(
        sessions,
        matchers={"jurisdiction_prefix": "63.10.04"},
        duration=timedelta(hours=1),
        comment="joint operation at the Satui mine; teams already on site",
        created_by="kasi-inteldakim",
    )
    async with running(routing_settings(kafka_settings, db)):
        await publish(
            kafka_settings, report(), report(location=Location(kecamatan_code="63.10.09"))
        )
        records = await consume(kafka_settings, topics.ALERTS_ROUTED, 2, settle=2.0)
    async with sessions() as s:
        statuses = {(r.team_id, r.status) for r in (await s.scalars(select(AlertRow))).all()}
    await engine.dispose()
    # Everything about Satui is muted (kecamatan and kabupaten alerts); Angsana still flows.
    assert ("timpora-63.10.04", "muted") in statuses
    assert {r.key for r in records} == {b"timpora-63.10", b"timpora-63.10.09"}


async def test_a_report_twice_in_one_batch_is_routed_once(
    kafka_settings: Settings, db: str
) -> None:
    """A redelivery can land in the same consumed batch as the original."""
    once = report()
    async with running(routing_settings(kafka_settings, db)):
        await publish(kafka_settings, once, once)
        records = await consume(kafka_settings, topics.ALERTS_ROUTED, 4, settle=1.0)
    alerts = values(records)
    assert len(alerts) == 4  # 2 teams; the repeat re-emits the same two alerts
    assert len({(a["alert_id"], a["version"]) for a in alerts}) == 2
    assert {a["reason"] for a in alerts} == {"new"}
