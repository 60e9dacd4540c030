"""What the console reads, always through a user's scopes: the one place a query meets
:func:`scoped`. A row outside the scopes does not exist for the user (pages answer 404,
exactly as for an id that was never issued), whichever page, action or export asks.

An alert is in scope when the team's area (``jurisdiction_code``, what it was routed
with) or the report's place (``place_code``) is: an alert escalated to the province stays
visible to the office of the kecamatan it happened in, and an office's fallback alert
about an unserved place to that office. Deliveries, acks, timers, notes and fates are
reached only through an alert already in scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, selectinload

from console_service.web import access
from console_service.web.identity import Identity
from console_service.web.models import AlertNote, AuditEntry
from notify_service.models import AckRow, AlertVersionRow, DeliveryRow
from routing_service.models import AlertRow, EscalationTimer, ProcessedReport, Reassignment
from shared.db import is_postgresql
from shared.directory import TeamRow, team_of
from shared.schemas import Level, Severity, Team

LIST_LIMIT = 100
OPEN = ("open", "muted", "inhibited")
LEVELS = [lv.value for lv in Level]
SEVERITIES = [s.value for s in reversed(Severity)]
DEFAULT_ACK_LIMIT = timedelta(minutes=30)
MIN_ACK_LIMIT = timedelta(seconds=1)
OVERDUE_SCAN, OVERDUE_SHOWN = 500, 50


def alert_scoped(scopes: Sequence[str]) -> ColumnElement[bool]:
    return or_(scoped(AlertRow.jurisdiction_code, scopes), scoped(AlertRow.place_code, scopes))


def scoped(column: Any, scopes: Sequence[str]) -> ColumnElement[bool]:
    """SQL for "the code in ``column`` lies inside one of ``scopes``" (the same rule as
    :func:`console_service.web.access.covers`)."""
    if access.ALL in scopes:
        return true()
    if not scopes:
        return false()
    return or_(*(or_(column == s, column.like(_escaped(s) + ".%", escape="\\")) for s in scopes))


def _escaped(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None  # a status, or "active" (open, muted, inhibited)
    level: str | None = None
    severity: str | None = None
    team: str | None = None
    code: str | None = None  # a region code prefix inside the user's scopes


async def alerts(
    *, session: AsyncSession, who: Identity, where: AlertFilter, limit: int = LIST_LIMIT
) -> Sequence[AlertRow]:
    """The newest alerts in the user's scopes that match ``where``."""
    query = select(AlertRow).options(defer(AlertRow.last_payload)).where(alert_scoped(who.scopes))
    if where.status == "active":
        query = query.where(AlertRow.status.in_(OPEN))
    elif where.status:
        query = query.where(AlertRow.status == where.status)
    if where.level:
        query = query.where(AlertRow.level == where.level)
    if where.severity:
        query = query.where(AlertRow.severity == where.severity)
    if where.team:
        query = query.where(AlertRow.team_id == where.team)
    if where.code:
        query = query.where(alert_scoped([where.code]))
    query = query.order_by(AlertRow.created_at.desc(), AlertRow.alert_id.desc()).limit(limit)
    return (await session.scalars(query)).all()


async def alert(*, session: AsyncSession, who: Identity, alert_id: str) -> AlertRow | None:
    """One alert, or None when it does not exist *or* lies outside the user's scopes."""
    return await session.scalar(
        select(AlertRow).where(AlertRow.alert_id == alert_id, alert_scoped(who.scopes))
    )


@dataclass
class Story:
    """Everything that happened to one alert, oldest first within each part."""

    alert: AlertRow
    versions: list[dict[str, Any]]  # the routed alert of each version (with its report)
    deliveries: list[DeliveryRow]
    timers: list[EscalationTimer]
    acks: list[AckRow]
    notes: list[AlertNote]
    fates: list[dict[str, Any]]  # this alert's entry in each of its reports' fates
    console_acks: list[AuditEntry]  # acks and closes made in the console
    reassignments: list[Reassignment] = field(default_factory=list)  # operators' requests


async def story(*, session: AsyncSession, who: Identity, alert_id: str) -> Story | None:
    row = await alert(session=session, who=who, alert_id=alert_id)
    if row is None:
        return None
    deliveries = (
        await session.scalars(
            select(DeliveryRow)
            .where(DeliveryRow.alert_id == alert_id)
            .order_by(DeliveryRow.alert_version, DeliveryRow.created_at, DeliveryRow.member_id)
        )
    ).all()
    stored = await session.execute(
        select(AlertVersionRow.version, AlertVersionRow.payload).where(
            AlertVersionRow.alert_id == alert_id
        )
    )
    versions: dict[int, dict[str, Any]] = {version: payload for version, payload in stored}
    versions.setdefault(row.version, row.last_payload)
    timers = (
        await session.scalars(
            select(EscalationTimer)
            .where(EscalationTimer.alert_id == alert_id)
            .order_by(EscalationTimer.due_at)
        )
    ).all()
    acks = (
        await session.scalars(
            select(AckRow).where(AckRow.alert_id == alert_id).order_by(AckRow.acknowledged_at)
        )
    ).all()
    notes = (
        await session.scalars(
            select(AlertNote).where(AlertNote.alert_id == alert_id).order_by(AlertNote.at)
        )
    ).all()
    console_acks = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target == alert_id, AuditEntry.action.in_(("ack", "close")))
            .order_by(AuditEntry.id)
        )
    ).all()
    reassignments = (
        await session.scalars(
            select(Reassignment).where(Reassignment.alert_id == alert_id).order_by(Reassignment.id)
        )
    ).all()
    fates = []
    for report in (
        await session.scalars(
            select(ProcessedReport).where(ProcessedReport.report_id.in_(row.report_ids))
        )
    ).all():
        for entry in report.fate or []:
            if entry.get("alert_id") == alert_id:
                fates.append({"report_id": report.report_id, **entry})
    return Story(
        row,
        [versions[v] for v in sorted(versions)],
        list(deliveries),
        list(timers),
        list(acks),
        list(notes),
        fates,
        list(console_acks),
        list(reassignments),
    )


@dataclass
class Overview:
    by_level_severity: dict[tuple[str, str], int]
    overdue: list[AlertRow]  # open, unacknowledged past their time limit
    ack_p50_s: float | None
    ack_p90_s: float | None
    acked_this_week: int
    by_kecamatan: list[tuple[str, int, int]]  # code, active, acked this week


async def overview(*, session: AsyncSession, who: Identity, now: datetime) -> Overview:
    """Counts in SQL (GROUP BY), never a row per alert: the page stays fast with 100,000
    alerts (``python -m bench.bench_console``)."""
    in_scope = alert_scoped(who.scopes)
    active = and_(in_scope, AlertRow.status.in_(OPEN))
    grid = await session.execute(
        select(AlertRow.level, AlertRow.severity, func.count())
        .where(active)
        .group_by(AlertRow.level, AlertRow.severity)
    )
    week = and_(
        in_scope, AlertRow.acked_at.is_not(None), AlertRow.acked_at >= now - timedelta(days=7)
    )
    p50, p90, acked = await _ack_times(session, week)
    return Overview(
        {(level, severity): n for level, severity, n in grid.all()},
        await _overdue(session, in_scope, now),
        p50,
        p90,
        acked,
        await _per_kecamatan(session, active, week),
    )


async def _overdue(
    session: AsyncSession, in_scope: ColumnElement[bool], now: datetime
) -> list[AlertRow]:
    """Open (unacknowledged) alerts past their escalation timeout, else 30 minutes; the
    oldest open ones are the candidates."""
    oldest = await session.scalars(
        select(AlertRow)
        .options(defer(AlertRow.last_payload))
        .where(in_scope, AlertRow.status == "open", AlertRow.created_at < now - MIN_ACK_LIMIT)
        .order_by(AlertRow.created_at)
        .limit(OVERDUE_SCAN)
    )
    late = [
        row
        for row in oldest
        if now - row.created_at
        > (timedelta(seconds=row.escalate_after_s) if row.escalate_after_s else DEFAULT_ACK_LIMIT)
    ]
    return late[:OVERDUE_SHOWN]


async def _ack_times(
    session: AsyncSession, week: ColumnElement[bool]
) -> tuple[float | None, float | None, int]:
    """p50, p90 (nearest rank, as :func:`access.percentile`) and count of the week's
    times to acknowledge; PostgreSQL computes them (percentile_disc), SQLite in Python."""
    seconds = func.extract("epoch", AlertRow.acked_at - AlertRow.created_at)
    if is_postgresql(session):
        query = select(
            func.percentile_disc(0.5).within_group(seconds),
            func.percentile_disc(0.9).within_group(seconds),
            func.count(),
        ).where(week)
        p50, p90, n = (await session.execute(query)).one()
        return _seconds(p50), _seconds(p90), int(n)
    pairs = (
        await session.execute(select(AlertRow.created_at, AlertRow.acked_at).where(week))
    ).all()
    times = [max(0.0, (acked - created).total_seconds()) for created, acked in pairs if acked]
    return access.percentile(times, 0.5), access.percentile(times, 0.9), len(times)


def _seconds(value: object) -> float | None:
    return None if value is None else max(0.0, float(value))  # type: ignore[arg-type]


async def _per_kecamatan(
    session: AsyncSession, active: ColumnElement[bool], week: ColumnElement[bool]
) -> list[tuple[str, int, int]]:
    """(kecamatan code, active alerts, acknowledged this week) by the alerts' places."""
    counts: dict[str, list[int]] = {}
    for column, where in ((0, active), (1, week)):
        rows = await session.execute(
            select(AlertRow.place_code, AlertRow.jurisdiction_code, func.count())
            .where(where)
            .group_by(AlertRow.place_code, AlertRow.jurisdiction_code)
        )
        for place, code, n in rows.all():
            key = access.kecamatan_of(place) or code
            counts.setdefault(key, [0, 0])[column] += n
    return [(code, a, k) for code, (a, k) in sorted(counts.items())]


async def audit(
    *, session: AsyncSession, who: Identity, text: str | None = None, limit: int = 200
) -> Sequence[AuditEntry]:
    """The audit log: an administrator's whole log, anyone else's office's, and what
    members (who belong to no office) did to the alerts in the user's scopes."""
    query = select(AuditEntry)
    if access.ALL not in who.scopes:
        in_scope = select(AlertRow.alert_id).where(alert_scoped(who.scopes))
        query = query.where(
            or_(
                AuditEntry.office == who.office,
                and_(AuditEntry.office.is_(None), AuditEntry.target.in_(in_scope)),
            )
        )
    if text:
        like = f"%{_escaped(text)}%"
        query = query.where(
            or_(
                AuditEntry.username.like(like, escape="\\"),
                AuditEntry.action.like(like, escape="\\"),
                AuditEntry.target.like(like, escape="\\"),
            )
        )
    return (await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all()


async def count_alerts(*, session: AsyncSession, who: Identity) -> int:
    query = select(func.count()).where(alert_scoped(who.scopes))
    return int(await session.scalar(query) or 0)


async def teams(*, session: AsyncSession, who: Identity) -> list[Team]:
    """The directory's teams whose area lies inside the user's scopes."""
    rows = await session.scalars(
        select(TeamRow)
        .options(selectinload(TeamRow.members))
        .where(scoped(TeamRow.jurisdiction_code, who.scopes))
        .order_by(TeamRow.jurisdiction_code)
    )
    return [team_of(row) for row in rows]


@dataclass(frozen=True)
class TeamChoice:
    team_id: str
    name: str
    level: str


async def team_choices(*, session: AsyncSession, who: Identity) -> list[TeamChoice]:
    """The teams an alert may be given to: those inside the user's scopes (no members
    loaded: the story page lists them on every refresh)."""
    rows = await session.execute(
        select(TeamRow.team_id, TeamRow.name, TeamRow.level)
        .where(scoped(TeamRow.jurisdiction_code, who.scopes))
        .order_by(TeamRow.jurisdiction_code, TeamRow.team_id)
    )
    return [TeamChoice(*row) for row in rows]


async def team(*, session: AsyncSession, who: Identity, team_id: str) -> Team | None:
    """One team, or None when it does not exist or lies outside the user's scopes."""
    row = await session.scalar(
        select(TeamRow)
        .options(selectinload(TeamRow.members))
        .where(TeamRow.team_id == team_id, scoped(TeamRow.jurisdiction_code, who.scopes))
    )
    return team_of(row) if row else None
