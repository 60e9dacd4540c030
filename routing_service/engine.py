"""Routing with state: idempotency, grouping, silences, escalation timers, acks.

Decisions (jurisdiction, policy, grouping keys, the ladder) are pure functions in other
modules; this module applies them inside one database transaction per batch.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ARRAY, String, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service.deps import RoutingDeps
from routing_service.escalation import next_level, next_with_team
from routing_service.grouping import digest_period
from routing_service.models import AlertRow, EscalationTimer, ProcessedReport
from routing_service.policy import RouteDecision, evaluate, pick_team
from routing_service.silences import is_muted
from shared import topics
from shared.db import in_values, insert_many, is_postgresql, transaction
from shared.kafka import Outgoing, dumps, publish_all
from shared.observability import ALERTS, ESCALATIONS, TIME_TO_ACK
from shared.regions import fill_location, level_of, regions, resolve_location
from shared.schemas import (
    AlertAcknowledged,
    AlertReason,
    AlertRouted,
    Level,
    Report,
    ack_code_for,
    new_id,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    team_id: str
    level: Level
    code: str


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


def find_target(deps: RoutingDeps, level: Level, code: str) -> Target | None:
    """The team for ``code``, else the nearest ancestor that has one."""
    found = pick_team(code, deps.directory.__contains__)
    if found is None:
        return None
    return Target(deps.directory[found][0], level_of(found), found)


@dataclass(frozen=True)
class Plan:
    """Where one report goes (pure: resolution, policy, directory), before any state."""

    report: Report  # with its location resolved and filled in
    confidence: float
    routes: list[tuple[RouteDecision, Target]]


def plan_report(deps: RoutingDeps, report: Report, now: datetime) -> Plan:
    resolution = resolve_location(report.location, report.home_area)
    report = report.model_copy(update={"location": fill_location(report.location, resolution)})
    routes: list[tuple[RouteDecision, Target]] = []
    for decision in evaluate(deps.policy(), report, resolution, now):
        target = find_target(deps, decision.level, decision.jurisdiction_code)
        if target is not None and all(t.team_id != target.team_id for _, t in routes):
            routes.append((decision, target))  # one alert per team, however many rules
    return Plan(report, resolution.confidence, routes)


async def route_batch(deps: RoutingDeps, reports: list[Report]) -> list[Outgoing]:
    """Route a batch in one transaction with two reads, whatever its size.

    A report routed before (a redelivery) re-emits exactly the alerts it produced then,
    from ``routing_processed_reports``; open groups are read once for the whole batch and
    kept current in memory, so reports in the same batch group with each other.
    """
    now = utcnow()
    out: list[Outgoing] = []
    async with transaction(deps.runtime.sessions) as session:
        silences = await deps.active_silences(session)
        done: dict[str, list[Any]] = {
            row.report_id: row.outputs
            for row in await session.scalars(
                select(ProcessedReport).where(
                    in_values(session, ProcessedReport.report_id, {r.report_id for r in reports})
                )
            )
        }
        plans = {r.report_id: plan_report(deps, r, now) for r in reports if r.report_id not in done}
        groups = await _open_groups(
            session, {(t.team_id, d.group_key) for p in plans.values() for d, t in p.routes}, now
        )
        new = NewRows()
        for report in reports:
            if report.report_id in done:
                out += [alert_record(AlertRouted.model_validate(a)) for a in done[report.report_id]]
                continue
            alerts = _apply(new, groups, plans[report.report_id], silences, now)
            done[report.report_id] = [payload for _, _, payload in alerts]  # a repeat re-emits
            new.processed.append({"report_id": report.report_id, "outputs": done[report.report_id]})
            out += [alert_record(a, value) for a, value, _ in alerts]
        await new.write(session)
    return out


@dataclass(slots=True)
class NewAlert:
    """An alert opened in this batch, as a plain record (same attributes as ``AlertRow``).

    New rows are written with one INSERT per table at the end of the batch: ORM
    objects and the unit of work cost about a quarter of routing's CPU. Alerts read from
    the database stay ``AlertRow`` objects, updated by the session as before.
    """

    alert_id: str
    team_id: str
    group_key: str
    level: str
    jurisdiction_code: str
    ack_code: str
    version: int
    occurrence_count: int
    escalation_step: int
    status: str
    report_ids: list[str]
    matched_rules: list[str]
    severity: str
    category: str
    window_ends_at: datetime
    escalate_after_s: int | None
    created_at: datetime
    updated_at: datetime
    last_payload: dict[str, Any]


@dataclass
class NewRows:
    """What a batch inserts: alerts, escalation timers, processed-report records."""

    alerts: list[NewAlert] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)
    processed: list[dict[str, Any]] = field(default_factory=list)

    async def write(self, session: AsyncSession) -> None:
        alerts = [{name: getattr(a, name) for name in NewAlert.__slots__} for a in self.alerts]
        for table, rows in (
            (AlertRow.__table__, alerts),
            (EscalationTimer.__table__, self.timers),
            (ProcessedReport.__table__, self.processed),
        ):
            await insert_many(session, table, rows)


async def _open_groups(
    session: AsyncSession, keys: set[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], AlertRow]:
    """The newest alert still inside its window for each (team, group key)."""
    if not keys:
        return {}
    if is_postgresql(session):
        # A join with two arrays is one statement for any number of keys; a
        # ``(team, key) IN (...)`` list was a new statement per batch size, and PostgreSQL
        # spent 0.2-0.3 s planning each one of a few hundred pairs.
        teams, group_keys = zip(*keys, strict=True)
        pairs = (
            func.unnest(
                bindparam("teams", list(teams), type_=ARRAY(String)),
                bindparam("group_keys", list(group_keys), type_=ARRAY(String)),
            )
            .table_valued("team_id", "group_key")
            .render_derived()
        )
        query = select(AlertRow).join(
            pairs, (AlertRow.team_id == pairs.c.team_id) & (AlertRow.group_key == pairs.c.group_key)
        )
    else:
        query = select(AlertRow).where(tuple_(AlertRow.team_id, AlertRow.group_key).in_(keys))
    rows = await session.scalars(
        query.where(AlertRow.window_ends_at > now).order_by(AlertRow.created_at)
    )
    return {(row.team_id, row.group_key): row for row in rows}  # later rows win


def _apply(
    new: NewRows,
    groups: dict[tuple[str, str], AlertRow | NewAlert],
    plan: Plan,
    silences: list[Any],
    now: datetime,
) -> list[tuple[AlertRouted, bytes, dict[str, Any]]]:
    """Open or update each target team's alert; muted and digest alerts are kept, not sent.
    Returns the alerts to send, each as JSON bytes (for Kafka) and parsed (to store)."""
    alerts: list[tuple[AlertRouted, bytes, dict[str, Any]]] = []
    for decision, target in plan.routes:
        row = groups.get((target.team_id, decision.group_key))
        if row is None:
            row = _new_alert(plan.report, decision, target, now)
            new.alerts.append(row)
            groups[(target.team_id, decision.group_key)] = row
            if decision.escalate_after and not decision.digest:
                new.timers.append(
                    {"alert_id": row.alert_id, "due_at": now + decision.escalate_after}
                )
            reason = AlertReason.new
        else:
            row.version += 1
            row.occurrence_count += 1
            row.report_ids = [*row.report_ids, plan.report.report_id][-100:]
            row.updated_at = now
            reason = AlertReason.update
        alert = _alert_message(plan, decision, target, row, reason, now)
        # Dumped once: the bytes go to Kafka, the parsed copy to the database (orjson
        # parses them in a fraction of what a second pydantic dump costs).
        value = dumps(alert)
        row.last_payload = orjson.loads(value)
        if is_muted(silences, plan.report, target.team_id, target.code, now):
            row.status = "muted"
        elif decision.digest:
            row.status = "digest"
        else:
            alerts.append((alert, value, row.last_payload))
    return alerts


def _new_alert(report: Report, decision: RouteDecision, target: Target, now: datetime) -> NewAlert:
    alert_id = new_id()
    window_end = (
        digest_period(decision.digest, now)[1] if decision.digest else now + decision.group_window
    )
    return NewAlert(
        alert_id=alert_id,
        team_id=target.team_id,
        group_key=decision.group_key,
        level=target.level.value,
        jurisdiction_code=target.code,
        ack_code=ack_code_for(alert_id),
        version=1,
        occurrence_count=1,
        escalation_step=0,
        status="open",
        report_ids=[report.report_id],
        matched_rules=list(decision.rules),
        severity=decision.severity.value,
        category=report.category.value,
        window_ends_at=window_end,
        escalate_after_s=_seconds(decision.escalate_after),
        created_at=now,
        updated_at=now,
        last_payload={},
    )


def _alert_message(
    plan: Plan,
    decision: RouteDecision,
    target: Target,
    row: AlertRow | NewAlert,
    reason: AlertReason,
    now: datetime,
) -> AlertRouted:
    region = regions().get(target.code)
    return AlertRouted(
        alert_id=row.alert_id,
        version=row.version,
        report_id=plan.report.report_id,
        report_ids=row.report_ids,
        team_id=target.team_id,
        level=target.level,
        jurisdiction_code=target.code,
        jurisdiction_name=region.name if region else None,
        matched_rules=list(decision.rules),
        reason=AlertReason.digest if decision.digest else reason,
        category=plan.report.category,
        severity=decision.severity,
        occurrence_count=row.occurrence_count,
        escalation_step=row.escalation_step,
        ack_code=row.ack_code,
        routed_at=now,
        resolution_confidence=plan.confidence,
        report=plan.report,
    )


def _seconds(delta: timedelta | None) -> int | None:
    return int(delta.total_seconds()) if delta else None


async def fire_due_escalations(deps: RoutingDeps, limit: int = 100) -> list[Outgoing]:
    """Escalate unacknowledged alerts whose timer is due, one level up.

    Timers are claimed with ``FOR UPDATE SKIP LOCKED`` so two routing instances never
    fire the same one. The escalated alert is published *before* the commit: a crash in
    between re-fires the same alert version, which notify's delivery key absorbs.
    """
    now = utcnow()
    out: list[Outgoing] = []
    async with transaction(deps.runtime.sessions) as session:
        timers = (
            await session.scalars(
                select(EscalationTimer)
                .where(EscalationTimer.state == "pending", EscalationTimer.due_at <= now)
                .order_by(EscalationTimer.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for timer in timers:
            row = await session.get(AlertRow, timer.alert_id)
            timer.fired_at = now
            if row is None or row.status == "acked":
                timer.state = "cancelled"
                continue
            timer.state = "fired"
            alert = _escalate(deps, session, row, now)
            if alert is not None:
                out.append(alert_record(alert))
                ESCALATIONS.labels(alert.level.value).inc()
                log.info(
                    "alert %s unacknowledged: escalated to %s (%s)",
                    alert.alert_id,
                    alert.team_id,
                    alert.level.value,
                    extra={"alert_id": alert.alert_id, "team_id": alert.team_id},
                )
        if out:
            await publish_all(deps.broker, deps.settings, out)
    return out


def _escalate(
    deps: RoutingDeps, session: AsyncSession, row: AlertRow, now: datetime
) -> AlertRouted | None:
    """Move the alert to the next level's team; schedule the next timer if any."""
    step = next_with_team(Level(row.level), row.jurisdiction_code, deps.directory.__contains__)
    if step is None:
        return None  # already at the top of the ladder
    target = Target(deps.directory[step[1]][0], *step)
    previous = AlertRouted.model_validate(row.last_payload)
    row.version += 1
    row.escalation_step += 1
    row.team_id, row.level, row.jurisdiction_code = target.team_id, target.level.value, target.code
    row.updated_at = now
    if row.escalate_after_s and next_level(target.level, target.code) is not None:
        session.add(
            EscalationTimer(
                alert_id=row.alert_id,
                due_at=now + timedelta(seconds=row.escalate_after_s),
                step=row.escalation_step + 1,
            )
        )
    region = regions().get(target.code)
    alert = previous.model_copy(
        update={
            "version": row.version,
            "team_id": target.team_id,
            "level": target.level,
            "jurisdiction_code": target.code,
            "jurisdiction_name": region.name if region else None,
            "reason": AlertReason.escalation,
            "escalation_step": row.escalation_step,
            "routed_at": now,
        }
    )
    row.last_payload = alert.model_dump(mode="json")
    return alert


async def apply_acks(deps: RoutingDeps, acks: list[AlertAcknowledged]) -> None:
    """Mark alerts acknowledged and cancel their pending timers (idempotent)."""
    async with transaction(deps.runtime.sessions) as session:
        for ack in acks:
            row = await session.get(AlertRow, ack.alert_id)
            if row is None or row.status == "acked":
                continue
            row.status, row.acked_at, row.acked_by = "acked", ack.acknowledged_at, ack.member_id
            log.info(
                "alert %s acknowledged by %s via %s",
                ack.alert_id,
                ack.member_id,
                ack.channel,
                extra={"alert_id": ack.alert_id},
            )
            TIME_TO_ACK.observe(max(0.0, (ack.acknowledged_at - row.created_at).total_seconds()))
            await session.execute(
                update(EscalationTimer)
                .where(EscalationTimer.alert_id == ack.alert_id, EscalationTimer.state == "pending")
                .values(state="cancelled")
            )


async def emit_due_digests(deps: RoutingDeps, limit: int = 1000) -> list[Outgoing]:
    """One summary alert per team for routine reports whose digest period has closed.

    Like escalations, rows are claimed with SKIP LOCKED and the summary is published
    before the commit; its alert id is derived from the rows, so a re-run after a crash
    publishes the same alert and notify's delivery key absorbs it.
    """
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        rows = (
            await session.scalars(
                select(AlertRow)
                .where(AlertRow.status == "digest", AlertRow.window_ends_at <= now)
                .order_by(AlertRow.team_id, AlertRow.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        by_team: dict[str, list[AlertRow]] = {}
        for row in rows:
            by_team.setdefault(row.team_id, []).append(row)
        out = [alert_record(_digest_alert(team_rows, now)) for team_rows in by_team.values()]
        for row in rows:
            row.status = "digested"
        if out:
            await publish_all(deps.broker, deps.settings, out)
    return out


def _digest_alert(rows: list[AlertRow], now: datetime) -> AlertRouted:
    """A summary alert: the grouped reports' subjects and a count, routine severity."""
    alerts = [AlertRouted.model_validate(r.last_payload) for r in rows]
    first = alerts[0]
    subjects = [s for a in alerts for s in a.report.subjects][:100]
    people = sum(max(a.occurrence_count, len(a.report.subjects), 1) for a in alerts)
    summary = Report(
        source="timpora-digest",
        category=first.category,
        severity=first.severity,
        location=first.report.location,
        subjects=subjects,
        subject_count=people,
        text=(
            f"Ringkasan: {len(alerts)} laporan rutin, {people} orang asing "
            f"({', '.join(sorted({a.report.source for a in alerts}))})."
        ),
        received_at=now,
    )
    alert_id = "D" + hashlib.sha256("|".join(r.alert_id for r in rows).encode()).hexdigest()[:25]
    return first.model_copy(
        update={
            "alert_id": alert_id,
            "version": 1,
            "report_id": summary.report_id,
            "report_ids": [rid for r in rows for rid in r.report_ids][-100:],
            "reason": AlertReason.digest,
            "occurrence_count": len(alerts),
            "ack_code": ack_code_for(alert_id),
            "routed_at": now,
            "report": summary,
        }
    )
