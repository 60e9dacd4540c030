"""Token bucket with an injected clock: burst, refill, try_acquire, wait_time, acquire."""

from __future__ import annotations

import asyncio

import pytest

from shared import ratelimit
from shared.ratelimit import TokenBucket


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_starts_full_and_allows_a_burst(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.try_acquire() for _ in range(4)] == [True, True, True, False]
    assert bucket.try_acquire() is False  # stays empty while time stands still


def test_refills_at_the_rate(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    for _ in range(3):
        assert bucket.try_acquire()
    clock.advance(0.25)  # half a token
    assert bucket.try_acquire() is False
    clock.advance(0.25)  # one token
    assert bucket.try_acquire() is True
    assert bucket.try_acquire() is False
    clock.advance(1.0)  # two tokens
    assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]


def test_never_saves_more_than_the_burst(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    clock.advance(3600)
    assert sum(bucket.try_acquire() for _ in range(20)) == 5


def test_try_acquire_several_tokens(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=1, burst=4, clock=clock)
    assert bucket.try_acquire(3) is True
    assert bucket.try_acquire(2) is False  # one left: a failed try takes nothing
    assert bucket.try_acquire(1) is True
    assert bucket.try_acquire(0.5) is False
    clock.advance(0.5)
    assert bucket.try_acquire(0.5) is True


def test_wait_time(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=2, burst=2, clock=clock)
    assert bucket.wait_time() == 0.0
    assert bucket.try_acquire(2)
    assert bucket.wait_time() == pytest.approx(0.5)
    assert bucket.wait_time(2) == pytest.approx(1.0)
    clock.advance(0.2)
    assert bucket.wait_time() == pytest.approx(0.3)
    clock.advance(0.3)
    assert bucket.wait_time() == 0.0
    assert bucket.try_acquire() is True
    # wait_time only looks: it never takes a token
    clock.advance(10)
    assert bucket.wait_time() == 0.0
    assert bucket.wait_time() == 0.0
    assert [bucket.try_acquire() for _ in range(3)] == [True, True, False]


def test_fractional_rate(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=0.1, burst=1, clock=clock)  # one every ten seconds
    assert bucket.try_acquire()
    assert bucket.wait_time() == pytest.approx(10.0)
    clock.advance(9.9)
    assert bucket.try_acquire() is False
    clock.advance(0.1)
    assert bucket.try_acquire() is True


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 5), (1, 0), (1, 0.5)])
def test_rejects_bad_parameters(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="rate must be > 0"):
        TokenBucket(rate=rate, burst=burst)


def test_default_clock_is_monotonic() -> None:
    bucket = TokenBucket(rate=1000, burst=1)
    assert bucket.try_acquire()
    assert 0.0 <= bucket.wait_time() <= 0.001


REAL_SLEEP = asyncio.sleep


class FakeSleep:
    """Sleeping advances the fake clock (and yields to the loop once)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)
        await REAL_SLEEP(0)


async def test_acquire_waits_on_the_fake_clock(clock: FakeClock) -> None:
    sleep = FakeSleep(clock)
    bucket = TokenBucket(rate=4, burst=2, clock=clock, sleep=sleep)
    start = clock.now
    waited = [await bucket.acquire() for _ in range(6)]
    # two from the burst, then one every quarter second
    assert clock.now - start == pytest.approx(1.0)
    assert sleep.calls == pytest.approx([0.25] * 4)
    assert waited == pytest.approx([0.0, 0.0, 0.25, 0.25, 0.25, 0.25])


async def test_acquire_does_not_wait_when_tokens_are_there(clock: FakeClock) -> None:
    sleep = FakeSleep(clock)
    bucket = TokenBucket(rate=1, burst=3, clock=clock, sleep=sleep)
    assert await bucket.acquire(3) == 0.0
    assert sleep.calls == []
    assert await bucket.acquire(2) == pytest.approx(2.0)
    assert bucket.try_acquire() is False


async def test_acquire_serves_callers_in_arrival_order(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=1, burst=1, clock=clock, sleep=FakeSleep(clock))
    served: list[tuple[int, float]] = []

    async def caller(i: int) -> None:
        await bucket.acquire()
        served.append((i, clock.now))

    start = clock.now
    await asyncio.gather(*(caller(i) for i in range(5)))
    assert [i for i, _ in served] == [0, 1, 2, 3, 4]
    assert [at - start for _, at in served] == pytest.approx([0, 1, 2, 3, 4])


async def test_acquire_uses_asyncio_sleep_by_default(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSleep(clock)
    monkeypatch.setattr(ratelimit.asyncio, "sleep", fake)
    bucket = TokenBucket(rate=2, burst=1, clock=clock)
    await bucket.acquire()
    await bucket.acquire()
    assert fake.calls == pytest.approx([0.5])


@pytest.mark.parametrize("tokens", [0, -1, 4])
def test_impossible_requests_are_refused(clock: FakeClock, tokens: float) -> None:
    """Zero, negative or more than the burst could never be satisfied (or would be
    free): refused outright instead of waiting forever."""
    bucket = TokenBucket(rate=1, burst=3, clock=clock)
    with pytest.raises(ValueError, match="tokens must be"):
        bucket.try_acquire(tokens)
    with pytest.raises(ValueError, match="tokens must be"):
        bucket.wait_time(tokens)


async def test_acquire_more_than_the_burst_is_refused(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=100, burst=1, clock=clock, sleep=FakeSleep(clock))
    with pytest.raises(ValueError, match="tokens must be"):
        await asyncio.wait_for(bucket.acquire(2), timeout=5)


def test_clock_going_backwards_adds_nothing(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=1, burst=2, clock=clock)
    assert bucket.try_acquire(2)
    clock.advance(-100)
    assert bucket.try_acquire() is False
    clock.advance(1)
    assert bucket.try_acquire() is True
