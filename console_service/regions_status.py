"""Whether the stored region codes and this process's region data agree: decided here,
pure, for ``timpora regions status`` and the console's ``/regions`` page alike.

Two things can be out of step after a decree (*pemekaran*, ``docs/regions.md``):

* the **decree** the database's codes follow (``region_versions``) and the one the
  process's data follows (the shipped data, or ``TIMPORA_REGIONS_FILE``): they differ
  between setting the new file and running ``timpora regions migrate``;
* **teams whose area code the data does not have** (abolished, or never valid): routing
  finds no jurisdiction for them, so no report reaches them until they are moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from console_service.regions_plan import TeamRef


@dataclass(frozen=True)
class StaleTeam:
    team_id: str
    name: str
    code: str
    former_name: str | None  # the shipped data's name of an abolished code, if any


@dataclass(frozen=True)
class RegionStatus:
    stored_decree: str
    data_decree: str
    stale: list[StaleTeam] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return self.stored_decree == self.data_decree

    @property
    def healthy(self) -> bool:
        return self.agree and not self.stale


def region_status(
    stored_decree: str,
    data_decree: str,
    teams: Iterable[TeamRef],
    exists: Callable[[str], bool],
    former_name: Callable[[str], str | None],
) -> RegionStatus:
    """The status from the stored decree, the data's, and the teams' area codes (those the
    data has no unit for are listed, by code)."""
    stale = [
        StaleTeam(t.team_id, t.name, t.code, former_name(t.code))
        for t in sorted(teams, key=lambda t: (t.code, t.team_id))
        if not exists(t.code)
    ]
    return RegionStatus(stored_decree, data_decree, stale)
