"""The teams directory: Timpora teams per jurisdiction and their members.

Routing asks it which jurisdictions have a team; notify reads a team's members. It lives
in the database (Alembic-managed) and is imported/exported as YAML by the operator CLI.
Members' ``phone`` and ``whatsapp`` are stored in E.164 (:func:`shared.phones.to_e164`,
Indonesian numbering), however the file writes them: replies are matched on that form.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, model_validator
from sqlalchemy import JSON, Boolean, ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from shared.db import Base, UtcDateTime
from shared.phones import to_e164
from shared.schemas import Member, Roster, Team, utcnow


class TeamRow(Base):
    __tablename__ = "teams"

    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str] = mapped_column(String(20), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # The duty schedule (piket), a validated ``Roster``; None: each member's on_duty flag.
    roster: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    members: Mapped[list[MemberRow]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="MemberRow.position"
    )


class MemberRow(Base):
    __tablename__ = "team_members"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.team_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    # Everything else (contacts, channel order, quiet hours) as validated JSON: the
    # pydantic Member model is the single definition of a member's shape.
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    team: Mapped[TeamRow] = relationship(back_populates="members")


class Directory(BaseModel):
    """The YAML file's shape: a list of teams with their members."""

    model_config = ConfigDict(extra="forbid")
    teams: list[Team]

    @model_validator(mode="after")
    def _numbers_in_e164(self) -> Directory:
        self.teams = [normalize_team(team, f"teams[{i}]") for i, team in enumerate(self.teams)]
        return self


PHONE_FIELDS = ("phone", "whatsapp")


def normalize_member(member: Member, path: str = "member") -> Member:
    """``member`` with its phone and WhatsApp numbers in E.164; a ValueError naming the
    field when a number cannot be one."""
    changes: dict[str, str] = {}
    for name in PHONE_FIELDS:
        raw = getattr(member, name)
        if raw is None:
            continue
        e164 = to_e164(raw)
        if e164 is None:
            raise ValueError(f"{path}.{name}: {raw!r} is not a phone number (E.164 expected)")
        if e164 != raw:
            changes[name] = e164
    return member.model_copy(update=changes) if changes else member


def normalize_team(team: Team, path: str = "team") -> Team:
    members = [normalize_member(m, f"{path}.members[{j}]") for j, m in enumerate(team.members)]
    return team.model_copy(update={"members": members})


def team_of(row: TeamRow) -> Team:
    return Team(
        team_id=row.team_id,
        name=row.name,
        level=row.level,  # type: ignore[arg-type]
        jurisdiction_code=row.jurisdiction_code,
        members=[
            Member.model_validate({**m.profile, "member_id": m.member_id, "on_duty": m.on_duty})
            for m in row.members
        ],
        roster=Roster.model_validate(row.roster) if row.roster else None,
    )


async def get_team(session: AsyncSession, team_id: str) -> Team | None:
    row = await session.get(TeamRow, team_id, options=[selectinload(TeamRow.members)])
    return team_of(row) if row else None


async def all_teams(session: AsyncSession) -> list[Team]:
    rows = await session.scalars(
        select(TeamRow).options(selectinload(TeamRow.members)).order_by(TeamRow.jurisdiction_code)
    )
    return [team_of(r) for r in rows]


async def teams_by_jurisdiction(session: AsyncSession) -> dict[str, list[str]]:
    """jurisdiction code → team ids (a jurisdiction may have several teams)."""
    out: dict[str, list[str]] = {}
    for team_id, code in await session.execute(select(TeamRow.team_id, TeamRow.jurisdiction_code)):
        out.setdefault(code, []).append(team_id)
    return out


async def replace_directory(
    session: AsyncSession, teams: Iterable[Team], *, replace: bool = True
) -> int:
    """Make the directory exactly ``teams`` (import is a full, transactional replace);
    ``replace=False``: only add them (the caller removed the part they replace)."""
    if replace:
        await session.execute(delete(MemberRow))
        await session.execute(delete(TeamRow))
    count = 0
    for given in teams:
        team = normalize_team(given, given.team_id)
        session.add(
            TeamRow(
                team_id=team.team_id,
                name=team.name,
                level=team.level.value,
                jurisdiction_code=team.jurisdiction_code,
                roster=team.roster.model_dump(mode="json") if team.roster else None,
                members=[
                    MemberRow(
                        member_id=m.member_id,
                        position=i,
                        on_duty=m.on_duty,
                        profile=m.model_dump(mode="json", exclude={"member_id", "on_duty"}),
                    )
                    for i, m in enumerate(team.members)
                ],
            )
        )
        count += 1
    await session.flush()
    return count


async def set_roster(session: AsyncSession, team_id: str, roster: Roster | None) -> bool:
    """Replace a team's duty schedule (None: back to the members' on_duty flags); False
    when there is no such team."""
    row = await session.get(TeamRow, team_id)
    if row is None:
        return False
    row.roster = roster.model_dump(mode="json") if roster else None
    return True


def load_directory(path: Path) -> list[Team]:
    """Read and validate a directory YAML file (raises pydantic.ValidationError)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Directory.model_validate(data).teams


def dump_directory(teams: list[Team]) -> str:
    data = TypeAdapter(list[Team]).dump_python(teams, mode="json", exclude_none=True)
    return yaml.safe_dump({"teams": data}, allow_unicode=True, sort_keys=False)
