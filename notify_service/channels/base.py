"""The contract every delivery channel implements, and its two kinds of failure.

Why direct httpx/aiosmtplib clients and not Apprise
---------------------------------------------------
Apprise was considered (it knows ~100 services). It does not fit the delivery engine:

* **Outcome, not a bool.** ``Apprise.notify()`` / ``async_notify()`` return ``True``/
  ``False`` (failures are only logged). The engine needs to know *why* a send failed:
  a timeout, 5xx or 429 is retried with backoff (and the provider's ``Retry-After``),
  a 4xx or a rejected address falls back to the member's next channel at once.
  Here that is :class:`TransientError` vs :class:`PermanentError`.
* **Provider message id.** We record the provider's id (Telegram ``message_id``,
  WhatsApp ``wamid``, SMTP ``Message-ID``) in the delivery log; Apprise drops it.
* **Idempotency keys.** Our delivery key goes where the provider takes one (HTTP SMS
  ``reference``, SMTP ``Message-ID``, webhook ``X-Timpora-Delivery``, Kannel
  ``dlr-url``) so a retry is recognisable downstream.
* **Exact request shapes.** Kannel's ``sendsms`` (which Apprise has no plugin for), with
  ``coding=2`` for UCS-2 and ``dlr-mask``/``smsc``; Telegram's inline ack button;
  WhatsApp Cloud API paths; our signed webhook. Each is tested against a local server
  speaking the provider's protocol.
* **Async I/O.** Apprise plugins use blocking ``requests`` (``async_notify`` runs them in
  threads); here every channel shares one pooled ``httpx.AsyncClient`` with timeouts.
* **PII control.** We decide exactly what leaves the process; URL-style Apprise configs
  also put credentials in strings that end up in logs.

Each channel is ~50 lines, so owning them costs little.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

from shared.pii import scrub_text

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
ERROR_BODY_CHARS = 200
TRANSIENT_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class OutgoingMessage:
    to_address: str
    subject: str
    text: str
    delivery_key: str  # our idempotency key, passed to the provider where it takes one
    payload: bytes | None = None  # machine-readable alert (webhook)
    ack_code: str | None = None  # for channels with an ack button (Telegram)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None


class ChannelError(Exception):
    """A send failed. Messages are safe to log: PII is scrubbed, secrets never included."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub_text(message))


class TransientError(ChannelError):
    """Worth retrying: timeouts, connection errors, 5xx, 429 (``retry_after`` seconds)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ChannelError):
    """Retrying cannot help (bad address, rejected credentials, 4xx): fall back instead."""


@runtime_checkable
class Channel(Protocol):
    name: str

    async def send(self, msg: OutgoingMessage) -> SendResult: ...

    async def aclose(self) -> None: ...


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def short_body(response: httpx.Response) -> str:
    """The start of a response body, for an error message (scrubbed by ChannelError)."""
    try:
        text = response.text
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return "<unreadable body>"
    return " ".join(text.split())[:ERROR_BODY_CHARS]


def is_transient_status(status: int) -> bool:
    return status >= 500 or status in TRANSIENT_STATUSES


def raise_for_status(response: httpx.Response, provider: str) -> None:
    """Map an HTTP answer to our error kinds: 2xx passes, 408/425/429/5xx are transient,
    anything else (4xx, an unexpected redirect) is permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"{provider} HTTP {status}: {short_body(response)}"
    if is_transient_status(status):
        raise TransientError(message, parse_retry_after(response.headers.get("retry-after")))
    raise PermanentError(message)


def json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class HttpChannel:
    """Shared plumbing: one pooled client per channel, transport errors as TransientError.

    Exception messages name the error type only: httpx puts the URL in its messages and
    ours carry credentials (Kannel's password, the Telegram bot token).
    """

    name = "http"
    provider = "http"

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> None:
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=TIMEOUT if timeout is None else timeout,
            follow_redirects=False,
            headers={"User-Agent": "timpora-alert-router"},
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.client.request(method, url, **kwargs)
        except httpx.UnsupportedProtocol as exc:
            raise PermanentError(f"{self.provider}: unsupported URL scheme") from exc
        except httpx.InvalidURL as exc:
            raise PermanentError(f"{self.provider}: invalid URL") from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.provider}: timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{self.provider}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> HttpChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
