"""Kafka helpers: a broker with durable defaults, batch subscribers, concurrent publishing.

Delivery guarantees, in one place:
- producers: ``acks=all`` + idempotence, so a retried send never duplicates a record;
- consumers: explicit group ids, ``earliest`` for new groups, manual commits after the
  batch's work (``NACK_ON_ERROR``): an infrastructure failure (broker, database) rewinds
  the batch and it is redelivered; handlers turn bad *data* into dead letters themselves,
  so a poison message never spins;
- handlers receive the raw ``ConsumerRecord`` tuple: original bytes for dead letters,
  keys, headers, partitions and offsets for idempotency and lag.

How records reach aiokafka fast (one batch per partition, memoised key hash) is an
adapter: :mod:`shared.adapters.batch_publish`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from pydantic import BaseModel

from shared.adapters.batch_publish import aiokafka_producer, key_partitioner, send_batched
from shared.kafka_clients import broker_security
from shared.settings import Settings

log = logging.getLogger(__name__)

Records = tuple[ConsumerRecord, ...]


def make_broker(
    settings: Settings, *, client_id: str, middlewares: Sequence[Any] = ()
) -> KafkaBroker:
    """A broker whose producer never loses or duplicates an acknowledged write."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=broker_security(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,  # lets concurrent sends of one batch share a produce request
        max_batch_size=256 * 1024,
        partitioner=key_partitioner,
        compression_type="lz4",
        allow_auto_create_topics=False,
        graceful_timeout=20.0,
        apply_types=False,
        log_level=logging.DEBUG,  # per-message "Received/Processed" lines stay out of INFO
        # FastStream's own logger writes to stdout past the root handler, so past the PII
        # filter (a failed batch's error text carried passport numbers): use ours.
        logger=logging.getLogger("timpora.kafka"),
        middlewares=middlewares,
    )


def _lenient_headers(record: ConsumerRecord) -> ConsumerRecord:
    """Header values that are not UTF-8 would crash FastStream's parser: replace them."""
    if all(_is_utf8(v) for _, v in record.headers):
        return record
    headers = tuple((k, (v or b"").decode("utf-8", "replace").encode()) for k, v in record.headers)
    return dataclasses.replace(record, headers=headers)


def _is_utf8(value: bytes | None) -> bool:
    try:
        (value or b"").decode()
    except UnicodeDecodeError:
        return False
    return True


async def _parse_lenient(records: Records, original: Callable[[Records], Awaitable[Any]]) -> Any:
    return await original(tuple(_lenient_headers(r) for r in records))


async def _raw_records(message: Any) -> Records:
    """Hand the handler the records themselves (original bytes, keys, headers, offsets)."""
    records: Records = message.raw_message
    return records


def batch_subscriber(
    broker: Any,
    settings: Settings,
    topic: str | Sequence[str],
    *,
    group: str,
    max_records: int = 500,
    batch_timeout_ms: int = 20,
    rare: bool = False,
    **kwargs: Any,
) -> Any:
    """Decorator for an at-least-once batch handler ``async def h(records: Records)``.

    ``rare``: a topic that is mostly idle (acks): the broker answers a fetch as soon as
    one record is there and otherwise holds it 500 ms, instead of gathering 64 KiB for up
    to 50 ms. An idle consumer then costs the broker ~10x fewer fetches, and a record is
    not delayed.

    A failing batch (the broker or the database away) is retried after a pause that
    doubles up to ``RETRY_MAX_S`` (see :func:`with_backoff`), not at once in a loop.
    """
    names = [topic] if isinstance(topic, str) else list(topic)
    subscriber = broker.subscriber(
        *(settings.topic(t) for t in names),
        group_id=settings.group(group),
        group_instance_id=f"{group}-{settings.instance_id}" if settings.instance_id else None,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        parser=_parse_lenient,
        decoder=_raw_records,
        fetch_min_bytes=1 if rare else settings.fetch_min_bytes,
        fetch_max_wait_ms=500 if rare else settings.fetch_max_wait_ms,
        **kwargs,
    )
    what = names[0] if len(names) == 1 else f"{len(names)} topics"
    return lambda handler: subscriber(with_backoff(handler, f"{group}/{what}"))


RETRY_FIRST_S, RETRY_MAX_S = 0.2, 5.0
Sleep = Callable[[float], Awaitable[None]]


def with_backoff(
    handler: Callable[[Records], Awaitable[None]], name: str, sleep: Sleep = asyncio.sleep
) -> Callable[[Records], Awaitable[None]]:
    """``handler``, pausing before it re-raises: 0.2 s after the first failure in a row,
    doubling (with jitter) up to 5 s, back to nothing after a success.

    The batch is then nacked and redelivered as before. Without the pause a database
    outage turned every consumer into a loop of fetch, fail, rewind — CPU, broker
    requests and a traceback per turn — for as long as the outage lasted.
    """
    failures = 0

    @functools.wraps(handler)
    async def guarded(records: Records) -> None:
        nonlocal failures
        try:
            await handler(records)
        except Exception as exc:
            failures += 1
            pause = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (failures - 1))
            pause *= random.uniform(0.8, 1.2)
            log.warning(
                "%s: batch of %d failed (%s in a row: %s); redelivered in %.1f s",
                name,
                len(records),
                failures,
                type(exc).__name__,
                pause,
            )
            await sleep(pause)
            raise
        failures = 0

    return guarded


def header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers:
        if key == name:
            return (value or b"").decode("utf-8", "replace")
    return None


def dumps(value: BaseModel | dict[str, Any]) -> bytes:
    if isinstance(value, BaseModel):
        return value.__pydantic_serializer__.to_json(value)
    return orjson.dumps(value)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to publish: topic (without prefix), key, JSON value, headers."""

    topic: str
    key: str | None
    value: bytes
    headers: dict[str, str] | None = None


async def publish_all(broker: KafkaBroker, settings: Settings, records: Iterable[Outgoing]) -> int:
    """Send every record (batched per partition), then wait until all are acked.

    The batches go through :mod:`shared.adapters.batch_publish` when the broker's own
    aiokafka producer is at hand; otherwise (not started, middlewares, TestKafkaBroker)
    each record goes through FastStream's ``publish``.

    Raises if any send failed: the caller's batch is then nacked and redelivered, and the
    idempotent consumers downstream absorb whatever part had already been written.
    """
    producer = aiokafka_producer(broker)
    records = list(records)
    if producer is None:  # not connected, middlewares, or FastStream changed: its path
        sent = [
            await broker.publish(
                r.value,
                settings.topic(r.topic),
                key=r.key.encode() if r.key is not None else None,
                headers=r.headers,
                no_confirm=True,
            )
            for r in records
        ]
        # TestKafkaBroker's fake producer runs the subscribers inline and returns None
        futures = [f for f in sent if f is not None]
    else:
        futures = await send_batched(producer, settings, records)
    if futures:
        await asyncio.gather(*futures)
    return len(records)


def document_outputs(broker: KafkaBroker, settings: Settings, outputs: dict[str, Any]) -> None:
    """Declare what a service publishes (topic → pydantic model) for its AsyncAPI document.

    Publishing itself goes through :func:`publish_all`; these declarations only describe.
    """
    for topic, model in outputs.items():
        broker.publisher(
            settings.topic(topic),
            schema=model,
            title=f"{topic}:publish",
            description=(model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else None,
        )


def asyncapi_app(app: Any, outputs: dict[str, Any]) -> Any:
    """A FastStream app around a service's (unconnected) broker, for ``faststream docs``."""
    from faststream import FastStream
    from faststream.specification import AsyncAPI

    deps = app.state.deps
    document_outputs(deps.runtime.broker, deps.settings, outputs)
    return FastStream(
        deps.runtime.broker,
        specification=AsyncAPI(title=app.title, version="1", description=app.description),
    )
