"""The delivery engine: claim a delivery, send it, record the outcome, retry, fall back.

Idempotency: a delivery row (unique per alert version, member and channel) is inserted
and committed *before* the send. A redelivered alert, a second notify instance or a
restart finds the row and does not send again. A row left in ``sending`` by a crash is
marked ``uncertain`` for an operator, never re-sent: one missed SMS is visible in the log,
a duplicate SMS to a field officer is not undoable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from notify_service import store
from notify_service.channels.base import OutgoingMessage, PermanentError, TransientError
from notify_service.deps import NotifyDeps
from notify_service.models import DeliveryRow
from notify_service.plan import Outcome, address_of, next_step, plan_deliveries
from notify_service.render import AlertMessages
from notify_service.signing import make_token
from shared import topics
from shared.db import lost_connection, transaction
from shared.deadletter import rejected
from shared.kafka import Outgoing, dumps, publish_all
from shared.observability import DELIVERIES
from shared.schemas import (
    AlertRouted,
    Channel,
    DeliveryAttempted,
    DeliveryStatus,
    Member,
    Reason,
    new_id,
    utcnow,
)

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 15.0
STALE_SENDING = timedelta(minutes=5)
TOKEN_TTL = timedelta(days=7)
RECORD_RETRY_S = (0.2, 0.5, 1.0, 2.0, 4.0, *[8.0] * 6)  # ~56 s in all


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
    alert: dict[str, Any]
    provider_message_id: str | None = None

    @classmethod
    def of(cls, values: dict[str, Any]) -> Claim:
        return cls(**{name: values[name] for name in CLAIM_FIELDS})


CLAIM_FIELDS = [name for name in Claim.__slots__ if name != "provider_message_id"]
Row = Claim | DeliveryRow


async def send(deps: NotifyDeps, texts: AlertMessages, member: Member, row: Row) -> Outcome:
    """One attempt on one channel; every failure becomes an Outcome, never an exception."""
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
        token = make_token(
            deps.settings.secret_key.get_secret_value(), alert.alert_id, member.member_id, TOKEN_TTL
        )
        message = texts.render(member, row.channel, f"{deps.settings.public_base_url}/a/{token}")
        outgoing = OutgoingMessage(
            to, message.subject, message.text, row.delivery_id, ack_code=alert.ack_code
        )
    limit = deps.limits.get(row.channel)
    slot = deps.slots.get(row.channel) or contextlib.nullcontext()
    try:
        if limit is not None:
            await limit.acquire()
        async with slot:
            async with asyncio.timeout(SEND_TIMEOUT_S):  # no extra task, unlike wait_for
                result = await channel.send(outgoing)
    except TransientError as exc:
        return Outcome(DeliveryStatus.failed, error=str(exc)[:500], retry_after=exc.retry_after)
    except PermanentError as exc:
        return Outcome(DeliveryStatus.gave_up, error=str(exc)[:500])
    except Exception as exc:  # timeouts, connection resets, provider surprises
        return Outcome(DeliveryStatus.failed, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(DeliveryStatus.sent, provider_message_id=result.provider_message_id)


def _event(row: Row, status: DeliveryStatus, error: str | None = None) -> Outgoing:
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


def _row(
    alert: AlertRouted, payload: dict[str, Any], member_id: str, channel: str, **values: object
) -> dict[str, object]:
    """A delivery row's values; every row has the same keys (one multi-row INSERT).
    ``payload`` is the alert as JSON, dumped once for all its rows."""
    return {
        "delivery_id": new_id(),
        "alert_id": alert.alert_id,
        "alert_version": alert.version,
        "report_id": alert.report_id,
        "team_id": alert.team_id,
        "member_id": member_id,
        "channel": channel,
        "ack_code": alert.ack_code,
        "alert": payload,
        "error": None,
        "next_attempt_at": None,
        "fallback_channels": [],
        "created_at": utcnow(),
        "updated_at": utcnow(),
        **values,
    }


def _unknown_team(alert: AlertRouted) -> Outgoing:
    """The dead letter of an alert for a team notify's directory does not have (replay it
    with ``timpora deadletters replay`` once the directory has the team)."""
    reason = f"team {alert.team_id!r} is not in notify's directory"
    log.error("alert %s v%d: %s; dead-lettered", alert.alert_id, alert.version, reason)
    why = [Reason(code="unknown_team", message=reason, path="team_id")]
    headers = {"alert_id": alert.alert_id, "report_id": alert.report_id}
    return rejected(dumps(alert), topics.ALERTS_ROUTED, "notify", why, headers)


async def claim_alerts(
    deps: NotifyDeps, alerts: list[AlertRouted], now: datetime
) -> tuple[list[tuple[AlertRouted, Member, Row]], list[Outgoing]]:
    """Plan every delivery of ``alerts`` and claim them all with one INSERT."""
    planned_rows: list[tuple[AlertRouted, Member, dict[str, object], str | None]] = []
    dead: list[Outgoing] = []
    for alert in alerts:
        team = await deps.team(alert.team_id)
        if team is None:
            dead.append(_unknown_team(alert))
            continue
        members = {m.member_id: m for m in team.members}
        payload = alert.model_dump(mode="json")
        for planned in plan_deliveries(alert, team, now):
            member = members[planned.member_id]
            if not planned.channels:  # off duty or no usable channel: logged, not sent
                values = _row(
                    alert,
                    payload,
                    member.member_id,
                    "none",
                    status="skipped",
                    attempts=0,
                    error=planned.skip_reason,
                )
                planned_rows.append((alert, member, values, planned.skip_reason))
                continue
            first, *rest = planned.channels
            deferred = planned.not_before is not None and planned.not_before > now
            values = _row(
                alert,
                payload,
                member.member_id,
                first,
                status="retrying" if deferred else "sending",
                attempts=0 if deferred else 1,
                next_attempt_at=planned.not_before if deferred else None,
                fallback_channels=list(rest),
            )
            planned_rows.append((alert, member, values, None))
    async with transaction(deps.runtime.sessions) as session:
        inserted = await store.claim(session=session, rows=[v for _, _, v, _ in planned_rows])
    claimed: list[tuple[AlertRouted, Member, Row]] = []
    events: list[Outgoing] = dead
    for alert, member, values, skip_reason in planned_rows:
        if values["delivery_id"] not in inserted:
            continue  # claimed before: a redelivery or another instance
        row = Claim.of(values)
        if values["status"] == "skipped":
            events.append(_event(row, DeliveryStatus.skipped, skip_reason))
        elif values["status"] == "sending":
            claimed.append((alert, member, row))
    return claimed, events


async def send_and_record(
    deps: NotifyDeps, claimed: list[tuple[AlertRouted, Member, Row]]
) -> list[Outgoing]:
    """Send claimed deliveries concurrently, then record outcomes and schedule what's next."""
    texts: dict[int, AlertMessages] = {}  # one per alert object: its members share texts
    for alert, _, row in claimed:
        if id(alert) not in texts:
            texts[id(alert)] = AlertMessages(alert, deps.settings.max_sms_segments, row.alert)
    outcomes = await asyncio.gather(*(send(deps, texts[id(a)], m, row) for a, m, row in claimed))
    now = utcnow()
    events: list[Outgoing] = []
    updates: list[dict[str, object]] = []
    fallbacks: list[dict[str, object]] = []
    settings = deps.settings
    for (alert, _member, row), outcome in zip(claimed, outcomes, strict=True):
        status, next_at = next_step(
            outcome, row.attempts, settings.max_attempts, settings.retry_base_seconds, now
        )
        row.provider_message_id = outcome.provider_message_id
        updates.append(
            {
                "delivery_id": row.delivery_id,
                "status": status,
                "next_attempt_at": next_at,
                "provider_message_id": outcome.provider_message_id,
                "error": outcome.error,
                "updated_at": now,
            }
        )
        events.append(_event(row, outcome.status, outcome.error))
        if status == "gave_up" and row.fallback_channels:
            nxt, *rest = row.fallback_channels
            fallbacks.append(
                _row(
                    alert,
                    row.alert,
                    row.member_id,
                    nxt,
                    status="retrying",
                    attempts=0,
                    next_attempt_at=now,
                    fallback_channels=rest,
                )
            )
    inserted = await _record(deps, updates, fallbacks)
    events += [
        _event(Claim.of(v), DeliveryStatus.fallback)
        for v in fallbacks
        if v["delivery_id"] in inserted
    ]
    return events


async def _record(
    deps: NotifyDeps, updates: list[dict[str, object]], fallbacks: list[dict[str, object]]
) -> set[object]:
    """Write the outcomes of sends that happened; the ids of the fallback rows inserted.

    A lost database is waited for here (~a minute, then the batch fails as any other):
    failing at once would redeliver the batch, whose rows are claimed already, so they
    would stay ``sending`` and end ``uncertain`` although every message went out.
    """

    async def write() -> set[object]:
        async with transaction(deps.runtime.sessions) as session:
            return await store.record_outcomes(
                session=session, updates=updates, fallbacks=fallbacks
            )

    for pause in RECORD_RETRY_S:
        try:
            return await write()
        except Exception as exc:
            if not lost_connection(exc):
                raise
            log.warning(
                "recording %d delivery outcomes: database unreachable (%s); retrying in %.1f s",
                len(updates),
                type(exc).__name__,
                pause,
            )
            await asyncio.sleep(pause)
    return await write()


async def deliver(deps: NotifyDeps, alerts: list[AlertRouted]) -> None:
    claimed, events = await claim_alerts(deps, alerts, utcnow())
    events += await send_and_record(deps, claimed)
    await publish_all(deps.broker, deps.settings, events)


async def run_due(deps: NotifyDeps, limit: int = 200) -> int:
    """Claim retries (and deferred/fallback deliveries) that are due, and send them."""
    now = utcnow()
    claimed: list[tuple[AlertRouted, Member, Row]] = []
    async with transaction(deps.runtime.sessions) as session:
        for row in await store.due_retries(session=session, now=now, limit=limit):
            await store.start_attempt(session=session, row=row, now=now)
            alert = AlertRouted.model_validate(row.alert)
            team = await deps.team(alert.team_id)
            member = (
                next((m for m in team.members if m.member_id == row.member_id), None)
                if team
                else None
            )
            if member is None:
                await store.give_up(
                    session=session, row=row, error="member no longer in the directory"
                )
                continue
            claimed.append((alert, member, row))
    if not claimed:
        return 0
    events = await send_and_record(deps, claimed)
    await publish_all(deps.broker, deps.settings, events)
    return len(claimed)


async def mark_stale(deps: NotifyDeps) -> int:
    """Rows stuck in ``sending`` (a crash mid-send) become ``uncertain``, never re-sent."""
    async with transaction(deps.runtime.sessions) as session:
        return await store.mark_uncertain(session=session, before=utcnow() - STALE_SENDING)


async def retry_loop(deps: NotifyDeps, poll_s: float = 0.5) -> None:
    ticks = 0
    while True:
        if await run_due(deps) == 0:
            await asyncio.sleep(poll_s)
        ticks += 1
        if ticks % 120 == 0:
            await mark_stale(deps)
