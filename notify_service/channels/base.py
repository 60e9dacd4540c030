"""The contract every delivery channel implements, and its two kinds of failure.

Why direct aiohttp/aiosmtplib clients and not Apprise
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
  threads); here each channel keeps one pooled ``aiohttp.ClientSession`` with timeouts.
  aiohttp rather than httpx: at 32 requests in flight httpx spent ~4.6 ms CPU per call
  (httpcore scans its whole pool on every request), aiohttp ~0.26 ms
  (``python -m bench.http_clients``) — it was most of notify's CPU.
* **PII control.** We decide exactly what leaves the process; URL-style Apprise configs
  also put credentials in strings that end up in logs.

Each channel is ~50 lines, so owning them costs little.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

import aiohttp
import orjson
from yarl import URL

from shared.pii import scrub_text

TIMEOUT_S, CONNECT_TIMEOUT_S = 10.0, 5.0
POOL_LIMIT = 64  # connections per channel (notify also bounds sends in flight per channel)
ERROR_BODY_CHARS = 200
TRANSIENT_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class OutgoingMessage:
    to_address: str
    subject: str
    text: str
    delivery_key: str  # our idempotency key, passed to the provider where it takes one
    payload: bytes | None = None  # machine-readable alert (webhook)
    ack_code: str | None = None  # for channels with an ack button (Telegram, WhatsApp)
    # WhatsApp's 24 h window: the recipient's last message to us (None: never), and the
    # alert's masked template parameters (language, values) for use outside the window.
    last_inbound_at: datetime | None = None
    template: tuple[str, tuple[str, ...]] | None = None
    # A one-time code (the text carries it too): WhatsApp sends it outside the window as
    # the authentication template, in ``language``.
    one_time_code: str | None = None
    language: str = "id"


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None


class ChannelError(Exception):
    """A send failed. Messages are safe to log: PII is scrubbed, secrets never included."""

    def __init__(self, message: str) -> None:
        super().__init__(scrub_text(message))


class TransientError(ChannelError):
    """Worth retrying: timeouts, connection errors, 5xx, 429 (``retry_after`` seconds).
    ``throttled``: the provider's rate limit (429): the account's buckets are blocked for
    every instance until ``retry_after``, and the attempt does not count towards giving up."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, throttled: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.throttled = throttled


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


@dataclass(frozen=True)
class HttpAnswer:
    """A provider's HTTP answer, read whole (provider answers are small)."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return orjson.loads(self.content)


def short_body(response: HttpAnswer) -> str:
    """The start of a response body, for an error message (scrubbed by ChannelError)."""
    return " ".join(response.text.split())[:ERROR_BODY_CHARS]


def is_transient_status(status: int) -> bool:
    return status >= 500 or status in TRANSIENT_STATUSES


def raise_for_status(response: HttpAnswer, provider: str) -> None:
    """Map an HTTP answer to our error kinds: 2xx passes, 408/425/429/5xx are transient,
    anything else (4xx, an unexpected redirect) is permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"{provider} HTTP {status}: {short_body(response)}"
    if is_transient_status(status):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise TransientError(message, retry_after, throttled=status == 429)
    raise PermanentError(message)


def json_or_none(response: HttpAnswer) -> Any:
    try:
        return response.json()
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        return None


class HttpChannel:
    """Shared plumbing: one pooled session per channel, transport errors as TransientError.

    Exception messages name the error type only: aiohttp puts the URL in its messages and
    ours carry credentials (Kannel's password, the Telegram bot token). The session is
    created on first use inside the running event loop (and again if the loop changed).
    """

    name = "http"
    provider = "http"

    def __init__(self, timeout: float | None = None) -> None:
        total = TIMEOUT_S if timeout is None else float(timeout)
        self.timeout = aiohttp.ClientTimeout(total=total, connect=min(CONNECT_TIMEOUT_S, total))
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session_here(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=POOL_LIMIT, ttl_dns_cache=300),
                timeout=self.timeout,
                headers={"User-Agent": "timpora-alert-router"},
                json_serialize=lambda v: orjson.dumps(v).decode(),
            )
            self._loop = loop
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        if params:  # encoded here, once, as form-style query (space as "+")
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        body, all_headers = content, dict(headers or {})
        if json is not None:
            body = orjson.dumps(json)
            all_headers.setdefault("Content-Type", "application/json")
        try:
            target = URL(url, encoded=True)
            if target.scheme not in ("http", "https") or not target.host:
                raise PermanentError(f"{self.provider}: unsupported URL scheme")
            async with self._session_here().request(
                method, target, data=body, headers=all_headers, allow_redirects=False
            ) as response:
                return HttpAnswer(response.status, response.headers, await response.read())
        except (ValueError, aiohttp.InvalidURL) as exc:
            raise PermanentError(f"{self.provider}: invalid URL") from exc
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutError subclasses
            raise TransientError(f"{self.provider}: timeout ({type(exc).__name__})") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"{self.provider}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> HttpChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
