"""Provider send limits shared by every notify instance: load -> decide -> persist.

Each send asks :meth:`ProviderLimiter.acquire` for a start time on its buckets (the
provider account's; for Telegram also the chat's, :func:`notify_service.limits.buckets_of`).
Asks are batched: every send waiting at that moment goes into one short transaction
(:class:`SharedBuckets`: the bucket rows locked ``FOR UPDATE`` with the database's time,
:func:`notify_service.limits.reserve` decides, the changed rows are written), so a claim
group of 128 sends costs one round trip, not 128. A granted start lies at most
``NOTIFY_RATE_HORIZON_SECONDS`` ahead and is waited for here; a start further ahead is
asked again nearer the time; a start beyond ``NOTIFY_RATE_MAX_WAIT_SECONDS`` sends the
delivery back to the retry loop (``acquire`` returns the seconds to wait: not an attempt,
and the row never stays ``sending`` long enough to look stale).

A provider's 429 (:meth:`ProviderLimiter.throttled`) blocks the send's buckets in the
table until its ``Retry-After`` for every instance; in this process, starts granted before
the block and not yet reached are asked again. Starts another instance was granted before
the block (at most a horizon ahead) still go.

SQLite (the component tier, one process) has no row locks: :class:`LocalBuckets` keeps the
same buckets in memory, per process, with the same decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify_service import buckets
from notify_service.limits import Ask, ChannelRules, Rule, blocked, buckets_of, reserve
from shared.db import is_sqlite, transaction
from shared.settings import NotifySettings

log = logging.getLogger(__name__)
T = TypeVar("T")
Decide = Callable[[float, dict[str, float]], tuple[dict[str, float], T]]


class BucketStore(Protocol):
    async def run(self, keys: set[str], decide: Decide[T]) -> tuple[float, T]:
        """Lock ``keys``, ``decide(now, next_free)`` -> (changes, result), save the changes;
        the store's time and the result."""
        ...


class SharedBuckets:
    """The buckets in PostgreSQL (``provider_buckets``), shared by every instance."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._known: set[str] = set()  # rows this process knows exist

    async def run(self, keys: set[str], decide: Decide[T]) -> tuple[float, T]:
        new = keys - self._known
        async with transaction(self.sessions) as session:
            if new:
                await buckets.create(session=session, keys=new)
            now, state = await buckets.lock(session=session, keys=keys)
            if gone := keys - state.keys():  # deleted since (the retention job: idle rows)
                await buckets.create(session=session, keys=gone)
                now, state = await buckets.lock(session=session, keys=keys)
            changes, result = decide(now, state)
            if changes:
                await buckets.save(session=session, next_free=changes)
        self._known |= new
        return now, result


class LocalBuckets:
    """The same buckets in this process only (SQLite: one process, no row locks)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.next_free: dict[str, float] = {}

    async def run(self, keys: set[str], decide: Decide[T]) -> tuple[float, T]:
        now = self.clock()
        changes, result = decide(now, {k: self.next_free[k] for k in keys if k in self.next_free})
        self.next_free.update(changes)
        return now, result


@dataclass(eq=False)
class _Waiter:
    buckets: tuple[tuple[str, float], ...]
    deadline: float  # local monotonic time
    ask_at: float
    future: asyncio.Future[tuple[str, float]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ProviderLimiter:
    """Start times for sends, from the buckets in ``store`` (see the module docstring)."""

    def __init__(
        self,
        store: BucketStore,
        rules: Mapping[str, ChannelRules],
        *,
        secret: str,
        margin: float = 0.05,
        horizon: float = 0.25,
        max_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.rules, self.secret = store, rules, secret
        self.margin, self.horizon, self.max_wait, self.clock = margin, horizon, max_wait, clock
        self._waiting: list[_Waiter] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._blocked: dict[str, float] = {}  # bucket -> local time of the last 429
        self.round_trips = 0  # store transactions (reservations and blocks)

    def buckets(self, channel: str, address: str) -> tuple[tuple[str, float], ...]:
        return buckets_of(channel, address, self.rules, self.margin, self.secret)

    async def acquire(self, channel: str, address: str) -> float | None:
        """Wait for this send's start (``None``: go now), or the seconds until its start
        when that is beyond ``max_wait`` (reschedule the delivery; nothing was taken)."""
        keys = self.buckets(channel, address)
        if not keys:
            return None
        deadline = self.clock() + self.max_wait
        while True:
            waiter = _Waiter(keys, deadline, self.clock())
            self._waiting.append(waiter)
            self._wake.set()
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._serve())
            try:
                kind, at = await waiter.future
            finally:
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
            if kind == "later":
                return at
            granted = self.clock()
            if at > granted:
                await asyncio.sleep(at - granted)
            if not any(self._blocked.get(key, -1.0) >= granted for key, _ in keys):
                return None
            # a 429 came while this start was waiting: ask again (the block holds it back)

    async def throttled(self, channel: str, address: str, retry_after: float | None) -> None:
        """A provider answered 429: block the send's buckets for every instance."""
        keys = [key for key, _ in self.buckets(channel, address)]
        if not keys:
            return
        now_local = self.clock()
        for key in keys:
            self._blocked[key] = now_local

        def decide(now: float, state: dict[str, float]) -> tuple[dict[str, float], None]:
            return blocked(state, keys, now, retry_after), None

        self.round_trips += 1
        await self.store.run(set(keys), decide)
        log.info("%s: provider asked to wait %s s; every instance waits", channel, retry_after)

    async def _serve(self) -> None:
        while self._waiting:
            now = self.clock()
            due = [w for w in self._waiting if w.ask_at <= now and not w.future.done()]
            if not due:
                self._wake.clear()
                pause = min(w.ask_at for w in self._waiting) - now
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(pause, 0.001)):
                        await self._wake.wait()
                continue
            await self._reserve(due, now)

    async def _reserve(self, due: list[_Waiter], asked: float) -> None:
        remaining = [w.deadline - asked for w in due]

        def decide(now: float, state: dict[str, float]) -> tuple[dict[str, float], Any]:
            asks = [Ask(w.buckets, now + left) for w, left in zip(due, remaining, strict=True)]
            result = reserve(state, asks, now, self.horizon)
            return result.next_free, result.verdicts

        keys = {key for w in due for key, _ in w.buckets}
        self.round_trips += 1
        try:
            now, verdicts = await self.store.run(keys, decide)
        except Exception as exc:  # the send fails as an attempt (retried with backoff)
            for w in due:
                if not w.future.done():
                    w.future.set_exception(exc)
            return
        answered = self.clock()
        for w, verdict in zip(due, verdicts, strict=True):
            ahead = verdict.at - now  # seconds from now, on the store's clock
            if w.future.done():
                continue
            if verdict.kind == "wait":
                w.ask_at = answered + ahead
            elif verdict.kind == "go":
                w.future.set_result(("go", answered + ahead))  # the local start time
            else:
                w.future.set_result(("later", ahead))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _host(url: str | None) -> str:
    parts = urlsplit(url or "")
    return f"{parts.hostname or '-'}:{parts.port or ''}"


def rules_from(settings: NotifySettings, channels: Iterable[str]) -> dict[str, ChannelRules]:
    """Each configured channel's provider account (never a secret: the bot token only as a
    digest) and its limits, from the settings."""
    s = settings
    default = Rule(s.provider_rate_per_second)
    token = s.telegram_bot_token.get_secret_value() if s.telegram_bot_token else ""
    sms_account = (
        f"kannel-{s.kannel_smsc or _host(s.kannel_url)}" if s.kannel_url else _host(s.http_sms_url)
    )
    known = {
        "telegram": ChannelRules(
            _digest(token),
            Rule(s.telegram_rate_per_second),
            private_chat=Rule(s.telegram_chat_rate_per_second),
            group_chat=Rule(s.telegram_group_rate_per_minute, 60.0),
        ),
        "whatsapp": ChannelRules(
            s.whatsapp_phone_number_id or "-", Rule(s.whatsapp_rate_per_second)
        ),
        "sms": ChannelRules(sms_account, default),
        "email": ChannelRules(s.smtp_host or "-", default),
        "webhook": ChannelRules("all", default),
    }
    return {name: known[name] for name in channels if name in known}


def build_limiter(
    settings: NotifySettings, sessions: async_sessionmaker[AsyncSession], channels: Iterable[str]
) -> ProviderLimiter:
    """Shared through PostgreSQL; per process on SQLite."""
    store: BucketStore = (
        LocalBuckets() if is_sqlite(settings.database_url) else SharedBuckets(sessions)
    )
    return ProviderLimiter(
        store,
        rules_from(settings, channels),
        secret=settings.secret_key.get_secret_value(),
        margin=settings.rate_margin_seconds,
        horizon=settings.rate_horizon_seconds,
        max_wait=settings.rate_max_wait_seconds,
    )
