"""Routing's stateful steps, each load → decide → persist → publish.

The decisions are :mod:`routing_service.plan`'s (pure, unit-tested); the SQL is
:mod:`routing_service.store`'s; this module wires them inside one transaction per step.

Delivery guarantees: a batch of reports is routed in one transaction and its alerts are
published by the handler after the commit; a report routed before (a redelivery)
re-emits exactly the alerts it produced then, from ``routing_processed_reports``, so a
crash between commit and publish loses nothing. Timers and digests are claimed with
``FOR UPDATE SKIP LOCKED`` and published *before* their commit: a crash in between
re-fires the same alert version, which notify's delivery key absorbs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from routing_service import store
from routing_service.amend import upstream_key
from routing_service.deps import RoutingDeps
from routing_service.digest import DigestEntry, digests
from routing_service.escalation import EscalationAction
from routing_service.lifecycle import AckAction, on_ack, on_due_timer, on_silence_over
from routing_service.plan import (
    AlertDecision,
    Outcome,
    RoutingState,
    dead_letter_reason,
    decide,
    fate,
)
from routing_service.references import amend_reports, has_references, open_alert
from routing_service.targets import routes, unrouted_reason
from shared import topics
from shared.db import transaction
from shared.deadletter import rejected
from shared.jurisdiction import regions
from shared.kafka import Outgoing, dumps, publish_all
from shared.observability import ALERTS, ESCALATIONS, TIME_TO_ACK, UNROUTED
from shared.schemas import AlertAcknowledged, AlertRouted, Reason, Report, utcnow

log = logging.getLogger(__name__)


def name_of(code: str) -> str | None:
    region = regions().get(code)
    return region.name if region else None


def alert_record(alert: AlertRouted, value: bytes | None = None) -> Outgoing:
    """Routed alerts are keyed by team, so each team's alerts stay in order.
    ``value``: the alert already dumped as JSON, when the caller has it."""
    ALERTS.labels(alert.level.value, alert.reason.value).inc()
    log.debug(
        "report %s -> alert %s v%d (%s) for %s, rules %s",
        alert.report_id,
        alert.alert_id,
        alert.version,
        alert.reason.value,
        alert.team_id,
        ",".join(alert.matched_rules),
        extra={"report_id": alert.report_id, "alert_id": alert.alert_id, "team_id": alert.team_id},
    )
    return Outgoing(
        topics.ALERTS_ROUTED,
        alert.team_id,
        value if value is not None else dumps(alert),
        {"alert_id": alert.alert_id, "report_id": alert.report_id},
    )


async def route_reports(deps: RoutingDeps, reports: Sequence[Report]) -> list[Outgoing]:
    """Route a batch in one transaction; returns the alerts to publish (after the commit).
    Reports that reference earlier ones (CAP Update, Cancel) go after the others
    (:mod:`routing_service.references`); those that reference nothing open are routed as
    new reports."""
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        earlier = await store.processed_reports(
            session=session, report_ids={r.report_id for r in reports}
        )
        replay = {rid: (row.outputs, row.fate or []) for rid, row in earlier.items()}
        amending = {
            r.report_id: r for r in reports if has_references(r) and r.report_id not in replay
        }
        plain = [r for r in reports if r.report_id not in amending]
        out = await _route(deps, session, plain, replay, now)
        if amending:
            amended = await amend_reports(session=session, reports=list(amending.values()), now=now)
            out += [alert_record(message, value) for message, value in amended.sent]
            out += await _route(deps, session, amended.as_new, replay, now)
    return out


async def _route(
    deps: RoutingDeps,
    session: Any,
    reports: Sequence[Report],
    replay: dict[str, tuple[list[Any], list[Any]]],
    now: datetime,
) -> list[Outgoing]:
    """Route reports with two reads, whatever their number (``replay``: the reports
    routed before, kept current)."""
    policy, directory = deps.policy(), deps.directory
    out: list[Outgoing] = []
    todo = {r.report_id: routes(r, policy, directory, now) for r in reports}
    keys = {(x.target.team_id, x.rule.group_key) for rs in todo.values() for x in rs}
    state = RoutingState(
        {
            (row.team_id, row.group_key): open_alert(row)
            for row in await store.open_alerts(session=session, keys=keys, now=now)
        },  # later rows win
        await deps.active_silences(session, now),
        await store.open_cases(session=session, group_keys={k for _, k in keys})
        if policy.inhibit
        else {},
    )
    writes = _Writes()
    for report in reports:
        if report.report_id in replay:  # routed before: the same alerts again
            out += _replayed(report, *replay[report.report_id])
            continue
        decision = decide(
            report,
            todo[report.report_id],
            state,
            directory,
            now,
            inhibit=policy.inhibit,
            name_of=name_of,
        )
        state.remember(decision)
        sent = writes.add(decision.alerts, now, out)
        unrouted = unrouted_reason(report, policy) if decision.unrouted else None
        if unrouted is not None:
            out.append(_unrouted(report, unrouted))
        story = fate(decision, unrouted)
        replay[report.report_id] = (sent, story)
        writes.processed.append(
            {
                "report_id": report.report_id,
                "outputs": sent,
                "fate": story,
                "upstream_key": upstream_key(report.source, report.upstream_ref),
            }
        )
    await writes.save(session)
    return out


def _unrouted(report: Report, reason: Reason) -> Outgoing:
    """The dead letter of a report no team serves and no office fallback team takes, or
    one placed outside its source's home area that the policy rejects."""
    log.warning(
        "report %s: %s; dead-lettered",
        report.report_id,
        reason.message,
        extra={"report_id": report.report_id},
    )
    UNROUTED.inc()
    why = [reason]
    headers = {"report_id": report.report_id}
    return rejected(dumps(report), topics.REPORTS_NORMALIZED, "routing", why, headers)


def _replayed(report: Report, outputs: list[Any], story: list[Any]) -> list[Outgoing]:
    """What a report routed before produced, published again (same ids and versions)."""
    out = [alert_record(AlertRouted.model_validate(a)) for a in outputs]
    return out + [
        _unrouted(report, dead_letter_reason(f)) for f in story if f["outcome"] == "dead_letter"
    ]


class _Writes:
    """One batch's rows: new and updated alerts, timers, processed reports."""

    def __init__(self) -> None:
        self.new: dict[str, dict[str, Any]] = {}
        self.updated: dict[str, dict[str, Any]] = {}
        self.timers: list[dict[str, Any]] = []
        self.processed: list[dict[str, Any]] = []

    def add(self, alerts: Sequence[AlertDecision], now: datetime, out: list[Outgoing]) -> list[Any]:
        """Record each alert's row; the sent ones are appended to ``out``. Returns the
        sent alerts' payloads (what a redelivery of the report re-emits)."""
        sent = []
        for a in alerts:
            # Dumped once: the bytes go to Kafka, the parsed copy to the database (orjson
            # parses them in a fraction of what a second pydantic dump costs).
            value = dumps(a.message)
            payload = orjson.loads(value)
            row = {
                "alert_id": a.state.alert_id,
                "version": a.state.version,
                "occurrence_count": a.state.occurrence_count,
                "report_ids": list(a.state.report_ids),
                "severity": a.state.severity.value,
                "status": a.state.status,
                "updated_at": now,
                "last_payload": payload,
            }
            if a.state.alert_id in self.new:  # opened earlier in this batch
                self.new[a.state.alert_id].update(row)
            elif a.state.version == 1:
                self.new[a.state.alert_id] = {**row, **_new_columns(a, now)}
            else:
                self.updated[a.state.alert_id] = row
            if a.timer_due_at is not None:
                self.timers.append({"alert_id": a.state.alert_id, "due_at": a.timer_due_at})
            if a.outcome is Outcome.send:
                out.append(alert_record(a.message, value))
                sent.append(payload)
        return sent

    async def save(self, session: Any) -> None:
        await store.save_routed(
            session=session,
            new_alerts=list(self.new.values()),
            updated_alerts=list(self.updated.values()),
            timers=self.timers,
            processed=self.processed,
        )


def _new_columns(a: AlertDecision, now: datetime) -> dict[str, Any]:
    rule, target = a.route.rule, a.route.target
    return {
        "team_id": target.team_id,
        "group_key": rule.group_key,
        "level": target.level.value,
        "jurisdiction_code": target.code,
        "place_code": _place(a.message.report),
        "ack_code": a.state.ack_code,
        "escalation_step": 0,
        "matched_rules": list(rule.rules),
        "category": a.message.category.value,
        "window_ends_at": a.state.window_ends_at,
        "escalate_after_s": (
            int(rule.escalate_after.total_seconds()) if rule.escalate_after else None
        ),
        "created_at": now,
    }


def _place(report: Report) -> str | None:
    """Where the report happened (the console scopes alerts by it as well as by the team's
    area: an escalated or fallback alert stays visible to the place's office)."""
    resolution = report.resolution
    return (resolution.code or resolution.routing_code) if resolution else None


# What a handled timer row says: cancelled (ack, close, mute...), held (a silence; a new
# timer waits for its end), else fired.
TIMER_STATE = {EscalationAction.cancel: "cancelled", EscalationAction.held: "held"}


def _seconds(value: int | None) -> timedelta | None:
    return timedelta(seconds=value) if value else None


async def fire_due_timers(deps: RoutingDeps, limit: int = 100) -> list[Outgoing]:
    """Escalate unacknowledged alerts whose timer is due, one level up."""
    now = utcnow()
    out: list[Outgoing] = []
    async with transaction(deps.runtime.sessions) as session:
        timers = await store.due_timers(session=session, now=now, limit=limit)
        rows = await store.alerts_by_id(session=session, alert_ids={t.alert_id for t in timers})
        policy = deps.policy()
        cases = (
            await store.open_cases(session=session, group_keys={r.group_key for r in rows.values()})
            if policy.inhibit
            else {}
        )
        silences = await deps.active_silences(session, now) if timers else []
        for timer in timers:
            row = rows.get(timer.alert_id)
            if row is None:
                await store.finish_timer(session=session, timer=timer, state="cancelled", at=now)
                continue
            decision, escalated = on_due_timer(
                AlertRouted.model_validate(row.last_payload),
                status=row.status,
                due_at=timer.due_at,
                escalate_after=_seconds(row.escalate_after_s),
                directory=deps.directory,
                now=now,
                name_of=name_of,
                inhibit=policy.inhibit,
                cases=cases.get(row.group_key, ()),
                silences=silences,
            )
            state = TIMER_STATE.get(decision.action, "fired")
            await store.finish_timer(session=session, timer=timer, state=state, at=now)
            if decision.action is EscalationAction.held and decision.next_due_at:
                await store.add_timer(
                    session=session,
                    alert_id=row.alert_id,
                    due_at=decision.next_due_at,
                    step=timer.step,
                )
                log.info("alert %s: escalation held by a silence", row.alert_id)
            if escalated is None:
                continue
            value = dumps(escalated.message)
            payload = orjson.loads(value)
            await store.escalate_alert(session=session, row=row, payload=payload, at=now)
            if escalated.next_due_at is not None:
                await store.add_timer(
                    session=session,
                    alert_id=row.alert_id,
                    due_at=escalated.next_due_at,
                    step=decision.step + 1,
                )
            out.append(alert_record(escalated.message, value))
            ESCALATIONS.labels(escalated.message.level.value).inc()
            log.info(
                "alert %s unacknowledged: escalated to %s (%s)",
                row.alert_id,
                escalated.message.team_id,
                escalated.message.level.value,
                extra={"alert_id": row.alert_id, "team_id": escalated.message.team_id},
            )
        if out:
            await publish_all(deps.broker, deps.settings, out)
    return out


async def resume_unmuted(deps: RoutingDeps, limit: int = 200) -> list[Outgoing]:
    """Send the muted alerts no silence mutes any more (a silence expired or was lifted)
    and start their ladders. The muted alerts are gone through, ``limit`` at a time,
    once per change of the active silences, not on every turn of the loop."""
    now = utcnow()
    out: list[Outgoing] = []
    async with transaction(deps.runtime.sessions) as session:
        silences = await deps.active_silences(session, now)
        under = frozenset(
            (s.matcher.model_dump_json(), s.starts_at.isoformat(), s.ends_at.isoformat())
            for s in silences
            if s.starts_at <= now < s.ends_at
        )
        if under == deps.muted_checked_under:
            return out
        rows = await store.muted_alerts(
            session=session, now=now, after=deps.muted_cursor, limit=limit
        )
        for row in rows:
            resumed = on_silence_over(
                AlertRouted.model_validate(row.last_payload),
                silences=silences,
                escalate_after=_seconds(row.escalate_after_s),
                directory=deps.directory,
                now=now,
            )
            if resumed is None:
                continue
            value = dumps(resumed.message)
            await store.resume(session=session, row=row, payload=orjson.loads(value), at=now)
            if resumed.timer_due_at is not None:
                await store.add_timer(
                    session=session, alert_id=row.alert_id, due_at=resumed.timer_due_at, step=1
                )
            out.append(alert_record(resumed.message, value))
            log.info("alert %s: its silence is over; sent", row.alert_id)
        if out:
            await publish_all(deps.broker, deps.settings, out)
    if len(rows) < limit:  # a whole pass under these silences
        deps.muted_checked_under, deps.muted_cursor = under, ""
    else:
        deps.muted_cursor = rows[-1].alert_id
    return out


async def apply_acks(deps: RoutingDeps, acks: Sequence[AlertAcknowledged]) -> None:
    """Mark alerts acknowledged or closed and cancel their pending timers (idempotent)."""
    async with transaction(deps.runtime.sessions) as session:
        rows = await store.alerts_by_id(session=session, alert_ids={a.alert_id for a in acks})
        for ack in acks:
            row = rows.get(ack.alert_id)
            action = on_ack(row.status if row else None, ack.action)
            if action is AckAction.ignore:
                continue
            assert row is not None
            if row.acked_at is None:
                TIME_TO_ACK.observe(
                    max(0.0, (ack.acknowledged_at - row.created_at).total_seconds())
                )
            at, by = ack.acknowledged_at, ack.member_id
            if action is AckAction.close:
                await store.close(session=session, row=row, at=at, member_id=by, note=ack.note)
            else:
                await store.acknowledge(session=session, row=row, at=at, member_id=by)
            log.info(
                "alert %s %s by %s via %s",
                ack.alert_id,
                "closed" if action is AckAction.close else "acknowledged",
                ack.member_id,
                ack.channel,
                extra={"alert_id": ack.alert_id},
            )


async def emit_due_digests(deps: RoutingDeps, limit: int = 1000) -> list[Outgoing]:
    """One summary alert per team for routine reports whose digest period has closed."""
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        rows = await store.closed_digest_rows(session=session, now=now, limit=limit)
        entries = [
            DigestEntry(r.alert_id, r.team_id, tuple(r.report_ids), r.last_payload) for r in rows
        ]
        out = [alert_record(alert) for alert in digests(entries, now)]
        await store.mark_digested(session=session, rows=rows)
        if out:
            await publish_all(deps.broker, deps.settings, out)
    return out
