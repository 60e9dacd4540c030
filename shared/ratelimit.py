"""Token buckets in one process: per-source API limits and per-sender report limits
(ingest), login attempts (console). Provider send limits are shared by every notify
instance and live in notify (``notify_service.limits``, ``notify_service.limiter``).

A bucket belongs
to one event loop (not thread-safe; :class:`KeyedLimits` is); the clock and the sleep are
injectable so tests run on a fake clock without waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
EPSILON = 1e-9  # float dust: 0.1 s x 10/s must make a whole token, not 0.9999999999
Sleep = Callable[[float], Awaitable[object]]


class TokenBucket:
    """``rate_per_s`` tokens per second, at most ``burst`` saved up (starts full)."""

    def __init__(
        self,
        rate_per_s: float | None = None,
        burst: float = 1.0,
        *,
        rate: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep | None = None,
    ) -> None:
        """``rate`` is an alias of ``rate_per_s``; ``sleep`` defaults to ``asyncio.sleep``
        looked up at call time (so tests may patch it)."""
        per_s = rate_per_s if rate_per_s is not None else rate
        if per_s is None or per_s <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate_per_s, self.burst = float(per_s), float(burst)
        self._clock, self._sleep = clock, sleep
        self._tokens, self._at = float(burst), clock()
        self._lock = asyncio.Lock()

    @property
    def rate(self) -> float:
        """Alias of ``rate_per_s`` (older callers)."""
        return self.rate_per_s

    @property
    def available(self) -> float:
        """Tokens available now."""
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._at)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)
        self._at = now

    def _check(self, tokens: float) -> None:
        if tokens <= 0 or tokens > self.burst:
            raise ValueError(f"tokens must be in (0, burst={self.burst:g}], got {tokens:g}")

    def try_acquire(self, tokens: float = 1.0) -> bool:
        """Take ``tokens`` now if they are there; never waits."""
        self._check(tokens)
        self._refill()
        if self._tokens + EPSILON >= tokens:
            self._tokens = max(0.0, self._tokens - tokens)
            return True
        return False

    def wait_time(self, tokens: float = 1.0) -> float:
        """Seconds until ``tokens`` would be available (0 when they are)."""
        self._check(tokens)
        self._refill()
        missing = tokens - self._tokens
        return 0.0 if missing <= EPSILON else missing / self.rate_per_s

    async def acquire(self, tokens: float = 1.0) -> float:
        """Wait until ``tokens`` are available and take them; returns the seconds waited.

        Waiters are served in arrival order (the lock is FIFO), so a burst of sends
        cannot starve an earlier one.
        """
        self._check(tokens)
        waited = 0.0
        async with self._lock:
            while not self.try_acquire(tokens):
                delay = self.wait_time(tokens)
                waited += delay
                await (self._sleep or asyncio.sleep)(delay)
        return waited


class KeyedLimits:
    """A token bucket per key (a reporter's phone or chat user), for the parse threads:
    ``allow(key)`` is thread-safe. At most ``max_keys`` buckets are kept, the least recently
    used dropped first, so a flood of invented senders cannot grow memory; a dropped
    sender starts again with a full bucket, which only ever errs on the side of accepting."""

    def __init__(self, per_minute: int, *, max_keys: int = 100_000, clock: Clock = time.monotonic):
        self.per_minute, self.max_keys, self._clock = per_minute, max_keys, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst = self.per_minute / 60.0, self.per_minute
                bucket = TokenBucket(rate, burst=burst, clock=self._clock)
                self._buckets[key] = bucket
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
            return bucket.try_acquire()
