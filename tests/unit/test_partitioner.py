"""Our memoised partitioner must agree with aiokafka's (and so Java's) default."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from shared.kafka import key_partitioner


@given(st.binary(max_size=64), st.integers(min_value=1, max_value=64))
def test_keyed_records_land_where_the_default_partitioner_puts_them(key: bytes, n: int) -> None:
    partitions = list(range(n))
    assert key_partitioner(key, partitions, partitions) == DefaultPartitioner()(key, partitions, [])


def test_unkeyed_records_go_to_an_available_partition() -> None:
    assert key_partitioner(None, [0, 1, 2], [2]) == 2
    assert key_partitioner(None, [0, 1, 2], []) in (0, 1, 2)
