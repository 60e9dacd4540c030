"""Routing's store: the only code that writes routing's tables.

Keyword-only functions that take ``session=`` and do SQL only; the caller owns the
transaction (``shared.db.transaction``) and the decisions (validation, clock).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service.inhibition import INHIBITING, OpenCase
from routing_service.models import (
    AlertRow,
    EscalationTimer,
    ProcessedReport,
    Reassignment,
    Silence,
)
from routing_service.silences import SilenceMatcher
from shared.adapters.bulk_sql import in_values, insert_many, update_many
from shared.db import is_postgresql
from shared.schemas import Level, new_id

# --- silences ---
# Written by the operators' console, read by routing's runtime (``active_silences``).


async def add_silence(
    *,
    session: AsyncSession,
    matchers: SilenceMatcher,
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    comment: str,
) -> Silence:
    """A new silence row; ``matchers`` is already validated (and refused when empty)."""
    silence = Silence(
        id=new_id(),
        matchers=matchers.model_dump(mode="json", exclude_none=True),
        starts_at=starts_at,
        ends_at=ends_at,
        comment=comment,
        created_by=created_by,
    )
    session.add(silence)
    return silence


async def list_silences(
    *, session: AsyncSession, now: datetime, include_expired: bool = False
) -> Sequence[Silence]:
    """Silences, the latest to end first; without ``include_expired`` only those not ended."""
    query = select(Silence).order_by(Silence.ends_at.desc())
    if not include_expired:
        query = query.where(Silence.ends_at > now)
    return (await session.scalars(query)).all()


async def active_silences(*, session: AsyncSession, now: datetime) -> Sequence[Silence]:
    """The silences not yet ended at ``now`` (some may start later): what routing applies."""
    return (await session.scalars(select(Silence).where(Silence.ends_at > now))).all()


async def expire_silence(*, session: AsyncSession, silence_id: str, now: datetime) -> bool:
    """End a silence at ``now``; False when there is no such silence."""
    result = await session.execute(
        update(Silence).where(Silence.id == silence_id).values(ends_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- alerts, timers, processed reports ---
# Keyword-only functions that take ``session=`` and do SQL only; routing's service
# module calls them around the pure decisions of ``routing_service.plan``.


async def processed_reports(
    *, session: AsyncSession, report_ids: Iterable[str]
) -> dict[str, ProcessedReport]:
    """The reports routed before, with the alerts they produced (a redelivery re-emits
    them) and their fate."""
    rows = await session.scalars(
        select(ProcessedReport).where(in_values(session, ProcessedReport.report_id, report_ids))
    )
    return {row.report_id: row for row in rows}


async def processed_report(*, session: AsyncSession, report_id: str) -> ProcessedReport | None:
    """One routed report's record (its fate), None if routing never saw it."""
    return await session.get(ProcessedReport, report_id)


async def reports_by_upstream_key(
    *, session: AsyncSession, keys: Iterable[str]
) -> list[ProcessedReport]:
    """The routed reports with one of these upstream keys (source and upstream id), oldest
    first: what a CAP Update or Cancel references."""
    keys = list(keys)
    if not keys:
        return []
    rows = await session.scalars(
        select(ProcessedReport)
        .where(in_values(session, ProcessedReport.upstream_key, keys))
        .order_by(ProcessedReport.processed_at)
    )
    return list(rows)


async def amend_alert(
    *, session: AsyncSession, row: AlertRow, state: dict[str, Any], payload: dict[str, Any]
) -> None:
    """Store an alert's new version after a report that references it (its team, level
    and group key stay)."""
    row.version, row.occurrence_count = state["version"], state["occurrence_count"]
    row.report_ids, row.severity = state["report_ids"], state["severity"]
    row.updated_at, row.last_payload = state["updated_at"], payload


async def add_processed(*, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Processed-report records written outside :func:`save_routed`."""
    await insert_many(session, ProcessedReport.__table__, rows)


async def open_alerts(
    *, session: AsyncSession, keys: set[tuple[str, str]], now: datetime
) -> list[AlertRow]:
    """The alerts still inside their window for each (team, group key), oldest first."""
    if not keys:
        return []
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
        query.where(AlertRow.window_ends_at > now, AlertRow.status != "closed").order_by(
            AlertRow.created_at
        )
    )
    return list(rows)


async def open_cases(*, session: AsyncSession, group_keys: set[str]) -> dict[str, list[OpenCase]]:
    """The open and acknowledged alerts of each group key at any team, at the level each
    is at now (an escalated alert is at its new team's level): what inhibition reads."""
    if not group_keys:
        return {}
    query = select(AlertRow.alert_id, AlertRow.group_key, AlertRow.level, AlertRow.status)
    if is_postgresql(session):
        keys = AlertRow.group_key == any_(bindparam("keys", list(group_keys), ARRAY(String)))
    else:
        keys = AlertRow.group_key.in_(group_keys)
    cases: dict[str, list[OpenCase]] = {}
    for row in await session.execute(query.where(keys, AlertRow.status.in_(sorted(INHIBITING)))):
        cases.setdefault(row.group_key, []).append(
            OpenCase(row.alert_id, Level(row.level), row.status)
        )
    return cases


async def save_routed(
    *,
    session: AsyncSession,
    new_alerts: list[dict[str, Any]],
    updated_alerts: list[dict[str, Any]],
    timers: list[dict[str, Any]],
    processed: list[dict[str, Any]],
) -> None:
    """One batch's writes: new alerts, updated alerts (by id), timers, processed reports."""
    await insert_many(session, AlertRow.__table__, new_alerts)
    await update_many(session, AlertRow.__table__, "alert_id", updated_alerts)
    await insert_many(session, EscalationTimer.__table__, timers)
    await insert_many(session, ProcessedReport.__table__, processed)


async def due_timers(*, session: AsyncSession, now: datetime, limit: int) -> list[EscalationTimer]:
    """Pending timers that are due, locked (``FOR UPDATE SKIP LOCKED``): two routing
    instances never claim the same one."""
    rows = await session.scalars(
        select(EscalationTimer)
        .where(EscalationTimer.state == "pending", EscalationTimer.due_at <= now)
        .order_by(EscalationTimer.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def alerts_by_id(*, session: AsyncSession, alert_ids: Iterable[str]) -> dict[str, AlertRow]:
    rows = await session.scalars(
        select(AlertRow).where(in_values(session, AlertRow.alert_id, list(alert_ids)))
    )
    return {row.alert_id: row for row in rows}


async def finish_timer(
    *, session: AsyncSession, timer: EscalationTimer, state: str, at: datetime
) -> None:
    timer.state, timer.fired_at = state, at


async def escalate_alert(
    *, session: AsyncSession, row: AlertRow, payload: dict[str, Any], at: datetime
) -> None:
    """Store an alert's escalated version (its payload names the new team and level)."""
    row.version = payload["version"]
    row.escalation_step = payload["escalation_step"]
    row.team_id, row.level = payload["team_id"], payload["level"]
    row.jurisdiction_code = payload["jurisdiction_code"]
    row.updated_at, row.last_payload = at, payload


async def muted_alerts(
    *, session: AsyncSession, now: datetime, after: str, limit: int
) -> list[AlertRow]:
    """Muted alerts still inside their window, by id after ``after``, locked (SKIP
    LOCKED): two routing instances never resume the same one."""
    rows = await session.scalars(
        select(AlertRow)
        .where(AlertRow.status == "muted", AlertRow.window_ends_at > now, AlertRow.alert_id > after)
        .order_by(AlertRow.alert_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def resume(
    *, session: AsyncSession, row: AlertRow, payload: dict[str, Any], at: datetime
) -> None:
    """A muted alert sent after all: open again, its current version as sent."""
    row.status, row.updated_at, row.last_payload = "open", at, payload


async def add_timer(*, session: AsyncSession, alert_id: str, due_at: datetime, step: int) -> None:
    session.add(EscalationTimer(alert_id=alert_id, due_at=due_at, step=step))


async def escalate_now(*, session: AsyncSession, row: AlertRow, now: datetime) -> None:
    """An operator's "escalate now": the alert's pending escalation is due at ``now`` (a
    timer due now is added when its rule has none). The timer loop then decides it as any
    due timer (``lifecycle.on_due_timer``): one level up, unless acknowledged by then."""
    moved = await session.execute(
        update(EscalationTimer)
        .where(EscalationTimer.alert_id == row.alert_id, EscalationTimer.state == "pending")
        .values(due_at=now)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        await add_timer(
            session=session, alert_id=row.alert_id, due_at=now, step=row.escalation_step + 1
        )


def request_reassign(
    *, session: AsyncSession, alert_id: str, team_id: str, by: str, now: datetime
) -> None:
    """An operator's "give it to this team": routing's timer loop decides it within a
    second (``lifecycle.on_reassign``), like a due timer."""
    session.add(Reassignment(alert_id=alert_id, team_id=team_id, requested_by=by, requested_at=now))


async def pending_reassignments(*, session: AsyncSession, limit: int) -> list[Reassignment]:
    """Requests not decided yet, oldest first, locked (SKIP LOCKED): with two routing
    instances each is decided once."""
    rows = await session.scalars(
        select(Reassignment)
        .where(Reassignment.state == "pending")
        .order_by(Reassignment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


def finish_reassignment(request: Reassignment, *, refusal: str | None, at: datetime) -> None:
    request.state = "refused" if refusal else "done"
    request.refusal, request.done_at = refusal, at


async def reassign_alert(
    *, session: AsyncSession, row: AlertRow, payload: dict[str, Any], at: datetime
) -> None:
    """Store the version for the new team (its ladder starts again: the old timers are
    cancelled; the caller adds the new team's first one)."""
    await escalate_alert(session=session, row=row, payload=payload, at=at)
    await _cancel_timers(session, row.alert_id)


async def acknowledge(
    *, session: AsyncSession, row: AlertRow, at: datetime, member_id: str | None
) -> None:
    """Mark the alert acknowledged and cancel its pending timers."""
    row.status, row.acked_at, row.acked_by = "acked", at, member_id
    await _cancel_timers(session, row.alert_id)


async def close(
    *, session: AsyncSession, row: AlertRow, at: datetime, member_id: str | None, note: str | None
) -> None:
    """Mark the alert closed (resolved) and cancel its pending timers."""
    row.status, row.closed_at, row.closed_by, row.close_note = "closed", at, member_id, note
    if row.acked_at is None:  # closing it takes it, too
        row.acked_at, row.acked_by = at, member_id
    await _cancel_timers(session, row.alert_id)


async def _cancel_timers(session: AsyncSession, alert_id: str) -> None:
    await session.execute(
        update(EscalationTimer)
        .where(EscalationTimer.alert_id == alert_id, EscalationTimer.state == "pending")
        .values(state="cancelled")
    )


async def closed_digest_rows(*, session: AsyncSession, now: datetime, limit: int) -> list[AlertRow]:
    """Digest alerts whose period closed, locked (SKIP LOCKED) so one instance sums them."""
    rows = await session.scalars(
        select(AlertRow)
        .where(AlertRow.status == "digest", AlertRow.window_ends_at <= now)
        .order_by(AlertRow.team_id, AlertRow.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def mark_digested(*, session: AsyncSession, rows: Iterable[AlertRow]) -> None:
    for row in rows:
        row.status = "digested"
