"""The retention job's SQL: which alerts to look at, and the erasure of their personal
data in every table that holds it. Keyword-only functions taking ``session=``; the caller
owns the transaction and the decisions (:mod:`shared.retention`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web.models import AlertNote, AuditEntry
from notify_service.buckets import ProviderBucketRow
from notify_service.models import AckRow, AlertVersionRow, StepUpCode
from notify_service.whatsapp_window import WINDOW, WhatsAppWindowRow
from routing_service.models import AlertRow, ProcessedReport
from shared.pii import erase_alert
from shared.retention import ERASED_NOTE


async def candidates(
    *, session: AsyncSession, before: datetime, after: tuple[datetime, str] | None, limit: int
) -> Sequence[AlertRow]:
    """Alerts not erased yet and unchanged since ``before``, in (updated_at, alert_id)
    order after ``after``; locked, skipping rows another transaction holds (routing
    updating one, another purge)."""
    query = select(AlertRow).where(AlertRow.erased_at.is_(None), AlertRow.updated_at <= before)
    if after is not None:
        query = query.where(tuple_(AlertRow.updated_at, AlertRow.alert_id) > after)
    query = query.order_by(AlertRow.updated_at, AlertRow.alert_id).limit(limit)
    return (await session.scalars(query.with_for_update(skip_locked=True))).all()


async def erase_alerts(*, session: AsyncSession, rows: Sequence[AlertRow], now: datetime) -> None:
    """Routing's rows: the last payload erased, the close note and the group key (which
    holds passport numbers or names) replaced; marked erased."""
    for row in rows:
        row.last_payload = erase_alert(row.last_payload)
        row.group_key = f"erased:{row.alert_id}"
        row.close_note = ERASED_NOTE if row.close_note else None
        row.erased_at = now


async def erase_versions(*, session: AsyncSession, alert_ids: list[str], now: datetime) -> int:
    """Notify's stored versions of these alerts; how many were erased."""
    query = select(AlertVersionRow).where(
        AlertVersionRow.alert_id.in_(alert_ids), AlertVersionRow.erased_at.is_(None)
    )
    rows = (await session.scalars(query)).all()
    for row in rows:
        row.payload, row.erased_at = erase_alert(row.payload), now
    return len(rows)


async def erase_reports(*, session: AsyncSession, report_ids: set[str]) -> int:
    """Routing's processed reports: the alerts stored for a redelivery, erased."""
    query = select(ProcessedReport).where(ProcessedReport.report_id.in_(sorted(report_ids)))
    rows = (await session.scalars(query)).all()
    changed = 0
    for row in rows:
        erased = [erase_alert(a) if isinstance(a, dict) else a for a in row.outputs]
        if erased != row.outputs:
            row.outputs, changed = erased, changed + 1
    return changed


async def erase_notes(*, session: AsyncSession, alert_ids: list[str]) -> tuple[int, int]:
    """The notes members wrote with a close, and operators' notes: (acks, notes) erased."""
    acks = await session.execute(
        update(AckRow)
        .where(AckRow.alert_id.in_(alert_ids), AckRow.note.is_not(None))
        .values(note=ERASED_NOTE)
    )
    notes = await session.execute(
        update(AlertNote)
        .where(AlertNote.alert_id.in_(alert_ids), AlertNote.text != ERASED_NOTE)
        .values(text=ERASED_NOTE)
    )
    return int(acks.rowcount), int(notes.rowcount)  # type: ignore[attr-defined]


async def delete_audit(*, session: AsyncSession, before: datetime) -> int:
    """Audit entries and one-time code records older than ``before``; how many."""
    audit = await session.execute(delete(AuditEntry).where(AuditEntry.at < before))
    codes = await session.execute(delete(StepUpCode).where(StepUpCode.created_at < before))
    return int(audit.rowcount) + int(codes.rowcount)  # type: ignore[attr-defined]


async def delete_idle(*, session: AsyncSession, before: datetime) -> int:
    """Provider buckets free since before ``before`` (a chat not written to since: the row
    comes back on its next send) and WhatsApp windows that closed before it (a keyed
    digest of a number, of no use once the window is shut); how many."""
    idle = await session.execute(
        delete(ProviderBucketRow).where(ProviderBucketRow.next_free < before.timestamp())
    )
    closed = await session.execute(
        delete(WhatsAppWindowRow).where(WhatsAppWindowRow.last_inbound_at < before - WINDOW)
    )
    return int(idle.rowcount) + int(closed.rowcount)  # type: ignore[attr-defined]
