"""Inhibition, pure: whether an open alert for the same case at a higher level mutes a new
alert (the policy's ``inhibit`` rules, :class:`Inhibit`).

An alert for a case goes up the ladder (escalation) while later reports of the case keep
arriving at the kecamatan: without inhibition each would page the kecamatan again and
escalate on its own, so the kabupaten would be paged twice for one case. Only an open or
acknowledged higher alert inhibits: a muted one paged nobody, so it cannot stand in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.schemas import Level

INHIBITING = frozenset({"open", "acked"})


InhibitLevel = Literal["kecamatan", "kabupaten", "provinsi"]
LEVEL_RANK = {"kecamatan": 1, "kabupaten": 2, "provinsi": 3}


class Inhibit(BaseModel):
    """Alertmanager's inhibition over the hierarchy: while an alert at a ``source`` level
    is open (or acknowledged) for a case, a new alert for the same case at a ``target``
    level is recorded muted instead of paging; nobody is paged twice for one case. The
    case is the alert's group key (same rule template: subject, place, day...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    source: list[InhibitLevel] = Field(min_length=1)
    target: list[InhibitLevel] = Field(min_length=1)

    @model_validator(mode="after")
    def _source_above_target(self) -> Inhibit:
        low = min(LEVEL_RANK[s] for s in self.source)
        if any(LEVEL_RANK[t] >= low for t in self.target):
            raise ValueError(
                f"inhibit {self.name!r}: every source level must be above every target level"
            )
        return self


@dataclass(frozen=True)
class OpenCase:
    """An alert open for a case (same group key), wherever it is now."""

    alert_id: str
    level: Level
    status: str


@dataclass(frozen=True)
class Inhibited:
    rule: str
    by_alert: str


def inhibited_by(
    rules: Sequence[Inhibit], level: Level, cases: Sequence[OpenCase]
) -> Inhibited | None:
    """The rule and open alert that mute a new alert at ``level`` for a case whose open
    alerts are ``cases``, else None."""
    for rule in rules:
        if level.value not in rule.target:
            continue
        for case in cases:
            if case.level.value in rule.source and case.status in INHIBITING:
                return Inhibited(rule.name, case.alert_id)
    return None
