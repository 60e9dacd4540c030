"""The contract every delivery channel implements, and its two kinds of failure.

Channels are small httpx/aiosmtplib clients rather than Apprise: we need the exact
request shape of each provider (tested against local servers speaking it), a typed
distinction between a retryable failure and a permanent one, the provider's message id,
our delivery key passed as the provider's idempotency/reference field, and non-blocking
async I/O. Apprise's notify() returns a bool and runs providers synchronously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class OutgoingMessage:
    to_address: str
    subject: str
    text: str
    delivery_key: str  # our idempotency key, passed to the provider where it takes one
    payload: bytes | None = None  # machine-readable alert (webhook)
    ack_code: str | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None


class TransientError(Exception):
    """Worth retrying: timeouts, connection errors, 5xx, 429."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Retrying cannot help (bad address, rejected credentials, 4xx): fall back instead."""


class Channel(Protocol):
    name: str

    async def send(self, msg: OutgoingMessage) -> SendResult: ...

    async def aclose(self) -> None: ...


def raise_for_status(response: httpx.Response, provider: str) -> None:
    """Map an HTTP answer to our error kinds (the body is short-quoted for the log)."""
    if response.status_code < 300:
        return
    body = response.text[:200]
    if response.status_code == 429 or response.status_code >= 500:
        retry = response.headers.get("retry-after")
        raise TransientError(
            f"{provider} HTTP {response.status_code}: {body}",
            float(retry) if retry and retry.isdigit() else None,
        )
    raise PermanentError(f"{provider} HTTP {response.status_code}: {body}")


class HttpChannel:
    """Shared plumbing: one pooled client, transport errors as TransientError."""

    name = "http"

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT)

    async def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            return await self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise TransientError(f"{self.name}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        await self.client.aclose()
