"""Token buckets and the per-provider registry, on a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio

import pytest

from shared.ratelimit import TokenBucket


class FakeTime:
    """A monotonic clock and a sleep that advances it instead of waiting."""

    def __init__(self) -> None:
        self.now = 500.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let other waiters run, as a real sleep would


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def bucket(fake: FakeTime, rate: float, burst: float) -> TokenBucket:
    return TokenBucket(rate, burst, clock=fake.clock, sleep=fake.sleep)


def test_burst_then_refill(fake: FakeTime) -> None:
    b = bucket(fake, rate=5, burst=2)
    assert [b.try_acquire() for _ in range(3)] == [True, True, False]
    fake.now += 0.1  # half a token
    assert not b.try_acquire()
    fake.now += 0.1
    assert b.try_acquire()
    fake.now += 100
    assert b.available == 2  # never more than the burst


def test_try_acquire_never_waits(fake: FakeTime) -> None:
    b = bucket(fake, rate=1, burst=1)
    assert b.try_acquire()
    assert not b.try_acquire()
    assert fake.slept == []
    assert b.wait_time() == pytest.approx(1.0)


async def test_acquire_waits_exactly_as_long_as_needed(fake: FakeTime) -> None:
    b = bucket(fake, rate=10, burst=3)
    start = fake.now
    waited = [await b.acquire() for _ in range(8)]
    assert waited[:3] == [0.0, 0.0, 0.0]
    assert waited[3:] == pytest.approx([0.1] * 5)
    assert fake.now - start == pytest.approx(0.5)


async def test_concurrent_waiters_are_served_in_order_at_the_rate(fake: FakeTime) -> None:
    b = bucket(fake, rate=2, burst=1)
    served: list[tuple[int, float]] = []

    async def sender(i: int) -> None:
        await b.acquire()
        served.append((i, fake.now))

    start = fake.now
    await asyncio.gather(*(sender(i) for i in range(5)))
    assert [i for i, _ in served] == [0, 1, 2, 3, 4]
    assert [t - start for _, t in served] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])


def test_several_tokens_and_limits(fake: FakeTime) -> None:
    b = bucket(fake, rate=1, burst=4)
    assert b.try_acquire(3)
    assert not b.try_acquire(2)
    assert b.try_acquire(1)
    with pytest.raises(ValueError, match="burst"):
        b.try_acquire(5)  # could never be satisfied
    with pytest.raises(ValueError, match="tokens"):
        b.try_acquire(0)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-2, 3), (1, 0.5)])
def test_bad_parameters(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="rate must be > 0"):
        TokenBucket(rate, burst)


def test_rate_keyword_alias() -> None:
    assert TokenBucket(rate=3, burst=2).rate_per_s == 3 == TokenBucket(3, 2).rate
