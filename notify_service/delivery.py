"""The delivery engine: claim a delivery, send it, record the outcome, retry, fall back.

Idempotency: a delivery row (unique per alert version, member and channel) is inserted
and committed *before* the send. A redelivered alert, a second notify instance or a
restart finds the row and does not send again.

The uncertain window: a process killed after the claim and before the record leaves its
rows ``sending``, and nobody knows whether the provider got them. So rows are claimed in
small groups (``CLAIM_GROUP``, one INSERT each) just before those sends run, never a whole
batch ahead: a kill leaves at most the group in flight uncertain. A row ``sending`` for
longer than ``stale_sending_seconds`` (90 s) belongs to a stopped process (a live one
gives up a send after ``SEND_TIMEOUT_S`` and waits ~1 min for the database to record
it); then ``plan.on_stale_sending`` decides: high and critical alerts are sent once more,
the text marked "[ULANG]" (a member may get it twice, knowingly); lower severities become
``uncertain`` for an operator (``timpora deliveries --uncertain``), never re-sent.

After ``sent``, a provider's delivery report moves the row on (``receipts``,
``receipting``): delivered, read, or failed, which claims the next channel as a send that
gave up does (:func:`fallback_row`).

A team's Telegram group is one more recipient (``plan.plan_group``, member id
``group:<team id>``), claimed, sent, retried and recorded as a member's delivery is; its
sent message is also recorded (``team_group_messages``) for the button and the edit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from notify_service import store
from notify_service.delivery_rows import (
    delivery_values,
    fallback_row,
    group_message,
    unknown_team,
    version_values,
)
from notify_service.deps import NotifyDeps
from notify_service.groups import is_group, recipients
from notify_service.models import DeliveryRow
from notify_service.plan import (
    address_of,
    audiences,
    next_step,
    on_stale_sending,
    plan_deliveries,
    plan_group,
)
from notify_service.receipts import AWAITING, expected_receipts
from notify_service.render import AlertMessages
from notify_service.sending import Claim, Row, event, send
from notify_service.whatsapp_window import last_inbound_of
from shared.db import lost_connection, transaction
from shared.kafka import Outgoing, publish_all
from shared.schemas import AlertReason, AlertRouted, DeliveryStatus, Member, Team, utcnow

log = logging.getLogger(__name__)
__all__ = ["deliver", "fallback_row", "retry_loop"]

CLAIM_GROUP = 128  # deliveries claimed together, just before they are sent concurrently
RECORD_RETRY_S = (0.2, 0.5, 1.0, 2.0, 4.0, *[8.0] * 6)  # ~56 s in all


Planned = tuple[AlertRouted, Member, dict[str, object], str | None]


async def plan_alerts(
    deps: NotifyDeps, alerts: list[AlertRouted], now: datetime
) -> tuple[list[Planned], list[Outgoing]]:
    """Every delivery row ``alerts`` imply (not claimed yet), and the dead letters."""
    planned_rows: list[Planned] = []
    dead: list[Outgoing] = []
    last_sms, earlier = await _history(deps, alerts)
    await deps.teams([a.team_id for a in alerts])  # one read for the batch's teams
    todo: list[tuple[AlertRouted, Team]] = []
    for alert in alerts:
        team = await deps.team(alert.team_id)
        if team is None:
            dead.append(unknown_team(alert))
            continue
        before = earlier.get(alert.alert_id, {})
        teams = [t for t in [await deps.team(tid) for tid in sorted(before)] if t is not None]
        todo += audiences(alert, team, teams, set().union(*before.values()))
    for alert, team in todo:
        members = {m.member_id: m for m in recipients(team)}  # and the team's group
        last = last_sms.setdefault(alert.alert_id, {})
        plans = plan_deliveries(alert, team, now, last_update_sms=last)
        for planned in [*plans, *plan_group(alert, team)]:
            member = members[planned.member_id]
            if alert.reason is AlertReason.update and planned.channels == ("sms",):
                last[member.member_id] = now  # a later version in this batch sees it
            if not planned.channels:  # off duty or no usable channel: logged, not sent
                values = delivery_values(
                    alert,
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
            values = delivery_values(
                alert,
                member.member_id,
                first,
                status="retrying" if deferred else "sending",
                attempts=0 if deferred else 1,
                next_attempt_at=planned.not_before if deferred else None,
                fallback_channels=list(rest),
            )
            planned_rows.append((alert, member, values, None))
    return planned_rows, dead


async def _history(
    deps: NotifyDeps, alerts: list[AlertRouted]
) -> tuple[dict[str, dict[str, datetime]], dict[str, dict[str, set[str]]]]:
    """What planning reads of earlier deliveries, only for the alerts that need it:
    the last update SMS per member of updates, and the recipients of cancelled alerts."""
    updates = {a.alert_id for a in alerts if a.reason is AlertReason.update}
    cancels = {a.alert_id for a in alerts if a.reason is AlertReason.cancelled}
    if not (updates or cancels):
        return {}, {}
    async with transaction(deps.runtime.sessions) as session:
        last_sms = await store.last_update_sms(session=session, alert_ids=updates)
        earlier = await store.recipients(session=session, alert_ids=cancels)
    return last_sms, earlier


def groups(planned_rows: list[Planned], size: int = CLAIM_GROUP) -> list[list[Planned]]:
    """Consecutive groups holding at most ``size`` rows to send now (skipped and deferred
    rows ride along: claiming them sends nothing)."""
    out: list[list[Planned]] = [[]]
    sends = 0
    for item in planned_rows:
        if item[2]["status"] == "sending":
            if sends == size:
                out.append([])
                sends = 0
            sends += 1
        out[-1].append(item)
    return [g for g in out if g]


async def claim_group(
    deps: NotifyDeps, planned_rows: list[Planned]
) -> tuple[list[tuple[AlertRouted, Member, Row]], list[Outgoing]]:
    """Claim one group with one INSERT (and its alert versions with another): the rows to
    send now, and the skip events."""
    now = utcnow()
    for _, _, values, _ in planned_rows:  # created_at is the claim's time
        values["created_at"] = values["updated_at"] = now
    alerts = {(a.alert_id, a.version): a for a, _, _, _ in planned_rows}
    async with transaction(deps.runtime.sessions) as session:
        await store.save_versions(
            session=session, rows=[version_values(a, now) for a in alerts.values()]
        )
        inserted = await store.claim(session=session, rows=[v for _, _, v, _ in planned_rows])
    claimed: list[tuple[AlertRouted, Member, Row]] = []
    events: list[Outgoing] = []
    for alert, member, values, skip_reason in planned_rows:
        if values["delivery_id"] not in inserted:
            continue  # claimed before: a redelivery or another instance
        row = Claim.of(values)
        if values["status"] == "skipped":
            events.append(event(row, DeliveryStatus.skipped, skip_reason))
        elif values["status"] == "sending":
            claimed.append((alert, member, row))
    return claimed, events


async def send_and_record(
    deps: NotifyDeps, claimed: list[tuple[AlertRouted, Member, Row]]
) -> list[Outgoing]:
    """Send claimed deliveries concurrently, then record outcomes and schedule what's next."""
    texts: dict[int, AlertMessages] = {}  # one per alert object: its members share texts
    for alert, _, _ in claimed:
        if id(alert) not in texts:
            texts[id(alert)] = AlertMessages(alert, deps.settings.max_sms_segments)
    wa = [address_of(m, "whatsapp") for _, m, row in claimed if row.channel == "whatsapp"]
    windows = await last_inbound_of(deps, wa)  # WhatsApp's 24 h window: one query a group
    sends = (send(deps, texts[id(a)], m, row, windows) for a, m, row in claimed)
    outcomes = await asyncio.gather(*sends)
    now = utcnow()
    events: list[Outgoing] = []
    updates: list[dict[str, object]] = []
    fallbacks: list[dict[str, object]] = []
    posted: list[dict[str, object]] = []  # messages in teams' groups
    settings = deps.settings
    reporting = expected_receipts(settings)  # sent there: a provider report is awaited
    for (alert, member, row), outcome in zip(claimed, outcomes, strict=True):
        status, next_at = next_step(
            outcome, row.attempts, settings.max_attempts, settings.retry_base_seconds, now
        )
        row.provider_message_id = outcome.provider_message_id
        if outcome.throttled:  # the provider's limit, not a failure: the attempt is given back
            row.attempts -= 1
        if status == "sent" and is_group(row.member_id):
            posted += filter(None, [group_message(alert, row, member, now)])
        updates.append(
            {
                "delivery_id": row.delivery_id,
                "attempts": row.attempts,
                "status": status,
                "next_attempt_at": next_at,
                "provider_message_id": outcome.provider_message_id,
                "error": outcome.error,
                "receipt": AWAITING if status == "sent" and row.channel in reporting else None,
                "updated_at": now,
            }
        )
        events.append(event(row, outcome.status, outcome.error))
        if status == "gave_up" and (
            nxt := fallback_row(alert, row.member_id, row.fallback_channels, now)
        ):
            fallbacks.append(nxt)
    inserted = await _record(deps, updates, fallbacks, posted)
    events += [
        event(Claim.of(v), DeliveryStatus.fallback)
        for v in fallbacks
        if v["delivery_id"] in inserted
    ]
    return events


async def _record(
    deps: NotifyDeps,
    updates: list[dict[str, object]],
    fallbacks: list[dict[str, object]],
    posted: Sequence[dict[str, object]] = (),
) -> set[object]:
    """Write the outcomes of sends that happened; the ids of the fallback rows inserted.

    A lost database is waited for here (~a minute, then the batch fails as any other):
    failing at once would redeliver the batch, whose rows are claimed already, so they
    would stay ``sending`` and end ``uncertain`` although every message went out.
    """

    async def write() -> set[object]:
        async with transaction(deps.runtime.sessions) as session:
            return await store.record_outcomes(
                session=session, updates=updates, fallbacks=fallbacks, group_messages=posted
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
    """Plan the batch, then claim -> send -> record one small group at a time."""
    planned_rows, events = await plan_alerts(deps, alerts, utcnow())
    for group in groups(planned_rows):
        claimed, skips = await claim_group(deps, group)
        events += skips + await send_and_record(deps, claimed)
    await publish_all(deps.broker, deps.settings, events)


ERASED = "the alert's personal data was erased (retention): not sent"


async def _alerts_of(
    session: AsyncSession, rows: Sequence[DeliveryRow]
) -> dict[tuple[str, int], AlertRouted]:
    """The alert versions of delivery rows read back (erased versions are left out)."""
    keys = {(row.alert_id, row.alert_version) for row in rows}
    payloads = await store.alert_payloads(session=session, keys=keys)
    return {key: AlertRouted.model_validate(payload) for key, payload in payloads.items()}


async def _member(deps: NotifyDeps, alert: AlertRouted, member_id: str) -> Member | None:
    team = await deps.team(alert.team_id)
    return next((m for m in recipients(team) if m.member_id == member_id), None) if team else None


async def run_due(deps: NotifyDeps, limit: int = 200) -> int:
    """Claim retries (and deferred/fallback deliveries) that are due, and send them."""
    now = utcnow()
    claimed: list[tuple[AlertRouted, Member, Row]] = []
    async with transaction(deps.runtime.sessions) as session:
        rows = await store.due_retries(session=session, now=now, limit=limit)
        alerts = await _alerts_of(session, rows)
        for row in rows:
            await store.start_attempt(session=session, row=row, now=now)
            alert = alerts.get((row.alert_id, row.alert_version))
            if alert is None:
                await store.give_up(session=session, row=row, error=ERASED)
                continue
            member = await _member(deps, alert, row.member_id)
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


async def recover_stale(deps: NotifyDeps, limit: int = 500) -> int:
    """Rows a stopped process left ``sending``: repeat or mark uncertain
    (``plan.on_stale_sending``); the repeats are sent here. The number of rows handled."""
    now = utcnow()
    repeats: list[tuple[AlertRouted, Member, Row]] = []
    async with transaction(deps.runtime.sessions) as session:
        before = now - timedelta(seconds=deps.settings.stale_sending_seconds)
        rows = await store.stale_sending(session=session, before=before, limit=limit)
        alerts = await _alerts_of(session, rows)
        for row in rows:
            alert = alerts.get((row.alert_id, row.alert_version))
            member = await _member(deps, alert, row.member_id) if alert else None
            if (
                alert is None
                or member is None
                or on_stale_sending(alert.severity, row.repeat) == "uncertain"
            ):
                await store.mark_uncertain(session=session, row=row, now=now)
                continue
            await store.start_repeat(session=session, row=row, now=now)
            repeats.append((alert, member, row))
    if repeats:
        log.warning("%d deliveries sent again after a stopped process ([ULANG])", len(repeats))
        await publish_all(deps.broker, deps.settings, await send_and_record(deps, repeats))
    return len(rows)


async def retry_loop(deps: NotifyDeps, poll_s: float = 0.5) -> None:
    ticks = 0
    while True:
        if ticks % 20 == 0:  # at start-up, then every ~10 s when idle
            await recover_stale(deps)
        if await run_due(deps) == 0:
            await asyncio.sleep(poll_s)
        ticks += 1
