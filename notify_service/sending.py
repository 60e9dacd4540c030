"""One send on one channel, and the event that reports it: the provider-facing half of
delivery (``delivery`` claims, records and decides what comes next)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from notify_service.channels.base import OutgoingMessage, PermanentError, TransientError
from notify_service.deps import NotifyDeps
from notify_service.limiter import ProviderLimiter
from notify_service.limits import block_seconds
from notify_service.models import DeliveryRow
from notify_service.plan import Outcome, address_of
from notify_service.render import AlertMessages
from notify_service.render.whatsapp import template_params
from notify_service.signing import ack_url, make_token
from shared import topics
from shared.kafka import Outgoing, dumps
from shared.observability import DELIVERIES
from shared.schemas import Channel, DeliveryAttempted, DeliveryStatus, Member

log = logging.getLogger("notify_service.delivery")

SEND_TIMEOUT_S = 15.0


@dataclass(slots=True)
class Claim:
    """What sending needs of a delivery row. A plain record: building an ORM object per
    delivery only to read it back cost ~90 µs each. Rows read for a retry are
    ``DeliveryRow`` objects, which have the same attributes."""

    delivery_id: str
    alert_id: str
    alert_version: int
    team_id: str
    member_id: str
    channel: str
    attempts: int
    fallback_channels: list[str]
    provider_message_id: str | None = None
    repeat: bool = False

    @classmethod
    def of(cls, values: dict[str, Any]) -> Claim:
        return cls(**{name: values[name] for name in CLAIM_FIELDS})


CLAIM_FIELDS = [n for n in Claim.__slots__ if n not in ("provider_message_id", "repeat")]
Row = Claim | DeliveryRow


async def send(
    deps: NotifyDeps,
    texts: AlertMessages,
    member: Member,
    row: Row,
    windows: Mapping[str, datetime] | None = None,
) -> Outcome:
    """One attempt on one channel; every failure becomes an Outcome, never an exception.
    ``windows``: the last inbound time per WhatsApp number (``whatsapp_window``)."""
    alert = texts.alert
    channel = deps.channels.get(row.channel)
    to = address_of(member, row.channel)
    if channel is None or not to:
        return Outcome(DeliveryStatus.gave_up, error=f"channel {row.channel} unavailable")
    if row.channel == Channel.webhook:  # machines get the masked alert, not a text or link
        outgoing = OutgoingMessage(
            to, "", "", row.delivery_id, payload=texts.webhook_payload, ack_code=alert.ack_code
        )
    else:
        settings = deps.settings
        ttl = timedelta(hours=settings.link_ttl_hours)
        token = make_token(
            settings.secret_key.get_secret_value(), alert.alert_id, member.member_id, ttl
        )
        link = ack_url(settings.public_base_url, token)
        message = texts.render(member, row.channel, link, repeat=row.repeat)
        whatsapp: dict[str, Any] = {}
        if row.channel == Channel.whatsapp:  # the channel picks: free text or the template
            template = template_params(texts, member, link, repeat=row.repeat)
            whatsapp = {"last_inbound_at": (windows or {}).get(to), "template": template}
        outgoing = OutgoingMessage(
            to, message.subject, message.text, row.delivery_id, ack_code=alert.ack_code, **whatsapp
        )
    limiter = deps.limiter
    slot = deps.slots.get(row.channel) or contextlib.nullcontext()
    try:
        async with slot:  # then the turn: a granted start is not spent waiting for a slot
            wait = await limiter.acquire(row.channel, to) if limiter else None
            if wait is not None:  # the turn is far: back to the retry loop, not an attempt
                error = f"{row.channel}: provider limit, next turn in {wait:.1f} s"
                return Outcome(DeliveryStatus.failed, error=error, retry_after=wait, throttled=True)
            async with asyncio.timeout(SEND_TIMEOUT_S):  # no extra task, unlike wait_for
                result = await channel.send(outgoing)
    except TransientError as exc:
        if exc.throttled and limiter is not None:  # every instance waits, then this retries
            return await _throttled(limiter, row.channel, to, exc)
        return Outcome(DeliveryStatus.failed, error=str(exc)[:500], retry_after=exc.retry_after)
    except PermanentError as exc:
        return Outcome(DeliveryStatus.gave_up, error=str(exc)[:500])
    except Exception as exc:  # timeouts, connection resets, provider surprises
        return Outcome(DeliveryStatus.failed, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(DeliveryStatus.sent, provider_message_id=result.provider_message_id)


async def _throttled(
    limiter: ProviderLimiter, channel: str, to: str, exc: TransientError
) -> Outcome:
    """A 429: the buckets blocked until the provider's time, the delivery retried after it."""
    error = str(exc)[:500]
    try:
        await limiter.throttled(channel, to, exc.retry_after)
    except Exception as store_error:  # the retry still waits; other instances may not
        log.warning("blocking %s's buckets failed: %s", channel, type(store_error).__name__)
    wait = block_seconds(exc.retry_after)
    return Outcome(DeliveryStatus.failed, error=error, retry_after=wait, throttled=True)


def event(row: Row, status: DeliveryStatus, error: str | None = None) -> Outgoing:
    event = DeliveryAttempted(
        delivery_id=row.delivery_id,
        alert_id=row.alert_id,
        alert_version=row.alert_version,
        team_id=row.team_id,
        member_id=row.member_id,
        channel=row.channel,
        status=status,
        attempt=row.attempts,
        provider_message_id=row.provider_message_id,
        error=error,
    )
    DELIVERIES.labels(row.channel, status.value).inc()
    log.log(
        logging.DEBUG if status in (DeliveryStatus.sent, DeliveryStatus.skipped) else logging.INFO,
        "alert %s v%d -> member %s by %s: %s%s",
        row.alert_id,
        row.alert_version,
        row.member_id,
        row.channel,
        status.value,
        f" ({error})" if error else "",
        extra={"alert_id": row.alert_id, "delivery_id": row.delivery_id},
    )
    return Outgoing(topics.DELIVERIES_EVENTS, row.alert_id, dumps(event))
