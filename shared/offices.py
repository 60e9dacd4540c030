"""Immigration offices: each owns a home area (Kemendagri code prefixes), its sources
(API keys), the teams and people of its area, a fallback team, and overrides of the
routing policy's defaults for reports of its area.

Offices are records in the database (table ``offices``), imported and exported as YAML
by ``timpora offices`` and edited by an administrator on the console's offices page.
Routing reads them with the directory (every 30 s): once a deployment has office
records they replace the policy file's ``offices:`` list, which remains for a
single-office deployment without records. Console users belong to an office by its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import JSON, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UtcDateTime
from shared.jurisdiction import normalize_code
from shared.schemas import utcnow

OFFICE_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
# The keys of the policy's ``defaults:`` an office may override for reports of its area
# (validated by routing's policy, which knows their types).
OVERRIDABLE = ("group_key", "group_window", "escalate_after", "update_sms_every")


def slug(name: str) -> str:
    """``Kantor Imigrasi Batulicin`` → ``kantor-imigrasi-batulicin`` (an office id)."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text[:64] or "office"


def _code_text(value: Any) -> Any:
    """Refuse codes YAML read as numbers: unquoted 63.10 is the float 63.1."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"write Kemendagri codes in quotes ('63.10'): YAML read {value!r} as a number"
        )
    return value


class Office(BaseModel):
    """An immigration office: its home area and the team that takes a report no team of
    the hierarchy serves (a place outside every team's jurisdiction, or no place at all)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field("", description="Short id (users belong to it); default: from the name")
    name: str = Field(min_length=1, max_length=200)
    home_area: list[str] = Field(min_length=1, description="Kemendagri code prefixes")
    fallback_team: str = Field(min_length=1, max_length=64)
    sources: list[str] = Field(
        default_factory=list, description="The sources (API keys) the office owns"
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the policy's defaults for reports of the office's area "
        f"(keys: {', '.join(OVERRIDABLE)})",
    )

    @field_validator("home_area", mode="before")
    @classmethod
    def _quoted_codes(cls, value: Any) -> Any:
        return [_code_text(v) for v in value] if isinstance(value, list) else value

    @field_validator("home_area")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = [normalize_code(str(v)) for v in value]
        unknown = [v for v, c in zip(value, codes, strict=True) if c is None]
        if unknown:
            raise ValueError(f"unknown Kemendagri code(s): {', '.join(map(repr, unknown))}")
        return [c for c in codes if c is not None]

    @field_validator("defaults")
    @classmethod
    def _overridable(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(OVERRIDABLE))
        if unknown:
            raise ValueError(
                f"an office may override only {', '.join(OVERRIDABLE)}, not {', '.join(unknown)}"
            )
        return value

    @model_validator(mode="after")
    def _id(self) -> Office:
        if not self.id:
            object.__setattr__(self, "id", slug(self.name))
        if not re.match(OFFICE_ID, self.id):
            raise ValueError("an office id is lower-case letters, digits, '-' or '_'")
        return self

    def covers(self, code: str) -> bool:
        return any(code == p or code.startswith(p + ".") for p in self.home_area)


def validation_text(exc: ValidationError) -> str:
    """A validation error as one line: ``where: what; ...``."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}" for e in exc.errors())


def office_for(
    offices: Sequence[Office], home_area: Sequence[str], code: str | None
) -> Office | None:
    """The office of the source's home area, else the one whose area holds ``code``,
    else the first office (None when there is none)."""
    for wanted in (*home_area, *([code] if code else [])):
        office = next((o for o in offices if o.covers(wanted)), None)
        if office is not None:
            return office
    return offices[0] if offices else None


def problems(offices: Sequence[Office]) -> list[str]:
    """What makes a set of offices inconsistent: a repeated id, an area two offices
    claim, a source two offices own."""
    out: list[str] = []
    seen: dict[str, str] = {}
    for office in offices:
        if office.id in seen:
            out.append(f"office id {office.id!r} is used twice")
        seen[office.id] = office.name
    areas = [(code, o.id) for o in offices for code in o.home_area]
    for code, owner in areas:
        for other_code, other in areas:
            inside = other_code == code or other_code.startswith(code + ".")
            if other != owner and inside:
                out.append(f"{other_code} of {other!r} lies in {code} of {owner!r}")
    sources = [(s, o.id) for o in offices for s in o.sources]
    for name in sorted({s for s, _ in sources}):
        owners = sorted({o for s, o in sources if s == name})
        if len(owners) > 1:
            out.append(f"source {name!r} is owned by {', '.join(owners)}")
    return sorted(set(out))


class OfficeRow(Base):
    __tablename__ = "offices"

    office_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    home_area: Mapped[list[str]] = mapped_column(JSON)
    fallback_team: Mapped[str] = mapped_column(String(64))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    defaults: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


def office_of(row: OfficeRow) -> Office:
    return Office(
        id=row.office_id,
        name=row.name,
        home_area=list(row.home_area),
        fallback_team=row.fallback_team,
        sources=list(row.sources or []),
        defaults=dict(row.defaults or {}),
    )


async def all_offices(session: AsyncSession) -> list[Office]:
    rows = await session.scalars(select(OfficeRow).order_by(OfficeRow.office_id))
    return [office_of(r) for r in rows]


async def get_office(session: AsyncSession, office_id: str) -> Office | None:
    row = await session.get(OfficeRow, office_id)
    return office_of(row) if row else None


async def save_office(session: AsyncSession, office: Office) -> bool:
    """Insert or replace one office; True when it is new."""
    row = await session.get(OfficeRow, office.id)
    fields = {
        "name": office.name,
        "home_area": list(office.home_area),
        "fallback_team": office.fallback_team,
        "sources": list(office.sources),
        "defaults": dict(office.defaults),
    }
    if row is None:
        session.add(OfficeRow(office_id=office.id, **fields))
    else:
        for key, value in fields.items():
            setattr(row, key, value)
    await session.flush()
    return row is None


async def replace_offices(session: AsyncSession, offices: Iterable[Office]) -> int:
    """Make the office records exactly ``offices`` (an import is a full replace)."""
    await session.execute(delete(OfficeRow))
    count = 0
    for office in offices:
        await save_office(session, office)
        count += 1
    return count


class OfficesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offices: list[Office]


def load_offices(path: Path) -> list[Office]:
    """Read and validate an offices YAML file (raises pydantic.ValidationError)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return OfficesFile.model_validate(data).offices


def dump_offices(offices: Sequence[Office]) -> str:
    data = TypeAdapter(list[Office]).dump_python(list(offices), mode="json")
    for entry in data:  # keep files short: leave out what is empty
        for key in ("sources", "defaults"):
            if not entry[key]:
                del entry[key]
    return yaml.safe_dump({"offices": data}, allow_unicode=True, sort_keys=False)
