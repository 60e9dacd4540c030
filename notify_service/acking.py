"""Acks and closes from members: who sent a code, and the one record + event per action.

An alert keeps its ack code on every version (``ack_code_for(alert_id)``), and a member
may have received any of them: the kecamatan member who got version 1 still holds the
code after the alert was escalated to the kabupaten team (version 2). So a code is
matched against every delivery of it, each with the team *that delivery* went to.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from notify_service.deps import NotifyDeps
from notify_service.models import AckRow, DeliveryRow
from notify_service.replies import Action, Reply
from shared import topics
from shared.db import insert_ignore, transaction
from shared.kafka import Outgoing, dumps, publish_all
from shared.observability import ACKS
from shared.schemas import AlertAcknowledged, Member, new_id

AckChannel = str  # "sms", "telegram", "whatsapp", "link"


async def record_ack(
    deps: NotifyDeps,
    alert_id: str,
    member_id: str,
    channel: AckChannel,
    *,
    action: Action = "ack",
    note: str | None = None,
    ack_code: str | None = None,
) -> bool:
    """Record and publish an ack (or close); False when this member had already done so."""
    async with transaction(deps.runtime.sessions) as session:
        ack_id = new_id()
        inserted = await insert_ignore(
            session,
            AckRow,
            {
                "ack_id": ack_id,
                "alert_id": alert_id,
                "member_id": member_id,
                "channel": channel,
                "action": action,
                "note": note,
            },
        )
        if inserted:  # published inside the transaction: a failed publish rolls the row back
            event = AlertAcknowledged(
                ack_id=ack_id,
                alert_id=alert_id,
                ack_code=ack_code,
                member_id=member_id,
                channel=channel,  # type: ignore[arg-type]
                action=action,
                note=note,
            )
            await publish_all(
                deps.broker, deps.settings, [Outgoing(topics.ALERTS_ACKS, alert_id, dumps(event))]
            )
            ACKS.labels(channel).inc()
    return inserted


async def deliveries_of_code(deps: NotifyDeps, code: str) -> list[tuple[str, str, str]]:
    """(alert id, member id, team id) of every delivery made with this ack code, any
    version and level."""
    async with deps.runtime.sessions() as session:
        rows = await session.execute(
            select(DeliveryRow.alert_id, DeliveryRow.member_id, DeliveryRow.team_id)
            .where(DeliveryRow.ack_code == code.upper())
            .distinct()
        )
        return [(a, m, t) for a, m, t in rows.all()]


async def record_reply(
    deps: NotifyDeps, hit: tuple[str, Member], channel: AckChannel, reply: Reply
) -> bool:
    """A member's parsed reply (SMS, Telegram, WhatsApp) recorded as their ack or close of
    the alert ``hit`` names (see :func:`record_ack`)."""
    alert_id, member = hit
    return await record_ack(
        deps,
        alert_id,
        member.member_id,
        channel,
        action=reply.action,
        note=reply.note,
        ack_code=reply.code,
    )


async def member_by_code(
    deps: NotifyDeps, code: str, match: Callable[[Member], bool]
) -> tuple[str, Member] | None:
    """(alert id, member) for the alert with ``code`` delivered to a member for whom
    ``match(member)`` holds (in the team of that delivery)."""
    for alert_id, member_id, team_id in await deliveries_of_code(deps, code):
        team = await deps.team(team_id)
        for member in team.members if team else []:
            if member.member_id == member_id and match(member):
                return alert_id, member
    return None
