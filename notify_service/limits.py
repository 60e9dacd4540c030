"""Provider send limits (pure): which buckets a send draws on, and when it may start.

Providers limit senders per account and Telegram per chat too (Bot API FAQ: about 30
messages per second per bot, 1 per second in a private chat, 20 per minute in a group).
Every notify instance draws on the same buckets (``provider_buckets``, shared through
PostgreSQL: :mod:`notify_service.limiter`), so two instances stay under one limit.

A bucket is a token bucket in its "virtual scheduling" form (GCRA without burst): one
number per bucket, ``next_free``, the earliest time the next send may start. A send that
draws on buckets ``K`` starts at ``t = max(now, next_free[k] for k in K)`` and moves each
``next_free[k]`` to ``t + spacing[k]``. A rule of ``count`` sends per ``per_seconds`` has
``spacing = (per_seconds + margin) / count``: starts are that far apart, so any window of
``per_seconds`` holds at most ``count`` of them even when requests reach the provider up
to ``margin`` seconds later or earlier than planned (network, the event loop).

A provider's 429 (``Retry-After``, Telegram's ``retry_after``) moves ``next_free`` of the
send's buckets to ``now + retry_after`` (never earlier than it was): :func:`blocked`.

A reservation hands out start times at most ``horizon`` seconds ahead (the instance then
waits locally, no second round trip); a send whose start is further away is told to ask
again later (``wait``), and one whose start is beyond its ``deadline`` is told to leave
(``later``: the delivery is rescheduled, not failed). Times are seconds on one clock (the
database's, so instances on different hosts agree); nothing here reads a clock.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

MAX_BLOCK_S = 3600.0  # a Retry-After beyond an hour is taken as an hour
DEFAULT_BLOCK_S = 1.0  # a 429 that names no time


@dataclass(frozen=True)
class Rule:
    """``count`` sends per ``per_seconds`` (a provider's documented limit)."""

    count: float
    per_seconds: float = 1.0

    def spacing(self, margin: float) -> float:
        return (self.per_seconds + margin) / self.count


@dataclass(frozen=True)
class Ask:
    """One send's claim: its buckets (key, spacing) and the latest start worth waiting for."""

    buckets: tuple[tuple[str, float], ...]
    deadline: float


@dataclass(frozen=True)
class Verdict:
    """``go``: start at ``at``; ``wait``: ask again at ``at``; ``later``: the earliest start
    is ``at``, past the deadline (reschedule the delivery for then)."""

    kind: Literal["go", "wait", "later"]
    at: float


@dataclass(frozen=True)
class Reservation:
    verdicts: list[Verdict]  # one per ask, in order
    next_free: dict[str, float]  # the buckets that changed


def reserve(
    next_free: Mapping[str, float], asks: Sequence[Ask], now: float, horizon: float
) -> Reservation:
    """Start times for ``asks`` from the buckets' ``next_free`` (a bucket never seen is
    free). Asks are served in order of their earliest possible start (arrival order among
    equals), so a send to a free chat is not queued behind one waiting for a busy chat."""
    state = dict(next_free)

    def earliest(ask: Ask) -> float:
        return max(now, *(state.get(key, now) for key, _ in ask.buckets))

    verdicts: list[Verdict | None] = [None] * len(asks)
    changed: dict[str, float] = {}
    for i in sorted(range(len(asks)), key=lambda i: earliest(asks[i])):
        ask = asks[i]
        start = earliest(ask)
        if start > ask.deadline:
            verdicts[i] = Verdict("later", start)
        elif start >= now + horizon:
            verdicts[i] = Verdict("wait", max(now, start - horizon / 2))
        else:
            verdicts[i] = Verdict("go", start)
            for key, spacing in ask.buckets:
                state[key] = changed[key] = start + spacing
    return Reservation([v for v in verdicts if v is not None], changed)


def block_seconds(retry_after: float | None) -> float:
    """How long a 429 blocks its buckets: the provider's time, else a second; at most an hour."""
    if retry_after is None or retry_after <= 0:
        return DEFAULT_BLOCK_S
    return min(float(retry_after), MAX_BLOCK_S)


def blocked(
    next_free: Mapping[str, float], keys: Sequence[str], now: float, retry_after: float | None
) -> dict[str, float]:
    """The buckets after a 429: none may start before ``now + retry_after``."""
    until = now + block_seconds(retry_after)
    return {key: max(next_free.get(key, until), until) for key in keys}


@dataclass(frozen=True)
class ChannelRules:
    """The rules of one channel's provider account, and per chat (Telegram)."""

    account_id: str  # not secret: a digest of a token, a phone number id, an SMSC
    account: Rule
    private_chat: Rule | None = None
    group_chat: Rule | None = None


def is_group_chat(chat_id: str) -> bool:
    """Telegram: groups, supergroups and channels have negative ids (or ``@names``)."""
    chat = chat_id.strip()
    return chat.startswith(("-", "@"))


def chat_key(secret: str, chat_id: str) -> str:
    """A chat's bucket name: a keyed digest, not the chat id (personal data at rest)."""
    digest = hmac.new(secret.encode(), b"chat\x00" + chat_id.strip().encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def buckets_of(
    channel: str,
    address: str,
    rules: Mapping[str, ChannelRules],
    margin: float,
    secret: str,
) -> tuple[tuple[str, float], ...]:
    """The buckets a send to ``address`` on ``channel`` draws on (none for a channel
    without rules): the provider account's, and for Telegram the chat's."""
    rule = rules.get(channel)
    if rule is None:
        return ()
    account = f"{channel}:{rule.account_id}"
    out = [(account, rule.account.spacing(margin))]
    chat_rule = rule.group_chat if is_group_chat(address) else rule.private_chat
    if chat_rule is not None and address.strip():
        out.append((f"{account}:chat:{chat_key(secret, address)}", chat_rule.spacing(margin)))
    return tuple(out)
