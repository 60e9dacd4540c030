"""Notify's store: the only code that writes notify's delivery log.

Keyword-only functions that take ``session=`` and do SQL only; the caller owns the
transaction (``shared.db.transaction``) and the decisions (``notify_service.plan``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from notify_service.models import (
    AckRow,
    AlertVersionRow,
    DeliveryRow,
    EarlyReceiptRow,
    GroupMessageRow,
    NoticeRow,
    StepUpCode,
)
from notify_service.receipts import Decision
from shared.adapters.bulk_sql import in_values, insert_many_ignore, update_many
from shared.db import insert_ignore

# --- alert versions and deliveries ---

_VERSION = and_(
    AlertVersionRow.alert_id == DeliveryRow.alert_id,
    AlertVersionRow.version == DeliveryRow.alert_version,
)


async def save_versions(*, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store alert versions unless stored before (a redelivery, another claim group)."""
    await insert_many_ignore(session, AlertVersionRow, rows, "alert_id")


async def alert_payloads(
    *, session: AsyncSession, keys: set[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, Any]]:
    """The stored alerts of ``(alert_id, version)`` keys; erased versions are left out."""
    if not keys:
        return {}
    query = select(AlertVersionRow.alert_id, AlertVersionRow.version, AlertVersionRow.payload)
    query = query.where(
        tuple_(AlertVersionRow.alert_id, AlertVersionRow.version).in_(sorted(keys)),
        AlertVersionRow.erased_at.is_(None),
    )
    return {(a, v): payload for a, v, payload in (await session.execute(query)).all()}


async def claim(*, session: AsyncSession, rows: list[dict[str, Any]]) -> set[object]:
    """Insert delivery rows unless their key exists (claimed before, by this or another
    process); the ids of the rows this call inserted: only those may be sent."""
    return await insert_many_ignore(session, DeliveryRow, rows, "delivery_id")


async def last_update_sms(
    *, session: AsyncSession, alert_ids: set[str]
) -> dict[str, dict[str, datetime]]:
    """When each member was last sent (or is being sent) an update SMS of each alert:
    ``alert_id -> member_id -> created_at`` (the update-SMS rate limit reads it)."""
    if not alert_ids:
        return {}
    query = (
        select(DeliveryRow.alert_id, DeliveryRow.member_id, func.max(DeliveryRow.created_at))
        .join(AlertVersionRow, _VERSION)
        .where(
            DeliveryRow.alert_id.in_(alert_ids),
            DeliveryRow.channel == "sms",
            DeliveryRow.status.not_in(("skipped", "cancelled")),
            AlertVersionRow.reason == "update",
        )
        .group_by(DeliveryRow.alert_id, DeliveryRow.member_id)
    )
    out: dict[str, dict[str, datetime]] = {}
    for alert_id, member_id, at in (await session.execute(query)).all():
        out.setdefault(alert_id, {})[member_id] = at
    return out


async def recipients(
    *, session: AsyncSession, alert_ids: set[str]
) -> dict[str, dict[str, set[str]]]:
    """Who was sent each alert (any version): ``alert_id -> team_id -> member ids``."""
    if not alert_ids:
        return {}
    query = (
        select(DeliveryRow.alert_id, DeliveryRow.team_id, DeliveryRow.member_id)
        .where(DeliveryRow.alert_id.in_(alert_ids), DeliveryRow.status == "sent")
        .distinct()
    )
    out: dict[str, dict[str, set[str]]] = {}
    for alert_id, team_id, member_id in (await session.execute(query)).all():
        out.setdefault(alert_id, {}).setdefault(team_id, set()).add(member_id)
    return out


async def record_outcomes(
    *,
    session: AsyncSession,
    updates: list[dict[str, Any]],
    fallbacks: list[dict[str, Any]],
    group_messages: Sequence[dict[str, Any]] = (),
) -> set[object]:
    """Store the outcome of each send and the messages sent to teams' groups; claim the
    fallback deliveries (their inserted ids)."""
    await update_many(session, DeliveryRow.__table__, "delivery_id", updates)
    if group_messages:
        await insert_many_ignore(session, GroupMessageRow, list(group_messages), "chat_id")
    return await claim(session=session, rows=fallbacks)


async def due_retries(*, session: AsyncSession, now: datetime, limit: int) -> Sequence[DeliveryRow]:
    """Retries, deferred and fallback deliveries that are due, locked (SKIP LOCKED)."""
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.status == "retrying", DeliveryRow.next_attempt_at <= now)
        .order_by(DeliveryRow.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def start_attempt(*, session: AsyncSession, row: DeliveryRow, now: datetime) -> None:
    row.status, row.attempts, row.updated_at = "sending", row.attempts + 1, now


async def give_up(*, session: AsyncSession, row: DeliveryRow, error: str) -> None:
    row.status, row.error = "gave_up", error


async def stale_sending(
    *, session: AsyncSession, before: datetime, limit: int
) -> Sequence[DeliveryRow]:
    """Rows ``sending`` since before ``before`` (their process stopped mid-send), locked
    (SKIP LOCKED: two instances never handle the same row)."""
    query = (
        select(DeliveryRow)
        .where(DeliveryRow.status == "sending", DeliveryRow.updated_at < before)
        .order_by(DeliveryRow.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def start_repeat(*, session: AsyncSession, row: DeliveryRow, now: datetime) -> None:
    """The delivery is sent once more, as a repeat ("[ULANG]")."""
    row.repeat, row.attempts, row.updated_at = True, row.attempts + 1, now
    row.error = "process stopped during the send: sent again, marked as a repeat"


async def mark_uncertain(*, session: AsyncSession, row: DeliveryRow, now: datetime) -> None:
    row.status, row.updated_at = "uncertain", now
    row.error = "process stopped during the send: maybe not delivered, not re-sent"


async def uncertain(*, session: AsyncSession, limit: int = 1000) -> list[tuple[DeliveryRow, str]]:
    """Deliveries that may not have reached their member, newest first, with the
    severity of their alert version."""
    query = (
        select(DeliveryRow, AlertVersionRow.severity)
        .join(AlertVersionRow, _VERSION)
        .where(DeliveryRow.status == "uncertain")
        .order_by(DeliveryRow.updated_at.desc())
        .limit(limit)
    )
    return [(row, severity) for row, severity in (await session.execute(query)).all()]


# --- acks: cancelling what is pending, notices to the other recipients ---


async def cancel_pending(
    *, session: AsyncSession, alert_id: str, reason: str, now: datetime
) -> int:
    """Deliveries of the alert still waiting (deferred by quiet hours, backing off, a
    fallback not yet tried) become ``cancelled``: one UPDATE. A row a retry loop already
    locked (``due_retries``) is left to finish; it was due anyway."""
    result = await session.execute(
        update(DeliveryRow)
        .where(DeliveryRow.alert_id == alert_id, DeliveryRow.status == "retrying")
        .values(status="cancelled", error=reason[:500], next_attempt_at=None, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delivered(*, session: AsyncSession, alert_ids: list[str]) -> list[tuple[Any, ...]]:
    """Every delivery of these alerts, any version (not the payload: its level and place)."""
    query = (
        select(
            DeliveryRow.alert_id,
            DeliveryRow.member_id,
            DeliveryRow.team_id,
            DeliveryRow.channel,
            DeliveryRow.status,
            DeliveryRow.alert_version,
            AlertVersionRow.level,
            AlertVersionRow.jurisdiction_name,
            AlertVersionRow.jurisdiction_code,
            DeliveryRow.ack_code,
        )
        .join(AlertVersionRow, _VERSION)
        .where(in_values(session, DeliveryRow.alert_id, alert_ids), DeliveryRow.channel != "none")
    )
    return [tuple(row) for row in (await session.execute(query)).all()]


async def claim_notices(*, session: AsyncSession, rows: list[dict[str, Any]]) -> set[object]:
    """Insert notice rows unless (ack, member) exists; the ids inserted: only those are sent."""
    return await insert_many_ignore(session, NoticeRow, rows, "notice_id")


async def record_notices(*, session: AsyncSession, updates: list[dict[str, Any]]) -> None:
    await update_many(session, NoticeRow.__table__, "notice_id", updates)


# --- one-time codes (the member page's step-up) ---


async def claim_code(*, session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert the code's row unless its request has one: only the inserter sends."""
    return await insert_ignore(session, StepUpCode, values)


async def record_code(*, session: AsyncSession, request_id: str, status: str) -> None:
    await session.execute(
        update(StepUpCode).where(StepUpCode.request_id == request_id).values(status=status)
    )


# --- delivery log ---


async def delivery_log(
    *, session: AsyncSession, report_id: str | None = None, alert_id: str | None = None
) -> Sequence[DeliveryRow]:
    """The delivery rows of a report and/or an alert, oldest first."""
    query = select(DeliveryRow).order_by(DeliveryRow.created_at)
    if report_id:
        query = query.where(DeliveryRow.report_id == report_id)
    if alert_id:
        query = query.where(DeliveryRow.alert_id == alert_id)
    return (await session.scalars(query)).all()


# --- provider delivery reports (notify_service.receipts, .receipting) ---


async def receipt_rows(
    *, session: AsyncSession, delivery_ids: list[str], wamids: list[str]
) -> list[DeliveryRow]:
    """The deliveries reports name, locked in key order (two reports of one message apply
    one after the other): SMS by our delivery id (Kannel's dlr-url carries it), WhatsApp
    by the wamid (``ix_deliveries_wamid``)."""
    found: list[DeliveryRow] = []
    for column, channel, ids in (
        (DeliveryRow.delivery_id, "sms", delivery_ids),
        (DeliveryRow.provider_message_id, "whatsapp", wamids),
    ):
        if ids:
            query = (
                select(DeliveryRow)
                .where(DeliveryRow.channel == channel, in_values(session, column, ids))
                .order_by(DeliveryRow.delivery_id)
                .with_for_update()
            )
            found += (await session.scalars(query)).all()
    return found


async def apply_receipt(
    *, session: AsyncSession, row: DeliveryRow, decision: Decision, now: datetime
) -> None:
    """Store what a provider report changed (the row is locked by ``receipt_rows``)."""
    row.receipt, row.receipt_at, row.updated_at = decision.receipt, now, now
    row.status = decision.status or row.status
    row.error = decision.error or row.error


async def alerts_done(*, session: AsyncSession, alert_ids: set[str]) -> set[str]:
    """Alerts a member acknowledged or closed, or whose pending deliveries an ack
    cancelled: a failed delivery of those starts no fallback."""
    if not alert_ids:
        return set()
    ids = sorted(alert_ids)
    query = union(
        select(AckRow.alert_id).where(in_values(session, AckRow.alert_id, ids)),
        select(DeliveryRow.alert_id).where(
            in_values(session, DeliveryRow.alert_id, ids), DeliveryRow.status == "cancelled"
        ),
    )
    return set((await session.scalars(select(query.subquery().c[0]))).all())


async def park_receipts(*, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Keep reports whose send is not recorded yet (a repeated report is kept once)."""
    await insert_many_ignore(session, EarlyReceiptRow, rows, "message_id")


async def parked_receipts(*, session: AsyncSession, limit: int) -> Sequence[EarlyReceiptRow]:
    """Reports kept for later, oldest first, locked (SKIP LOCKED: one instance each)."""
    query = (
        select(EarlyReceiptRow)
        .order_by(EarlyReceiptRow.received_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def unpark(*, session: AsyncSession, rows: Sequence[EarlyReceiptRow]) -> None:
    for row in rows:
        await session.delete(row)


async def expire_parked(*, session: AsyncSession, before: datetime) -> int:
    """Forget kept reports older than ``before`` (no delivery of ours ever matched)."""
    result = await session.execute(
        delete(EarlyReceiptRow).where(EarlyReceiptRow.received_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_unconfirmed(
    *, session: AsyncSession, channel: str, before: datetime, now: datetime
) -> int:
    """Deliveries on ``channel`` sent before ``before`` and still awaiting a report become
    ``unconfirmed``: one UPDATE (two instances sweeping at once change each row once)."""
    result = await session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.receipt == "awaiting",
            DeliveryRow.channel == channel,
            DeliveryRow.updated_at < before,
        )
        .values(receipt="unconfirmed", receipt_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


RECEIPT_STATES = ("delivered", "read", "failed", "unconfirmed", "awaiting")


async def in_state(*, session: AsyncSession, state: str, limit: int = 200) -> Sequence[DeliveryRow]:
    """The newest deliveries in ``state`` as ``receipts.delivery_state`` names it: a
    provider report's (``delivered``, ``read``, ``failed``, ``unconfirmed``, ``awaiting``)
    or, for deliveries without one, a status (``sent``, ``gave_up``, ``uncertain``...)."""
    if state in RECEIPT_STATES:
        where = DeliveryRow.receipt == state
    else:
        no_report = or_(DeliveryRow.receipt.is_(None), DeliveryRow.receipt == "awaiting")
        where = and_(DeliveryRow.status == state, no_report)
    query = select(DeliveryRow).where(where).order_by(DeliveryRow.updated_at.desc()).limit(limit)
    return (await session.scalars(query)).all()
