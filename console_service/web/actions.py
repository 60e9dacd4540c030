"""What an operator does to an alert, recorded and published like an ack from a channel:
an ``AlertAcknowledged`` on ``alerts.acks`` (channel ``console``, the operator as member),
so routing stops the ladder and notify cancels pending sends and tells the recipients,
exactly as for an SMS reply. Every action and every view of full personal data is written
to the audit log (:func:`audit`) in the same transaction."""

from __future__ import annotations

from typing import Any, Literal

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web.identity import Identity
from console_service.web.models import AlertNote, AuditEntry
from routing_service.models import AlertRow
from shared import topics
from shared.kafka import Outgoing, dumps, publish_all
from shared.schemas import AlertAcknowledged
from shared.settings import Settings

NOTE_MAX = 500


def audit(
    session: AsyncSession,
    *,
    username: str,
    office: str | None,
    action: str,
    target: str | None = None,
    ip: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            username=username, office=office, action=action, target=target, ip=ip, detail=detail
        )
    )


async def acknowledge(
    session: AsyncSession,
    broker: KafkaBroker,
    settings: Settings,
    *,
    who: Identity,
    alert: AlertRow,
    action: Literal["ack", "close"],
    note: str | None,
    ip: str | None,
) -> AlertAcknowledged:
    """Publish the ack or close (inside the caller's transaction: a failed publish rolls
    the audit entry back, and the operator sees the error and may retry)."""
    event = AlertAcknowledged(
        alert_id=alert.alert_id,
        ack_code=alert.ack_code,
        member_id=who.actor,
        channel="console",
        action=action,
        note=(note or None) and note[:NOTE_MAX],
    )
    audit(
        session,
        username=who.username,
        office=who.office,
        action=action,
        target=alert.alert_id,
        ip=ip,
        ack_id=event.ack_id,
    )
    await session.flush()
    await publish_all(
        broker, settings, [Outgoing(topics.ALERTS_ACKS, alert.alert_id, dumps(event))]
    )
    return event


def add_note(
    session: AsyncSession, *, who: Identity, alert: AlertRow, text: str, ip: str | None
) -> None:
    session.add(AlertNote(alert_id=alert.alert_id, username=who.username, text=text[:NOTE_MAX]))
    audit(
        session,
        username=who.username,
        office=who.office,
        action="note",
        target=alert.alert_id,
        ip=ip,
    )
