"""Offices managed by an administrator: the checks an import, an edit and a new user go
through (pure), and the store work behind ``timpora offices`` and the offices page.

An office's record names its home area, fallback team, sources and overrides of the
routing policy's defaults (``shared.offices``); routing reads the records within 30 s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web.models import ConsoleUser
from routing_service.office_policy import override_problem
from shared import offices as records
from shared.directory import TeamRow
from shared.offices import Office


def office_problems(
    offices: Sequence[Office], team_ids: Iterable[str], user_offices: Iterable[str]
) -> list[str]:
    """Why a set of office records cannot be saved (empty: it can): ids, areas and
    sources that clash, fallback teams the directory lacks, overrides routing cannot
    apply, and offices users still belong to that the set leaves out."""
    known_teams = set(team_ids)
    out = records.problems(offices)
    out += [p for o in offices if (p := override_problem(o))]
    out += [
        f"office {o.id!r}: its fallback team {o.fallback_team!r} is not in the directory"
        for o in offices
        if o.fallback_team not in known_teams
    ]
    ids = {o.id for o in offices}
    out += [
        f"users belong to office {name!r}, which would no longer exist"
        for name in sorted(set(user_offices) - ids)
    ]
    return out


def user_office_problem(
    offices: Sequence[Office], office_id: str, role: str, scopes: Sequence[str]
) -> str | None:
    """Why a user may not belong to ``office_id`` with ``scopes`` (None: they may). With
    no office records (a deployment still on the policy file's list) anything goes."""
    if not offices:
        return None
    office = next((o for o in offices if o.id == office_id), None)
    if office is None:
        return f"no office {office_id!r} (known: {', '.join(o.id for o in offices)})"
    if role == "admin":
        return None
    outside = [s for s in scopes if not office.covers(s)]
    if outside:
        return f"scopes outside the home area of {office.id} ({', '.join(office.home_area)}): " + (
            ", ".join(outside)
        )
    return None


def default_scopes(offices: Sequence[Office], office_id: str) -> list[str]:
    """A new user's scopes when none are given: their office's home area."""
    office = next((o for o in offices if o.id == office_id), None)
    return list(office.home_area) if office else []


@dataclass(frozen=True)
class OfficeSummary:
    """One row of the offices page and of ``timpora offices list``."""

    office: Office
    teams: int
    users: int


async def _team_ids(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(TeamRow.team_id)))


async def _user_offices(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(ConsoleUser.office).distinct()))


async def import_offices(session: AsyncSession, offices: Sequence[Office]) -> int:
    """Replace every office record with ``offices`` (ValueError: why not, nothing saved)."""
    problems = office_problems(offices, await _team_ids(session), await _user_offices(session))
    if problems:
        raise ValueError("; ".join(problems))
    return await records.replace_offices(session, offices)


async def save_office(session: AsyncSession, office: Office) -> bool:
    """Add or change one office, checked against the others (ValueError: why not)."""
    others = [o for o in await records.all_offices(session) if o.id != office.id]
    problems = office_problems([*others, office], await _team_ids(session), [])
    if problems:
        raise ValueError("; ".join(problems))
    return await records.save_office(session, office)


async def summaries(session: AsyncSession) -> list[OfficeSummary]:
    """Every office with the number of teams in its area and of its users."""
    offices = await records.all_offices(session)
    codes = list(await session.scalars(select(TeamRow.jurisdiction_code)))
    counted = select(ConsoleUser.office, func.count()).group_by(ConsoleUser.office)
    users: dict[str, int] = {office: n for office, n in await session.execute(counted)}
    return [
        OfficeSummary(o, sum(1 for c in codes if o.covers(c)), users.get(o.id, 0)) for o in offices
    ]
