"""Token buckets: per-source API limits (ingest) and per-provider send limits (notify)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up. Not thread-safe (asyncio)."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst, self._clock = rate, float(burst), clock
        self._tokens, self._at = float(burst), clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def try_acquire(self, tokens: float = 1.0) -> bool:
        self._refill()
        if self._tokens >= tokens:
            self._tokens -= tokens
            return True
        return False

    def wait_time(self, tokens: float = 1.0) -> float:
        self._refill()
        return max(0.0, (tokens - self._tokens) / self.rate)

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait until ``tokens`` are available; callers are served in arrival order."""
        async with self._lock:
            while not self.try_acquire(tokens):  # noqa: ASYNC110 - sleep until a token is due
                await asyncio.sleep(self.wait_time(tokens))
