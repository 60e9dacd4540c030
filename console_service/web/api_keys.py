"""What the console's key-authenticated APIs (report status for sources, the CAP feed for
agencies) share: the key a request presents, and a per-caller request limit."""

from __future__ import annotations

from fastapi import HTTPException

from shared.ratelimit import TokenBucket


def presented(x_api_key: str | None, authorization: str | None, what: str) -> str:
    """The key in ``X-API-Key``, else in ``Authorization: Bearer``; 401 without one."""
    key = x_api_key or (
        authorization.removeprefix("Bearer ").strip()
        if authorization and authorization.startswith("Bearer ")
        else None
    )
    if not key:
        raise HTTPException(
            401, {"error": "unauthorized", "message": f"missing {what} (X-API-Key or Bearer)"}
        )
    return key


class CallerLimits:
    """``per_minute`` requests per caller (a token bucket each); over it, 429."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}

    def spend(self, caller: str, per_minute: int) -> None:
        bucket = self._buckets.setdefault(caller, TokenBucket(per_minute / 60, burst=per_minute))
        if not bucket.try_acquire():
            raise HTTPException(
                429,
                {"error": "rate_limited", "message": f"over {per_minute} requests/min"},
                headers={"Retry-After": "1"},
            )
