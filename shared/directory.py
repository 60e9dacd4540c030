"""The teams directory: Timpora teams per jurisdiction and their members.

Routing asks it which jurisdictions have a team; notify reads a team's members. It lives
in the database (Alembic-managed) and is imported/exported as YAML by the operator CLI.
A team may name its Telegram group (``telegram_group_chat_id``, a negative chat id):
notify sends each alert version there once, besides the members' own messages.
Members' ``phone`` and ``whatsapp`` are stored in E.164 (:func:`shared.phones.to_e164`,
Indonesian numbering), however the file writes them: replies are matched on that form.
The console edits one member at a time (:func:`upsert_member`, :func:`remove_member`);
notify reads the change through its cache (``NOTIFY_DIRECTORY_CACHE_SECONDS``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, model_validator
from sqlalchemy import JSON, Boolean, ForeignKey, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from shared.adapters.bulk_sql import in_values
from shared.db import Base, UtcDateTime
from shared.phones import to_e164
from shared.schemas import Channel, Member, Roster, Team, utcnow


class TeamRow(Base):
    __tablename__ = "teams"

    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str] = mapped_column(String(20), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # The duty schedule (piket), a validated ``Roster``; None: each member's on_duty flag.
    roster: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The team's Telegram group (a negative chat id): each alert version goes there once.
    telegram_group_chat_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    members: Mapped[list[MemberRow]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="MemberRow.position"
    )


class MemberRow(Base):
    __tablename__ = "team_members"

    member_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.team_id", ondelete="CASCADE"), index=True
    )
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
# libyaml's safe loader and dumper when PyYAML has them (a national directory of 35,000
# people: seconds instead of a minute), else PyYAML's own safe ones.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


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


PHONE_CHARS = re.compile(r"[+\d\s\-.()/]+")  # how a person writes a number by hand
# The field holding a member's address on each channel (notify drops a channel whose
# field is empty; the console refuses to store one).
ADDRESS_FIELDS: dict[Channel, str] = {
    Channel.sms: "phone",
    Channel.email: "email",
    Channel.telegram: "telegram_chat_id",
    Channel.whatsapp: "whatsapp",
    Channel.webhook: "webhook_url",
}


def dialable(raw: str) -> bool:
    """Whether a hand-written number is one to send to: only digits and separators (the
    phonenumbers library would dial letters as on a keypad), readable by :func:`to_e164`
    and a valid number of its country's plan (``0812-34`` is possible, not valid)."""
    e164 = to_e164(raw) if PHONE_CHARS.fullmatch(raw) else None
    return e164 is not None and phonenumbers.is_valid_number(phonenumbers.parse(e164))


def member_problems(member: Member) -> dict[str, str]:
    """Why ``member`` may not be stored as entered by hand, field → problem:
    ``not_a_phone`` (see :func:`dialable`), ``needed_by_channel`` (an address
    field left empty while a channel of the member uses it). Empty: fine. The YAML
    import is laxer: it only needs readable numbers (notify skips a channel without an
    address)."""
    problems: dict[str, str] = {}
    for name in PHONE_FIELDS:
        raw = getattr(member, name)
        if raw is not None and not dialable(raw):
            problems[name] = "not_a_phone"
    for channel in member.channels:
        field = ADDRESS_FIELDS[Channel(channel)]
        if not getattr(member, field):
            problems.setdefault(field, "needed_by_channel")
    return problems


def normalize_team(team: Team, path: str = "team") -> Team:
    members = [normalize_member(m, f"{path}.members[{j}]") for j, m in enumerate(team.members)]
    return team.model_copy(update={"members": members})


def _member(member_id: str, on_duty: bool, profile: dict[str, Any]) -> Member:
    return Member.model_validate({**profile, "member_id": member_id, "on_duty": on_duty})


def _team(fields: Sequence[Any], members: list[Member]) -> Team:
    """A team from its :data:`TEAM_FIELDS` values and its members."""
    team_id, name, level, jurisdiction_code, roster, telegram_group_chat_id = fields
    return Team(
        team_id=team_id,
        name=name,
        level=level,
        jurisdiction_code=jurisdiction_code,
        members=members,
        roster=Roster.model_validate(roster) if roster else None,
        telegram_group_chat_id=telegram_group_chat_id,
    )


TEAM_FIELDS = (
    TeamRow.team_id,
    TeamRow.name,
    TeamRow.level,
    TeamRow.jurisdiction_code,
    TeamRow.roster,
    TeamRow.telegram_group_chat_id,
)


def team_of(row: TeamRow) -> Team:
    members = [_member(m.member_id, m.on_duty, m.profile) for m in row.members]
    return _team([getattr(row, f.key) for f in TEAM_FIELDS], members)


async def get_team(session: AsyncSession, team_id: str) -> Team | None:
    return (await get_teams(session, [team_id])).get(team_id)


async def get_teams(session: AsyncSession, team_ids: Iterable[str]) -> dict[str, Team]:
    """The teams among ``team_ids`` that exist, with their members: two array queries
    however many, and no ORM objects (notify loads a batch's teams at once: with the
    national directory nearly every alert is another team's)."""
    wanted = sorted(set(team_ids))
    if not wanted:
        return {}
    found = select(*TEAM_FIELDS).where(in_values(session, TeamRow.team_id, wanted))
    teams = (await session.execute(found)).all()
    if not teams:
        return {}
    members: dict[str, list[Member]] = {}
    rows = await session.execute(
        select(MemberRow.team_id, MemberRow.member_id, MemberRow.on_duty, MemberRow.profile)
        .where(in_values(session, MemberRow.team_id, [t[0] for t in teams]))
        .order_by(MemberRow.team_id, MemberRow.position)
    )
    for team_id, member_id, on_duty, profile in rows:
        members.setdefault(team_id, []).append(_member(member_id, on_duty, profile))
    return {t[0]: _team(t, members.get(t[0], [])) for t in teams}


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
                telegram_group_chat_id=team.telegram_group_chat_id,
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


async def set_group_chat(session: AsyncSession, team_id: str, chat_id: str | None) -> bool:
    """Name the team's Telegram group (None: no group); False when there is no such team.
    ``chat_id`` is checked by :class:`shared.schemas.Team` first."""
    row = await session.get(TeamRow, team_id)
    if row is None:
        return False
    row.telegram_group_chat_id = chat_id
    return True


def _profile(member: Member) -> dict[str, Any]:
    return member.model_dump(mode="json", exclude={"member_id", "on_duty"})


async def new_member_id(session: AsyncSession) -> str:
    """A member id no one in the directory has (``m`` and 10 random hex digits)."""
    while True:
        member_id = f"m{secrets.token_hex(5)}"
        if await session.get(MemberRow, member_id) is None:
            return member_id


async def upsert_member(session: AsyncSession, team_id: str, member: Member) -> bool:
    """Add ``member`` to the team (last in its order) or replace the member of that id in
    it, numbers in E.164 (ValueError naming the field when one cannot be); False when
    there is no such team, or the id belongs to a member of another team."""
    member = normalize_member(member)
    if await session.get(TeamRow, team_id) is None:
        return False
    row = await session.get(MemberRow, member.member_id)
    if row is None:
        last = await session.scalar(
            select(func.max(MemberRow.position)).where(MemberRow.team_id == team_id)
        )
        session.add(
            MemberRow(
                member_id=member.member_id,
                team_id=team_id,
                position=0 if last is None else last + 1,
                on_duty=member.on_duty,
                profile=_profile(member),
            )
        )
    elif row.team_id != team_id:
        return False
    else:
        row.on_duty, row.profile = member.on_duty, _profile(member)
    await session.flush()
    return True


async def remove_member(session: AsyncSession, team_id: str, member_id: str) -> bool:
    """Take a member out of the team and out of its roster (their weekly slots and
    overrides go with them: a roster names only the team's members); False when the
    team has no such member."""
    gone = await session.execute(
        delete(MemberRow).where(MemberRow.team_id == team_id, MemberRow.member_id == member_id)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        return False
    team = await session.get(TeamRow, team_id)
    if team is not None and team.roster:
        roster = Roster.model_validate(team.roster)
        roster.slots = [s for s in roster.slots if s.member_id != member_id]
        roster.overrides = [o for o in roster.overrides if o.member_id != member_id]
        team.roster = roster.model_dump(mode="json")
    return True


def load_directory(path: Path) -> list[Team]:
    """Read and validate a directory YAML file (raises pydantic.ValidationError)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}  # noqa: S506 (a safe loader)
    return Directory.model_validate(data).teams


def dump_directory(teams: list[Team]) -> str:
    data = TypeAdapter(list[Team]).dump_python(teams, mode="json", exclude_none=True)
    return yaml.dump({"teams": data}, Dumper=YAML_DUMPER, allow_unicode=True, sort_keys=False)
