"""Operator queries on Kafka behind the CLI: topics, lag, tail, dead letters (list, show,
replay). Every value shown is masked (schema PII fields and free text)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared import topics
from shared.pii import mask_json, scrub_text
from shared.schemas import ReportRejected
from shared.settings import Settings


async def _consumer(settings: Settings, **kwargs: Any) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False, **kwargs
    )
    await consumer.start()
    return consumer


async def _offsets(consumer: AIOKafkaConsumer, topic: str) -> list[tuple[TopicPartition, int, int]]:
    bootstrap = consumer._client._bootstrap_servers  # the admin API knows partitions reliably
    count = (await topics.partition_counts(bootstrap, [topic])).get(topic, 0)
    parts = [TopicPartition(topic, p) for p in range(count)]
    starts = await consumer.beginning_offsets(parts)
    ends = await consumer.end_offsets(parts)
    return [(tp, starts[tp], ends[tp]) for tp in parts]


async def describe_topics(settings: Settings) -> list[dict[str, Any]]:
    consumer = await _consumer(settings)
    try:
        rows = []
        for spec in topics.TOPICS:
            name = settings.topic(spec.name)
            offsets = await _offsets(consumer, name)
            rows.append(
                {
                    "topic": name,
                    "partitions": len(offsets),
                    "messages": sum(end - start for _, start, end in offsets),
                    "retention_days": spec.retention_ms // topics.DAY_MS,
                    "description": spec.description,
                }
            )
        return rows
    finally:
        await consumer.stop()


async def consumer_lag(settings: Settings, only_group: str | None = None) -> list[dict[str, Any]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    consumer = await _consumer(settings)
    try:
        groups = [g[0] for g in await admin.list_consumer_groups()]
        rows = []
        for group in sorted(g for g in groups if only_group in (None, g)):
            committed = await admin.list_consumer_group_offsets(group)
            ends = await consumer.end_offsets(list(committed))
            for tp, meta in sorted(committed.items()):
                rows.append(
                    {
                        "group": group,
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "committed": meta.offset,
                        "end": ends[tp],
                        "lag": max(0, ends[tp] - meta.offset),
                    }
                )
        return rows
    finally:
        await consumer.stop()
        await admin.close()


async def _latest(settings: Settings, topic: str, count: int) -> list[Any]:
    """The last ``count`` records of each partition, newest last."""
    consumer = await _consumer(settings)
    try:
        offsets = await _offsets(consumer, topic)
        consumer.assign([tp for tp, _, _ in offsets])
        records: list[Any] = []
        for tp, start, end in offsets:
            if end > start:
                consumer.seek(tp, max(start, end - count))
        pending = {tp: end for tp, start, end in offsets if end > start}
        while pending:
            batch = await consumer.getmany(timeout_ms=2000)
            if not batch:
                break
            for tp, recs in batch.items():
                records += recs
                if recs and recs[-1].offset >= pending.get(tp, 0) - 1:
                    pending.pop(tp, None)
        return sorted(records, key=lambda r: r.timestamp)[-count:]
    finally:
        await consumer.stop()


async def tail_topic(settings: Settings, topic: str, count: int) -> list[dict[str, Any]]:
    rows = []
    for r in await _latest(settings, settings.topic(topic), count):
        try:
            value: Any = mask_json(orjson.loads(r.value))  # schema PII fields
            value = orjson.loads(scrub_text(orjson.dumps(value).decode()))  # and free text
        except orjson.JSONDecodeError:
            value = f"<{len(r.value or b'')} bytes, not JSON>"
        rows.append(
            {
                "partition": r.partition,
                "offset": r.offset,
                "key": (r.key or b"").decode("utf-8", "replace"),
                "value": orjson.dumps(value).decode()[:400],
            }
        )
    return rows


async def read_rejections(settings: Settings, count: int) -> list[ReportRejected]:
    out = []
    for r in await _latest(settings, settings.topic(topics.REPORTS_REJECTED), count):
        try:
            out.append(ReportRejected.model_validate_json(r.value))
        except ValueError:
            continue
    return out


async def find_rejection(settings: Settings, rejection_id: str) -> ReportRejected | None:
    consumer = await _consumer(settings, auto_offset_reset="earliest")
    try:
        offsets = await _offsets(consumer, settings.topic(topics.REPORTS_REJECTED))
        consumer.assign([tp for tp, _, _ in offsets])
        remaining = sum(end - start for _, start, end in offsets)
        while remaining > 0:
            batch = await consumer.getmany(timeout_ms=2000)
            if not batch:
                break
            for recs in batch.values():
                remaining -= len(recs)
                for r in recs:
                    if rejection_id.encode() in (r.value or b""):
                        return ReportRejected.model_validate_json(r.value)
        return None
    finally:
        await consumer.stop()


async def replay_rejection(settings: Settings, rejection_id: str, topic: str | None) -> str:
    rejection = await find_rejection(settings, rejection_id)
    if rejection is None or rejection.original_b64 is None:
        raise LookupError(f"no replayable rejection {rejection_id}")
    target = settings.topic(topic or rejection.original_topic or topics.REPORTS_RAW)
    headers = [
        (k, v.encode())
        for k, v in rejection.headers.items()
        if k in {"format", "source", "content-type"}
    ]
    if target.endswith(topics.REPORTS_RAW) and rejection.source_format:
        headers = [h for h in headers if h[0] not in {"format", "source"}]
        headers += [
            ("format", rejection.source_format.value.encode()),
            ("source", rejection.source.encode()),
        ]
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            target, base64.b64decode(rejection.original_b64), headers=headers
        )
    finally:
        await producer.stop()
    return target
