"""The foundation on real parts: a FastStream round trip through the local Kafka broker
with offsets committed after the work, and Alembic migrations on PostgreSQL. The speed
adapters' own tests (bulk SQL, batch publishing) are in tests/integration/adapters/."""

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
from shared.kafka import Outgoing, Records, batch_subscriber, make_broker, publish_all
from shared.settings import Settings
from tests.kafkautil import DEV_SOURCES, RAW

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

    @batch_subscriber(broker, settings, RAW, group=group)
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
    await producer.start()
    try:
        # the batch path of publish_all: tests/integration/adapters/test_batch_publish_broker.py
        first = [Outgoing(RAW, f"k{i}", f"m{i}".encode()) for i in range(10)]
        assert await publish_all(producer, settings, first) == 10
        got = await _run_consumer(settings, "g1", 10)
        assert sorted(got) == sorted(o.value for o in first)
        assert await _committed(settings, "g1", RAW) == 10

        second = [Outgoing(RAW, f"k{i}", f"n{i}".encode()) for i in range(5)]
        await publish_all(producer, settings, second)
    finally:
        await producer.stop()
    # A restarted consumer in the same group resumes after the committed offsets.
    got = await _run_consumer(settings, "g1", 5)
    assert sorted(got) == sorted(o.value for o in second)
    assert await _committed(settings, "g1", RAW) == 15


async def test_topics_are_created_with_configured_partitions(kafka_settings: Settings) -> None:
    names = [kafka_settings.topic(spec.name) for spec in topics.registry(DEV_SOURCES)]
    assert kafka_settings.topic(RAW) in names
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
