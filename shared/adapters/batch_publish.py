"""Batch publishing: records sent straight to the broker's aiokafka producer, one batch per
partition, past FastStream's per-record ``publish``.

What it adapts: :func:`shared.kafka.publish_all` (a list of records to send and await)
onto aiokafka's batch API, through the producer FastStream started (same ``acks=all``,
idempotence, compression, :func:`key_partitioner`).

Why (``python -m bench.publish``, CPU per record): FastStream's ``publish`` wraps each
send in a command object, a correlation id and header encoding (~40 µs against ~20 µs
for the aiokafka send itself), and a ``send`` per record builds a future and a queue
entry for each (~25 µs) where a batch costs that once. aiokafka's murmur2 is pure Python
(~10 µs a key) and our keys repeat, so the key hash is memoised.

Library internals it relies on (pinned by ``tests/unit/adapters/test_batch_publish_internals.py``
and, on a real broker, ``tests/integration/adapters/test_batch_publish_broker.py``):

- FastStream: ``broker.config.producer._producer.producer`` is the started
  ``AIOKafkaProducer`` (raises before start); ``broker.config.broker_middlewares``;
- aiokafka: ``producer.create_batch()``, ``batch.append(timestamp=, key=, value=,
  headers=)`` returning None when the batch is full, ``await producer.send_batch(batch,
  topic, partition=)``, ``await producer.partitions_for(topic)``, and
  ``aiokafka.partitioner.murmur2`` agreeing with ``DefaultPartitioner``.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker

from shared.settings import Settings


class Record(Protocol):
    """What a record to publish carries (``shared.kafka.Outgoing``)."""

    @property
    def topic(self) -> str: ...
    @property
    def key(self) -> str | None: ...
    @property
    def value(self) -> bytes: ...
    @property
    def headers(self) -> dict[str, str] | None: ...


@functools.lru_cache(maxsize=8192)
def _key_hash(key: bytes) -> int:
    hashed: int = murmur2(key)  # aiokafka ships no types
    return hashed & 0x7FFFFFFF


def key_partitioner(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """aiokafka's default partitioner (Java's murmur2, so other clients agree on a key's
    partition) with the hash memoised: aiokafka's murmur2 is pure Python (~10 µs a key),
    and our keys repeat (routed alerts by team, delivery events by alert)."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[_key_hash(key) % len(all_partitions)]


def aiokafka_producer(broker: KafkaBroker) -> AIOKafkaProducer | None:
    """The broker's started aiokafka producer (same durable settings), or None.

    FastStream's ``publish`` wraps each send in a command object, a correlation id (uuid4)
    and header encoding: ~40 µs of CPU per record against ~20 µs for the send itself
    (``python -m bench.publish``), for every record every service writes. Records carry
    our own headers plus ``content-type``. A broker with middlewares keeps FastStream's
    path (they would be bypassed). ``tests/integration/adapters/test_batch_publish_broker.py``
    checks this path is taken.
    """
    if broker.config.broker_middlewares:  # publish middlewares must see every record
        return None
    try:
        # FastStream's private producer state: not in its ProducerProto type
        producer = broker.config.producer._producer.producer  # type: ignore[attr-defined]
    except Exception:  # not connected (FastStream raises IncorrectState), or renamed
        return None
    return producer if isinstance(producer, AIOKafkaProducer) else None


BIG_RECORD = 64 * 1024  # bytes; larger records take aiokafka's checked single-record path


async def send_batched(
    producer: AIOKafkaProducer, settings: Settings, records: Sequence[Record]
) -> list[Any]:
    """Fill one aiokafka batch per partition and submit the batches (``send_batch``).

    ``producer.send`` per record built a future and a queue entry for each (~25 µs of CPU
    a record, ``python -m bench.publish``); a batch costs that once. Partitions are chosen
    as ``send`` would (:func:`key_partitioner`), so keyed records keep their partition and
    order; the producer's idempotence, acks and compression apply to batches alike.
    """
    partitions: dict[str, list[int]] = {}
    batches: dict[tuple[str, int], Any] = {}
    futures: list[Any] = []
    for r in records:
        topic = settings.topic(r.topic)
        key = r.key.encode() if r.key is not None else None
        headers = [JSON_HEADER, *((k, v.encode()) for k, v in (r.headers or {}).items())]
        if topic not in partitions:
            partitions[topic] = sorted(await producer.partitions_for(topic))
        partition = key_partitioner(key, partitions[topic], partitions[topic])
        if len(r.value) > BIG_RECORD:  # after what its partition holds so far: order kept
            pending = batches.pop((topic, partition), None)
            if pending is not None:
                futures.append(await producer.send_batch(pending, topic, partition=partition))
            futures.append(
                await producer.send(topic, r.value, key=key, headers=headers, partition=partition)
            )
            continue
        batch = batches.get((topic, partition))
        if batch is not None and batch.append(
            timestamp=None, key=key, value=r.value, headers=headers
        ):
            continue
        if batch is not None:  # full: submit it, start the next one
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        batch = batches[topic, partition] = producer.create_batch()
        batch.append(timestamp=None, key=key, value=r.value, headers=headers)  # first fits
    for (topic, partition), batch in batches.items():
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    return futures


JSON_HEADER = ("content-type", b"application/json")
