"""``shared.adapters.batch_publish`` on the local Kafka broker: the FastStream internals it
reaches into give the started aiokafka producer, records sent by batch land where
aiokafka's ``send`` would put them with the same headers, big records keep their order,
and a broker with middlewares keeps FastStream's path."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from faststream import BaseMiddleware

from shared.adapters.batch_publish import BIG_RECORD, aiokafka_producer, key_partitioner
from shared.kafka import Outgoing, make_broker, publish_all
from shared.settings import Settings
from tests.kafkautil import RAW, consume

pytestmark = pytest.mark.kafka


async def test_a_started_broker_hands_over_its_own_producer(kafka_settings: Settings) -> None:
    broker = make_broker(kafka_settings, client_id="test-reach")
    assert aiokafka_producer(broker) is None  # not started: FastStream's path
    await broker.start()
    try:
        raw = aiokafka_producer(broker)
        assert isinstance(raw, AIOKafkaProducer)
        assert raw is broker.config.producer._producer.producer  # FastStream's own
        assert raw._txn_manager is not None  # idempotence on (acks=all)
        assert raw._partitioner is key_partitioner
    finally:
        await broker.stop()
    assert aiokafka_producer(broker) is None  # stopped


async def test_batched_records_land_where_send_would_put_them(kafka_settings: Settings) -> None:
    """Partition by aiokafka's DefaultPartitioner, our headers plus ``content-type``, and
    none of FastStream's (no ``correlation_id``: the batch path was taken)."""
    broker = make_broker(kafka_settings, client_id="test-batched")
    sent = [Outgoing(RAW, f"k{i}", f"v{i}".encode(), {"x-n": str(i)}) for i in range(30)]
    await broker.start()
    try:
        assert await publish_all(broker, kafka_settings, sent) == len(sent)
    finally:
        await broker.stop()
    records = await consume(kafka_settings, RAW, len(sent))
    assert len(records) == len(sent)
    partitions = [0, 1, 2]
    for record in records:
        assert record.key is not None
        n = record.key.decode().removeprefix("k")
        assert record.value == f"v{n}".encode()
        assert record.partition == DefaultPartitioner()(record.key, partitions, partitions)
        assert list(record.headers) == [
            ("content-type", b"application/json"),
            ("x-n", n.encode()),
        ]


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
        sent = [Outgoing(RAW, "team-1", v) for v in values]
        assert await publish_all(broker, kafka_settings, sent) == len(values)
    finally:
        await broker.stop()
    records = await consume(kafka_settings, RAW, len(values))
    assert [r.value for r in records] == values


async def test_a_broker_with_middlewares_publishes_through_faststream(
    kafka_settings: Settings,
) -> None:
    broker = make_broker(kafka_settings, client_id="test-mw", middlewares=[BaseMiddleware])
    await broker.start()
    try:
        assert aiokafka_producer(broker) is None  # middlewares would be bypassed
        sent = [Outgoing(RAW, "k", b"via-faststream")]
        assert await publish_all(broker, kafka_settings, sent) == 1
    finally:
        await broker.stop()
    (record,) = await consume(kafka_settings, RAW, 1)
    assert record.value == b"via-faststream"
    assert "correlation_id" in dict(record.headers)  # FastStream's publish path
