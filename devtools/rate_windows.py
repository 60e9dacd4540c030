"""Request rates as a provider measures them: arrival times per key (an account, a chat)
and sliding-window limits over them.

``RateWindows.hit(key, now)`` records a request; ``retry_after(key, count, window, now)``
is ``None`` while fewer than ``count`` requests arrived in the last ``window`` seconds,
else the whole seconds until the oldest of them leaves the window (what a provider puts in
its 429: Telegram's ``parameters.retry_after``, an HTTP ``Retry-After``).
``max_in_window(key, window)`` is the most requests any window ``[t, t + window)`` held:
what a test asserts against the limit.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict


class RateWindows:
    def __init__(self) -> None:
        self.times: defaultdict[str, list[float]] = defaultdict(list)  # sorted (monotonic)

    def hit(self, key: str, now: float) -> None:
        self.times[key].append(now)

    def count(self, key: str, window: float, now: float) -> int:
        """Requests in ``(now - window, now]``."""
        times = self.times.get(key, [])
        return bisect_right(times, now) - bisect_right(times, now - window)

    def retry_after(self, key: str, count: float, window: float, now: float) -> int | None:
        times = self.times.get(key, [])
        start = bisect_right(times, now - window)
        if bisect_right(times, now) - start < count:
            return None
        oldest = times[bisect_right(times, now) - int(count)]  # leaves, then one more fits
        return max(1, math.ceil(oldest + window - now))

    def max_in_window(self, key: str, window: float) -> int:
        times = self.times.get(key, [])
        return max((bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)

    def tracked(self) -> list[str]:
        return list(self.times)
