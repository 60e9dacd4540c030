"""Notify's store for the messages sent to teams' Telegram groups (``team_group_messages``;
:mod:`notify_service.group_acking` wires them, :mod:`notify_service.groups` decides).

Keyword-only functions that take ``session=`` and do SQL only; the caller owns the
transaction. The delivery engine writes the rows (``store.record_outcomes``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from notify_service.models import AckRow, DeliveryRow, GroupMessageRow


async def message(
    *, session: AsyncSession, chat_id: str, message_id: int
) -> GroupMessageRow | None:
    """The group message a button press came from (``None``: not one of ours)."""
    return await session.get(GroupMessageRow, (chat_id, message_id))


async def messages_of(*, session: AsyncSession, alert_id: str) -> Sequence[GroupMessageRow]:
    """Every group message of the alert (any version, any group), locked in key order:
    two presses of the same alert are decided one after the other."""
    query = (
        select(GroupMessageRow)
        .where(GroupMessageRow.alert_id == alert_id)
        .order_by(GroupMessageRow.chat_id, GroupMessageRow.message_id)
        .with_for_update()
    )
    return (await session.scalars(query)).all()


async def first_acker(*, session: AsyncSession, alert_id: str) -> tuple[str, str] | None:
    """(member id, action) of the earliest ack or close of the alert, if any."""
    query = (
        select(AckRow.member_id, AckRow.action)
        .where(AckRow.alert_id == alert_id)
        .order_by(AckRow.acknowledged_at, AckRow.ack_id)
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def teams_of(
    *, session: AsyncSession, alert_id: str, member_id: str | None = None
) -> list[str]:
    """The teams the alert's deliveries went to (only ``member_id``'s, if given), in the
    order they were first reached."""
    query = (
        select(DeliveryRow.team_id)
        .where(DeliveryRow.alert_id == alert_id)
        .group_by(DeliveryRow.team_id)
        .order_by(func.min(DeliveryRow.created_at))
    )
    if member_id is not None:
        query = query.where(DeliveryRow.member_id == member_id)
    return list((await session.scalars(query)).all())


async def take(
    *, session: AsyncSession, alert_id: str, member_id: str | None, label: str, now: datetime
) -> None:
    """Mark the alert's group messages taken (those no one took yet)."""
    await session.execute(
        update(GroupMessageRow)
        .where(GroupMessageRow.alert_id == alert_id, GroupMessageRow.taken_label.is_(None))
        .values(taken_by=member_id, taken_label=label, taken_at=now)
    )


async def claim_edits(
    *, session: AsyncSession, alert_id: str, member_id: str | None, label: str, now: datetime
) -> Sequence[GroupMessageRow]:
    """Claim the edit of every group message of the alert not edited yet (one UPDATE: a
    redelivered ack, or another instance, claims none); an untaken message is taken by
    ``member_id`` with ``label`` on the way. The claimed rows, as updated."""
    statement = (
        update(GroupMessageRow)
        .where(GroupMessageRow.alert_id == alert_id, GroupMessageRow.edit_status.is_(None))
        .values(
            edit_status="editing",
            taken_by=func.coalesce(GroupMessageRow.taken_by, member_id)
            if member_id is not None
            else GroupMessageRow.taken_by,
            taken_label=func.coalesce(GroupMessageRow.taken_label, label),
            taken_at=func.coalesce(GroupMessageRow.taken_at, now),
        )
        .returning(GroupMessageRow)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(statement)).all()


async def record_edit(
    *, session: AsyncSession, chat_id: str, message_id: int, error: str | None
) -> None:
    await session.execute(
        update(GroupMessageRow)
        .where(GroupMessageRow.chat_id == chat_id, GroupMessageRow.message_id == message_id)
        .values(edit_status="failed" if error else "edited", edit_error=error)
    )
