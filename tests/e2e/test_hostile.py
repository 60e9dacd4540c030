"""Hostile records on every consumed topic: each one is dead-lettered with a reason and
its original bytes, and the valid record behind it on the same partition still flows."""

from __future__ import annotations

from contextlib import asynccontextmanager

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared import topics
from tests.kafkautil import consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

GARBAGE = [
    b"",
    b"not json at all",
    b"\xff\xfe\x00 invalid utf-8",
    b"[" * 5000 + b"]" * 5000,  # deep nesting
    orjson.dumps({"schema_version": 99, "unexpected": True}),
    orjson.dumps({"report_id": "x" * 10_000}),
    b'{"alert_id": "\\u0000", "version": -1}',
    b"{{ 7*7 }} '; DROP TABLE deliveries; --",
]
KANIM = topics.raw_topic("kanim-batulicin")
TOPICS = [KANIM, topics.REPORTS_NORMALIZED, topics.ALERTS_ROUTED, topics.ALERTS_ACKS]
# Each consumer group dead-letters what it cannot read: acks are read by routing and notify.
CONSUMERS = {topics.ALERTS_ACKS: 2}


async def test_garbage_on_every_topic_is_dead_lettered_and_nothing_stalls(pipeline_factory) -> None:  # type: ignore[no-untyped-def]
    async with asynccontextmanager(pipeline_factory)() as p:
        producer = AIOKafkaProducer(bootstrap_servers=p.settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for topic in TOPICS:
                for raw in GARBAGE:  # all on partition 0, ahead of the valid record
                    await producer.send_and_wait(
                        p.settings.topic(topic),
                        raw,
                        partition=0,
                        headers=[("format", b"canonical"), ("source", b"kanim-batulicin")],
                    )
            valid = orjson.dumps(
                {
                    "category": "illegal_work",
                    "location": {"kecamatan_code": "63.10.09"},
                    "subjects": [{"full_name": "Valid Person", "passport_number": "V1234567"}],
                }
            )
            await producer.send_and_wait(
                p.settings.topic(KANIM),
                valid,
                partition=0,
                headers=[("format", b"canonical"), ("source", b"kanim-batulicin")],
            )
        finally:
            await producer.stop()
        # The valid report went all the way: 2 teams × 3 members delivered.
        await wait_for(lambda: _n(p, 6), timeout=60)
        expected = len(GARBAGE) * sum(CONSUMERS.get(t, 1) for t in TOPICS)
        dead = values(await consume(p.settings, topics.REPORTS_REJECTED, expected, settle=1.0))
        health = [(await c.get("/health")).status_code for c in (p.ingest, p.notify)]
    assert len(dead) == expected
    by_topic: dict[str, int] = {}
    for d in dead:
        assert d["reasons"], d
        assert d["original_size"] == 0 or d["original_b64"] or d["original_sha256"]
        by_topic[d["original_topic"]] = by_topic.get(d["original_topic"], 0) + 1
    assert by_topic == {t: len(GARBAGE) * CONSUMERS.get(t, 1) for t in TOPICS}
    assert health == [200, 200]


async def _n(p, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(p.sinks.received) >= n
