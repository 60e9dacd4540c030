"""``timpora regions migrate`` against the database: load what holds codes, apply a plan.

Load → decide (:func:`console_service.regions_plan.plan`, pure) → persist: :func:`apply`
writes the plan's changes to teams, silences, office records and console users' scopes
and records the decree (``region_versions``) in the caller's one transaction. Alerts
(``routing_alerts``) and everything routed are never touched: they keep the codes they
were routed with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.regions_plan import Areas, Plan, SilenceRef, TeamRef
from console_service.web.models import ConsoleUser
from routing_service.models import Silence
from shared.directory import TeamRow
from shared.offices import OfficeRow
from shared.region_versions import current_decree, record_decree
from shared.schemas import new_id


@dataclass(frozen=True)
class Stored:
    """What holds region codes in the database (the plan's input)."""

    decree: str
    teams: list[TeamRef]
    silences: list[SilenceRef]
    offices: list[Areas]
    users: list[Areas]


async def load(session: AsyncSession, now: datetime) -> Stored:
    teams = await session.scalars(select(TeamRow).order_by(TeamRow.jurisdiction_code))
    silences = await session.scalars(
        select(Silence).where(Silence.ends_at > now).order_by(Silence.id)
    )
    offices = await session.scalars(select(OfficeRow).order_by(OfficeRow.office_id))
    users = await session.scalars(select(ConsoleUser).order_by(ConsoleUser.username))
    return Stored(
        decree=await current_decree(session),
        teams=[TeamRef(t.team_id, t.name, t.jurisdiction_code) for t in teams],
        silences=[SilenceRef(s.id, dict(s.matchers)) for s in silences],
        offices=[Areas(f"office {o.office_id}", tuple(o.home_area)) for o in offices],
        users=[Areas(f"user {u.username}", tuple(u.scopes)) for u in users],
    )


def summary(plan: Plan) -> dict[str, Any]:
    return {
        "teams": len(plan.teams),
        "teams_needed": [t.code for t in plan.teams_needed],
        "silences": len(plan.silences) + len(plan.silence_copies),
        "offices": len(plan.offices),
        "users": len(plan.users),
    }


async def apply(
    session: AsyncSession,
    plan: Plan,
    *,
    decree: str,
    previous: str,
    now: datetime,
    by: str,
) -> None:
    """Write ``plan`` and record ``decree`` (in the caller's transaction)."""
    for team in plan.teams:
        row = await session.get(TeamRow, team.team_id)
        if row is not None:
            row.jurisdiction_code, row.name = team.new_code, team.new_name
    for moved in plan.silences:
        silence = await session.get(Silence, moved.silence_id)
        if silence is not None:
            silence.matchers = {**silence.matchers, "jurisdiction_prefix": moved.new_prefix}
    for copy in plan.silence_copies:
        source = await session.get(Silence, copy.silence_id)
        if source is None:
            continue
        session.add(
            Silence(
                id=new_id(),
                matchers={**source.matchers, "jurisdiction_prefix": copy.prefix},
                starts_at=source.starts_at,
                ends_at=source.ends_at,
                comment=f"{source.comment} (regions migrate: {decree})"[:2000],
                created_by=source.created_by,
            )
        )
    offices = {f"office {o.office_id}": o for o in await session.scalars(select(OfficeRow))}
    for change in plan.offices:
        if office := offices.get(change.key):
            office.home_area = list(change.new)
    users = {f"user {u.username}": u for u in await session.scalars(select(ConsoleUser))}
    for change in plan.users:
        if user := users.get(change.key):
            user.scopes = list(change.new)
    await record_decree(
        session, decree=decree, previous=previous, applied_at=now, applied_by=by,
        summary=summary(plan),
    )  # fmt: skip
