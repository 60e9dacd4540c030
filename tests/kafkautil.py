"""Test helpers for reading what services wrote to Kafka (topics of one test's prefix)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared import topics
from shared.settings import PROJECT_ROOT, Settings
from shared.sources import KeyRegistry

# The sources of the development key file, whose raw topics every test prefix has, and
# the raw topic tests write to when any topic will do.
DEV_SOURCES = tuple(
    s.source for s in KeyRegistry.from_file(PROJECT_ROOT / "config" / "api_keys.yaml").sources
)
RAW = topics.raw_topic("apoa-kalsel")


async def consume(
    settings: Settings, topic: str, count: int, timeout: float = 30.0, settle: float = 0.0
) -> list[ConsumerRecord]:
    """Read a topic from the beginning until ``count`` records arrived (or fail on timeout).

    ``settle`` keeps reading that long after the count was reached, to catch extras.
    """
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout
        settle_until: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
            if len(records) >= count and settle_until is None:
                settle_until = time.monotonic() + settle
            if settle_until is not None and time.monotonic() >= settle_until:
                break
    finally:
        await consumer.stop()
    assert len(records) >= count, f"{topic}: {len(records)} records, wanted {count}"
    return records


def values(records: list[ConsumerRecord]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


async def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result or time.monotonic() > deadline:
            assert result, "condition not met in time"
            return result
        await asyncio.sleep(interval)


async def caught_up(settings: Settings, group: str, topic: str) -> bool:
    """True when ``group`` has committed up to the end of every partition of ``topic``."""
    from aiokafka import TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    from shared.topics import partition_counts

    name = settings.topic(topic)
    count = (await partition_counts(settings.kafka_bootstrap_servers, [name]))[name]
    parts = [TopicPartition(name, p) for p in range(count)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(settings.group(group))
        ends = await consumer.end_offsets(parts)
        return all((committed[tp].offset if tp in committed else 0) >= ends[tp] for tp in parts)
    finally:
        await consumer.stop()
        await admin.close()
