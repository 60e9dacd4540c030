"""Pins of the aiokafka and FastStream internals ``shared.adapters.batch_publish`` leans
on, without a broker (the started-broker pins are in
tests/integration/adapters/test_batch_publish_broker.py). A failure here means a library
upgrade changed what the batch path calls."""

from __future__ import annotations

import inspect
import itertools

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from faststream import BaseMiddleware
from faststream.exceptions import IncorrectState
from faststream.kafka import KafkaBroker
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.batch_publish import aiokafka_producer, key_partitioner
from shared.kafka import make_broker
from shared.settings import Settings


@given(st.binary(max_size=64), st.integers(min_value=1, max_value=64))
def test_keyed_records_land_where_the_default_partitioner_puts_them(key: bytes, n: int) -> None:
    partitions = list(range(n))
    assert key_partitioner(key, partitions, partitions) == DefaultPartitioner()(key, partitions, [])


def test_unkeyed_records_go_to_an_available_partition() -> None:
    assert key_partitioner(None, [0, 1, 2], [2]) == 2
    assert key_partitioner(None, [0, 1, 2], []) in (0, 1, 2)


def _params(function: object) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_producer_batch_api_has_the_signatures_the_batch_path_calls() -> None:
    assert list(_params(AIOKafkaProducer.create_batch)) == ["self"]  # default size
    send_batch = _params(AIOKafkaProducer.send_batch)
    assert list(send_batch)[:3] == ["self", "batch", "topic"]
    assert send_batch["partition"].kind is inspect.Parameter.KEYWORD_ONLY
    assert inspect.iscoroutinefunction(AIOKafkaProducer.send_batch)
    assert {"key", "headers", "partition"} <= set(_params(AIOKafkaProducer.send))
    assert inspect.iscoroutinefunction(AIOKafkaProducer.send)
    assert inspect.iscoroutinefunction(AIOKafkaProducer.partitions_for)


async def test_a_batch_takes_records_until_full_then_says_none() -> None:
    """``send_batched`` appends until ``append`` returns None, then submits the batch and
    starts the next one with the record that did not fit."""
    producer = AIOKafkaProducer(bootstrap_servers="localhost:1", max_batch_size=1024)
    try:
        batch = producer.create_batch()
        headers = [("content-type", b"application/json")]
        appended = [
            batch.append(timestamp=None, key=b"k", value=b"x" * 100, headers=headers)
            for _ in range(20)
        ]
    finally:
        await producer.stop()
    taken = list(itertools.takewhile(lambda a: a is not None, appended))
    assert 1 <= len(taken) < 20
    assert all(a is None for a in appended[len(taken) :])
    assert set(inspect.signature(batch.append).parameters) == {
        "timestamp",
        "key",
        "value",
        "headers",
    }


def test_an_unstarted_broker_has_no_producer_to_reach() -> None:
    """``aiokafka_producer`` reads ``broker.config.producer._producer.producer``; before
    ``start`` FastStream raises IncorrectState there, and the adapter says None."""
    broker = make_broker(Settings(), client_id="pin")
    assert not broker.config.broker_middlewares
    with pytest.raises(IncorrectState):
        broker.config.producer._producer.producer  # noqa: B018
    assert aiokafka_producer(broker) is None


def test_middlewares_are_where_the_adapter_looks_for_them() -> None:
    broker = KafkaBroker("localhost:1", middlewares=[BaseMiddleware])
    assert list(broker.config.broker_middlewares) == [BaseMiddleware]
    assert aiokafka_producer(broker) is None
