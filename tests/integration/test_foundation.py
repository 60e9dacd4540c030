"""The foundation on real parts: a FastStream round trip through the local Kafka broker
with offsets committed after the work, and Alembic migrations on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from shared import topics
from shared.db import make_engine
from shared.kafka import (
    BIG_RECORD,
    Outgoing,
    Records,
    aiokafka_producer,
    batch_subscriber,
    make_broker,
    publish_all,
)
from shared.settings import Settings
from tests.rows import delivery_row

pytestmark = pytest.mark.kafka


async def _committed(settings: Settings, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.group(group))
        return sum(m.offset for tp, m in offsets.items() if tp.topic == settings.topic(topic))
    finally:
        await admin.close()


async def _run_consumer(settings: Settings, group: str, want: int) -> list[bytes]:
    """Start a broker with one batch subscriber, collect ``want`` values, stop it."""
    broker = make_broker(settings, client_id="test")
    seen: list[bytes] = []
    done = asyncio.Event()

    @batch_subscriber(broker, settings, topics.REPORTS_RAW, group=group)
    async def handler(records: Records) -> None:
        seen.extend(r.value for r in records)
        if len(seen) >= want:
            done.set()

    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        await broker.stop()  # commits happen after each handled batch (ack policy)
    return seen


async def test_round_trip_commits_after_work_and_resumes(kafka_settings: Settings) -> None:
    settings = kafka_settings
    producer = make_broker(settings, client_id="test-producer")
    assert aiokafka_producer(producer) is None  # not started: FastStream's path
    await producer.start()
    try:
        # publish_all sends through the broker's own (idempotent, acks=all) producer.
        raw = aiokafka_producer(producer)
        assert raw is not None
        assert raw._txn_manager is not None  # idempotence on (acks=all)
        first = [Outgoing(topics.REPORTS_RAW, f"k{i}", f"m{i}".encode()) for i in range(10)]
        assert await publish_all(producer, settings, first) == 10
        got = await _run_consumer(settings, "g1", 10)
        assert sorted(got) == sorted(o.value for o in first)
        assert await _committed(settings, "g1", topics.REPORTS_RAW) == 10

        second = [Outgoing(topics.REPORTS_RAW, f"k{i}", f"n{i}".encode()) for i in range(5)]
        await publish_all(producer, settings, second)
    finally:
        await producer.stop()
    # A restarted consumer in the same group resumes after the committed offsets.
    got = await _run_consumer(settings, "g1", 5)
    assert sorted(got) == sorted(o.value for o in second)
    assert await _committed(settings, "g1", topics.REPORTS_RAW) == 15


async def test_a_big_record_keeps_its_place_among_its_keys_records(
    kafka_settings: Settings,
) -> None:
    """Records over 64 KiB skip the per-partition batch; they must still follow the
    records of the same key published before them (alert versions are keyed by team)."""
    big = b"x" * (BIG_RECORD + 1)
    values = [b"v1", b"v2", big, b"v3", big + b"2", b"v4"]
    broker = make_broker(kafka_settings, client_id="test-order")
    await broker.start()
    try:
        sent = [Outgoing(topics.REPORTS_RAW, "team-1", v) for v in values]
        assert await publish_all(broker, kafka_settings, sent) == len(values)
    finally:
        await broker.stop()
    assert await _run_consumer(kafka_settings, "g-order", len(values)) == values


async def test_a_broker_with_middlewares_publishes_through_faststream(
    kafka_settings: Settings,
) -> None:
    from faststream import BaseMiddleware

    broker = make_broker(kafka_settings, client_id="test-mw", middlewares=[BaseMiddleware])
    await broker.start()
    try:
        assert aiokafka_producer(broker) is None  # middlewares would be bypassed
        sent = [Outgoing(topics.REPORTS_RAW, "k", b"via-faststream")]
        assert await publish_all(broker, kafka_settings, sent) == 1
    finally:
        await broker.stop()
    assert await _run_consumer(kafka_settings, "g-mw", 1) == [b"via-faststream"]


async def test_topics_are_created_with_configured_partitions(kafka_settings: Settings) -> None:
    names = [kafka_settings.topic(spec.name) for spec in topics.TOPICS]
    counts = await topics.partition_counts(kafka_settings.kafka_bootstrap_servers, names)
    assert counts == dict.fromkeys(names, 3)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        routed = TopicPartition(kafka_settings.topic(topics.ALERTS_ROUTED), 0)
        assert await consumer.end_offsets([routed]) == {routed: 0}
    finally:
        await consumer.stop()


@pytest.mark.postgres
async def test_alembic_upgrade_creates_the_schema(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert {"teams", "team_members", "deliveries", "routing_alerts", "alembic_version"} <= tables


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(database_url: str, pid: int) -> None:
    other = create_async_engine(database_url, poolclass=NullPool)
    async with other.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await other.dispose()


@pytest.mark.postgres
async def test_a_connection_lost_while_idle_is_replaced_before_use(database_url: str) -> None:
    """Idle past the threshold: pinged at checkout, found dead, replaced: the caller
    never sees the lost connection (what ``pool_pre_ping`` gave, without a ping per use)."""
    engine = make_engine(database_url, pool_size=1, idle_ping_s=0.0)
    first = await _backend_pid(engine)
    await _terminate(database_url, first)
    assert await _backend_pid(engine) != first
    await engine.dispose()


@pytest.mark.postgres
async def test_a_connection_lost_between_busy_uses_fails_once_then_the_pool_recovers(
    database_url: str,
) -> None:
    """Used a moment ago: not pinged. Lost anyway (a restart between two transactions),
    the next use fails as a disconnect, SQLAlchemy drops the pool's connections, and the
    use after that works — the handlers redeliver a batch that failed this way."""
    engine = make_engine(database_url, pool_size=1, idle_ping_s=3600.0)
    first = await _backend_pid(engine)
    await _terminate(database_url, first)
    with pytest.raises(DBAPIError) as failed:
        await _backend_pid(engine)
    assert failed.value.connection_invalidated
    assert await _backend_pid(engine) != first
    await engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_bulk_writes_keep_insert_semantics(
    backend: str, database_url: str, tmp_path: object
) -> None:
    """insert_many_ignore / insert_many / update_many / in_values: the unnest statements on
    PostgreSQL behave like SQLAlchemy's own inserts and updates (and like SQLite's path):
    conflicts skipped and not returned, Python-side defaults filled, JSON and timestamps
    round-trip, updates by key."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from notify_service.models import DeliveryRow
    from routing_service.models import EscalationTimer
    from shared.db import (
        in_values,
        insert_many,
        insert_many_ignore,
        make_engine,
        make_sessionmaker,
        migrate,
        transaction,
        update_many,
    )

    url = database_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/t.db"
    if backend == "sqlite":
        await migrate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    due = datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)
    try:
        async with transaction(sessions) as session:
            first = await insert_many_ignore(
                session,
                DeliveryRow,
                [delivery_row("D1", "m1"), delivery_row("D2", "m2")],
                "delivery_id",
            )
            # D3 repeats D1's unique key (alert, version, member, channel): not inserted
            again = await insert_many_ignore(
                session,
                DeliveryRow,
                [delivery_row("D3", "m1"), delivery_row("D4", "m3")],
                "delivery_id",
            )
            await insert_many(
                session, EscalationTimer.__table__, [{"alert_id": "A1", "due_at": due}]
            )
        assert first == {"D1", "D2"}
        assert again == {"D4"}

        async with transaction(sessions) as session:
            await update_many(
                session,
                DeliveryRow.__table__,
                "delivery_id",
                [
                    {"delivery_id": "D1", "status": "sent", "next_attempt_at": None},
                    {"delivery_id": "D2", "status": "retrying", "next_attempt_at": due},
                ],
            )
        async with transaction(sessions) as session:
            rows = {
                r.delivery_id: r
                for r in await session.scalars(
                    select(DeliveryRow).where(
                        in_values(session, DeliveryRow.delivery_id, ["D1", "D2", "D4"])
                    )
                )
            }
            timer = (await session.scalars(select(EscalationTimer))).one()
        assert set(rows) == {"D1", "D2", "D4"}
        assert (rows["D1"].status, rows["D2"].status, rows["D4"].status) == (
            "sent",
            "retrying",
            "sending",
        )
        assert rows["D2"].next_attempt_at == due
        assert rows["D1"].next_attempt_at is None
        assert rows["D4"].alert == {"alert_id": "A1", "nested": [1, {"x": "é"}]}
        assert rows["D4"].attempts == 0
        assert rows["D4"].fallback_channels == []
        assert rows["D4"].created_at.tzinfo is not None
        assert (timer.step, timer.state, timer.due_at) == (1, "pending", due)
    finally:
        await engine.dispose()
