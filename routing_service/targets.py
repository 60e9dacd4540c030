"""Where a report goes, pure: the teams the policy's targets name in the directory
(walking up a level when a place has no team), one route per team, and the office's
fallback team for a report no team of the hierarchy serves.

Rules decided here once (and tested in ``tests/unit/routing/test_routing_fallback.py``):

* one route per team, however many rules target it (the first rule's decision);
* a report no team serves (no team at its place's level or above, or no place at all)
  goes to its office's fallback team, and the alert says why (``AlertRouted.fallback``);
  with no office fallback either it is *unrouted*, which routing dead-letters.

What each route's alert becomes is :mod:`routing_service.plan`'s decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing_service.policy import Policy
from routing_service.policy_eval import RouteDecision, certain_code, evaluate, pick_team
from shared.jurisdiction import level_of
from shared.schemas import Fallback, Level, Report

Directory = Mapping[str, Sequence[str]]  # jurisdiction code → its teams' ids
NameOf = Callable[[str], str | None]  # jurisdiction code → official name


@dataclass(frozen=True)
class Target:
    team_id: str
    level: Level
    code: str


@dataclass(frozen=True)
class Route:
    """One team a report goes to, with the policy's decision for it."""

    rule: RouteDecision
    target: Target
    fallback: Fallback | None = None  # set when the office's fallback team takes it


def find_target(directory: Directory, code: str) -> Target | None:
    """The team for ``code``, else that of the nearest ancestor that has one."""
    found = pick_team(code, directory.__contains__)
    if found is None:
        return None
    return Target(directory[found][0], level_of(found), found)


def routes(report: Report, policy: Policy, directory: Directory, now: datetime) -> list[Route]:
    """The teams a report goes to: the policy's targets that have a team (walking up to
    the parent level otherwise), one route per team whatever the number of rules; when
    no level has a team, the office's fallback team (empty only without one)."""
    decisions = evaluate(policy, report, now)
    out: list[Route] = []
    for decision in decisions:
        target = find_target(directory, decision.jurisdiction_code)
        if target is not None and all(r.target.team_id != target.team_id for r in out):
            out.append(Route(decision, target))
    return out or office_fallback(report, policy, directory, decisions, now)


def office_fallback(
    report: Report,
    policy: Policy,
    directory: Directory,
    decisions: Sequence[RouteDecision],
    now: datetime,
) -> list[Route]:
    """The route to the fallback team of the office of the report's source (its home
    area), for a report no team of the hierarchy serves. A report without any place is
    evaluated as if it were at that team's place, so the policy still decides urgency."""
    code = certain_code(report.resolution, policy)
    office = policy.office_for(report.home_area, code)
    team_code = team_place(directory, office.fallback_team) if office else None
    if office is None or team_code is None:
        return []
    found = decisions or evaluate(policy, report, now, code=team_code)
    if not found:
        return []
    target = Target(office.fallback_team, level_of(team_code), team_code)
    return [Route(found[0], target, Fallback(office=office.name, unserved_code=code))]


def team_place(directory: Directory, team_id: str) -> str | None:
    """The jurisdiction code of ``team_id`` (None: the directory has no such team)."""
    return next((code for code, teams in directory.items() if team_id in teams), None)


def unrouted_reason(report: Report, policy: Policy) -> str:
    """Why a report went nowhere (routing dead-letters it with this reason)."""
    code = certain_code(report.resolution, policy)
    where = f"no team serves {code} or any level above it" if code else "the report has no place"
    return f"{where}, and no office fallback team is configured for its source"
