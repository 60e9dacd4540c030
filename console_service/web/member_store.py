"""What the member page reads and writes: the alert a link names with the member's
deliveries of it and their teams today, the one-time codes notify sent, the member's ack.
Keyword-only functions taking ``session=``, SQL only; the decisions are
:mod:`console_service.web.member_rules`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web.models import AuditEntry
from notify_service.models import AckRow, DeliveryRow, StepUpCode
from routing_service.models import AlertRow
from shared.db import insert_ignore
from shared.directory import get_team
from shared.schemas import Member


@dataclass(frozen=True)
class MemberLink:
    alert: AlertRow | None
    delivered_teams: tuple[str, ...]  # the teams the alert reached this member through
    member: Member | None  # from the directory today, in one of those teams
    team_id: str | None  # that team
    channel: str | None  # the channel of the member's latest delivery


async def member_link(*, session: AsyncSession, alert_id: str, member_id: str) -> MemberLink:
    alert = await session.get(AlertRow, alert_id)
    rows = (
        await session.execute(
            select(DeliveryRow.team_id, DeliveryRow.channel)
            .where(DeliveryRow.alert_id == alert_id, DeliveryRow.member_id == member_id)
            .order_by(DeliveryRow.alert_version.desc(), DeliveryRow.created_at.desc())
        )
    ).all()
    teams = tuple(dict.fromkeys(team for team, _ in rows))
    for team_id in teams:
        team = await get_team(session, team_id)
        member = next((m for m in team.members if m.member_id == member_id), None) if team else None
        if member is not None:
            return MemberLink(alert, teams, member, team_id, rows[0][1] if rows else None)
    return MemberLink(alert, teams, None, None, None)


async def codes_requested_since(*, session: AsyncSession, member_id: str, since: datetime) -> int:
    """How many codes the member asked for (audited requests) since ``since``."""
    query = select(func.count()).where(
        AuditEntry.username == f"member:{member_id}",
        AuditEntry.action == "code_requested",
        AuditEntry.at >= since,
    )
    return int(await session.scalar(query) or 0)


async def step_up_code(*, session: AsyncSession, request_id: str) -> StepUpCode | None:
    return await session.get(StepUpCode, request_id, with_for_update=True)


async def count_attempt(
    *, session: AsyncSession, request_id: str, used_at: datetime | None
) -> None:
    values: dict[str, object] = {"attempts": StepUpCode.attempts + 1}
    if used_at is not None:
        values["used_at"] = used_at
    await session.execute(
        update(StepUpCode).where(StepUpCode.request_id == request_id).values(**values)
    )


async def claim_ack(
    *,
    session: AsyncSession,
    ack_id: str,
    alert_id: str,
    member_id: str,
    action: str,
    note: str | None,
) -> bool:
    """Notify's one ack (and one close) per alert and member, whichever way it came: True
    when this is the member's first, so only it is published."""
    return await insert_ignore(
        session,
        AckRow,
        {
            "ack_id": ack_id,
            "alert_id": alert_id,
            "member_id": member_id,
            "channel": "link",
            "action": action,
            "note": note,
        },
    )
