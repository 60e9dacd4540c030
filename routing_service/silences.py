"""Silences: an operator mutes alerts matching a matcher until an expiry (with a comment).

Muted alerts are still recorded (status ``muted``), just not sent. Pure matching here;
rows live in ``routing_silences``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from shared.schemas import Category, Report


class SilenceMatcher(BaseModel):
    """Every given field must match; an empty matcher is refused (it would mute all)."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction_prefix: str | None = Field(None, examples=["63.10.04"])
    team_id: str | None = None
    category: list[Category] | None = None
    source: list[str] | None = None
    passport_number: str | None = None

    def is_empty(self) -> bool:
        return not any(self.model_dump(exclude_none=True).values())

    def matches(self, report: Report, team_id: str, jurisdiction_code: str) -> bool:
        if self.jurisdiction_prefix and not (
            jurisdiction_code == self.jurisdiction_prefix
            or jurisdiction_code.startswith(self.jurisdiction_prefix + ".")
            or (report.location.kecamatan_code or "").startswith(self.jurisdiction_prefix)
        ):
            return False
        if self.team_id and self.team_id != team_id:
            return False
        if self.category and report.category not in self.category:
            return False
        if self.source and report.source not in self.source:
            return False
        passports = {(s.passport_number or "").upper() for s in report.subjects}
        return not (self.passport_number and self.passport_number.upper() not in passports)


class ActiveSilence(NamedTuple):
    """A silence as routing applies it: its matcher and time window."""

    matcher: SilenceMatcher
    starts_at: datetime
    ends_at: datetime


def is_muted(
    silences: Sequence[ActiveSilence],
    report: Report,
    team_id: str,
    jurisdiction_code: str,
    now: datetime,
) -> bool:
    return any(
        start <= now < end and m.matches(report, team_id, jurisdiction_code)
        for m, start, end in silences
    )


def silenced_until(
    silences: Sequence[ActiveSilence],
    report: Report,
    team_id: str,
    jurisdiction_code: str,
    now: datetime,
) -> datetime | None:
    """When the last silence muting this alert now ends (None: none mutes it)."""
    ends = [
        end
        for m, start, end in silences
        if start <= now < end and m.matches(report, team_id, jurisdiction_code)
    ]
    return max(ends, default=None)
