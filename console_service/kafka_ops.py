"""Operator queries on Kafka behind the CLI: topics, lag, tail, dead letters (list, show,
replay). ``tail`` shows whitelisted fields only (raw input as size and hash); dead letters
are shown masked (:func:`shared.pii.mask_original`)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared import topics
from shared.kafka_clients import client_options
from shared.pii import scrub_text
from shared.schemas import ReportRejected
from shared.settings import Settings


async def _consumer(settings: Settings, **kwargs: Any) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False, **kwargs)
    await consumer.start()
    return consumer


async def _offsets(
    settings: Settings, consumer: AIOKafkaConsumer, topic: str
) -> list[tuple[TopicPartition, int, int]]:
    # the admin API knows partitions reliably
    count = (await topics.partition_counts(client_options(settings), [topic])).get(topic, 0)
    parts = [TopicPartition(topic, p) for p in range(count)]
    starts = await consumer.beginning_offsets(parts)
    ends = await consumer.end_offsets(parts)
    return [(tp, starts[tp], ends[tp]) for tp in parts]


async def describe_topics(settings: Settings, sources: Iterable[str] = ()) -> list[dict[str, Any]]:
    consumer = await _consumer(settings)
    try:
        rows = []
        for spec in topics.registry(sources):
            name = settings.topic(spec.name)
            offsets = await _offsets(settings, consumer, name)
            retention = topics.retention_ms(spec, settings.topic_retention())
            rows.append(
                {
                    "topic": name,
                    "partitions": len(offsets),
                    "messages": sum(end - start for _, start, end in offsets),
                    "retention_hours": retention // topics.HOUR_MS,
                    "retention_days": round(retention / topics.DAY_MS, 2),
                    "description": spec.description,
                }
            )
        return rows
    finally:
        await consumer.stop()


async def consumer_lag(settings: Settings, only_group: str | None = None) -> list[dict[str, Any]]:
    admin = AIOKafkaAdminClient(**client_options(settings))
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
        offsets = await _offsets(settings, consumer, topic)
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


# What ``timpora tail`` shows per topic: ids, times, categories, levels, codes, statuses and
# counts, never a name, a document, a contact or free text. ``len:`` shows a list's length,
# ``codes:`` the ``code`` of each item, ``ack:`` a masked ack code (it acks by SMS).
_REPORT = (
    "report_id", "source", "source_format", "upstream_ref", "received_at", "occurred_at",
    "category", "severity", "location.provinsi_code", "location.kabupaten_code",
    "location.kecamatan_code", "location.desa_code", "resolution.routing_code",
    "resolution.method", "resolution.confidence", "subject_count", "len:subjects",
)  # fmt: skip
TAIL_FIELDS: dict[str, tuple[str, ...]] = {
    topics.REPORTS_NORMALIZED: ("schema_version", *_REPORT),
    topics.ALERTS_ROUTED: (
        "schema_version", "alert_id", "version", "report_id", "len:report_ids", "team_id",
        "level", "jurisdiction_code", "matched_rules", "reason", "category", "severity",
        "occurrence_count", "escalation_step", "ack:ack_code", "routed_at",
        "resolution_confidence", "fallback.office", "fallback.unserved_code",
        "fallback.outside_home_area",
        "report.location.kecamatan_code", "report.subject_count", "len:report.subjects",
    ),
    topics.ALERTS_ACKS: (
        "schema_version", "ack_id", "alert_id", "ack:ack_code", "member_id", "channel",
        "action", "acknowledged_at",
    ),
    topics.DELIVERIES_EVENTS: (
        "schema_version", "delivery_id", "alert_id", "alert_version", "team_id", "member_id",
        "channel", "status", "attempt", "provider_message_id", "at",
    ),
    topics.REPORTS_REJECTED: (
        "schema_version", "rejection_id", "source", "source_format", "received_at",
        "codes:reasons", "original_size", "original_sha256", "original_topic",
    ),
}  # fmt: skip
SCALARS = (str, int, float, bool)


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _shown(value: Any) -> Any:
    """A whitelisted value as shown: scalars (strings scrubbed and cut: a producer may put
    anything anywhere), lists of scalars; anything else is not shown."""
    if isinstance(value, str):
        return scrub_text(value[:100])
    if isinstance(value, SCALARS) or value is None:
        return value
    if isinstance(value, list) and all(isinstance(v, SCALARS) for v in value):
        return [_shown(v) for v in value[:20]]
    return "<hidden>"


def whitelisted(topic: str, value: bytes | None) -> dict[str, Any]:
    """The fields of one record that ``timpora tail`` may show: per topic a whitelist;
    raw input and topics without a whitelist as their size and SHA-256 only."""
    fields = TAIL_FIELDS.get(topic)
    data = value or b""
    summary = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if fields is None:
        return summary
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return summary | {"json": False}
    if not isinstance(obj, dict):
        return summary | {"json": False}
    out: dict[str, Any] = {}
    for spec in fields:
        kind, _, path = spec.rpartition(":")
        found = _get(obj, path)
        if found is None:
            continue
        if kind == "len":
            out[f"{path}#"] = len(found) if isinstance(found, list) else None
        elif kind == "codes":
            items = found if isinstance(found, list) else []
            out[path] = [_shown(i.get("code")) for i in items if isinstance(i, dict)]
        elif kind == "ack":
            out[path] = f"{str(found)[:2]}***"
        else:
            out[spec] = _shown(found)
    return out


def _key(topic: str, key: bytes | None) -> str:
    """Keys of the registry's topics are codes and ids; others' may be anything."""
    if not key:
        return ""
    if topic in TAIL_FIELDS:
        return scrub_text(key.decode("utf-8", "replace")[:100])
    return f"sha256:{hashlib.sha256(key).hexdigest()[:16]}"


async def tail_topic(
    settings: Settings, topic: str, count: int, keep: Callable[[Any], bool] | None = None
) -> list[dict[str, Any]]:
    """The latest ``count`` records of ``topic``, whitelisted fields only (:func:`whitelisted`);
    ``keep``: of those, only the records (decoded JSON, None if not JSON) it keeps."""
    name = topic.removeprefix(settings.topic_prefix) if settings.topic_prefix else topic
    rows = []
    for r in await _latest(settings, settings.topic(name), count):
        if keep is not None and not keep(_decoded(r.value)):
            continue
        rows.append(
            {
                "partition": r.partition,
                "offset": r.offset,
                "key": _key(name, r.key),
                "value": orjson.dumps(whitelisted(name, r.value)).decode(),
            }
        )
    return rows


def _decoded(value: bytes | None) -> Any:
    try:
        return orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None


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
        offsets = await _offsets(settings, consumer, settings.topic(topics.REPORTS_REJECTED))
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


Headers = list[tuple[str, bytes]]


def replay_target(rejection: ReportRejected, topic: str | None) -> tuple[str, Headers]:
    """Where a dead letter goes back to (topic without prefix) and with which headers.

    Raw input (from HTTP or from a source's raw topic) returns to the raw topic of the
    source it came from, with its format: ingest takes the source from the topic, so a
    replay can never make a report another source's. ``topic`` overrides the target."""
    original = rejection.original_topic
    is_raw = original in (None, topics.REPORTS_RAW) or topics.raw_source(original) is not None
    target = topic or (topics.raw_topic(rejection.source) if is_raw else str(original))
    headers = [
        (k, v.encode()) for k, v in rejection.headers.items() if k in {"format", "content-type"}
    ]
    if topics.raw_source(target) is not None and rejection.source_format:
        headers = [h for h in headers if h[0] != "format"]
        headers.append(("format", rejection.source_format.value.encode()))
    return target, headers


async def replay_rejection(settings: Settings, rejection_id: str, topic: str | None) -> str:
    rejection = await find_rejection(settings, rejection_id)
    if rejection is None or rejection.original_b64 is None:
        raise LookupError(f"no replayable rejection {rejection_id}")
    name, headers = replay_target(rejection, topic)
    target = settings.topic(name)
    producer = AIOKafkaProducer(**client_options(settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            target, base64.b64decode(rejection.original_b64), headers=headers
        )
    finally:
        await producer.stop()
    return target
