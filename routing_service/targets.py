"""Where a report goes, pure: the teams the policy's targets name in the directory
(walking up a level when a place has no team), one route per team, and the office's
fallback team for a report no team of the hierarchy serves.

Rules decided here once (and tested in ``tests/unit/routing/test_routing_fallback.py``):

* one route per team, however many rules target it (the first rule's decision);
* a report no team serves (no team at its place's level or above, or no place at all)
  goes to its office's fallback team, and the alert says why (``AlertRouted.fallback``);
  with no office fallback either it is *unrouted*, which routing dead-letters;
* a report placed outside its source's home area (an API key of Tanah Bumbu naming a
  kecamatan in Jakarta) never reaches that place's team: the policy's
  ``outside_home_area`` holds it for the source office's fallback team to review (the
  alert says so), or rejects it (unrouted, dead-lettered with the reason).

What each route's alert becomes is :mod:`routing_service.plan`'s decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing_service.office_policy import policy_for
from routing_service.policy import Policy
from routing_service.policy_eval import RouteDecision, certain_code, evaluate, pick_team
from shared.jurisdiction import level_of
from shared.schemas import Fallback, Level, Reason, Report

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
    no level has a team, the office's fallback team (empty only without one). The
    report's office may override the policy's defaults (``office_policy``)."""
    place = placed_code(report)
    policy = policy_for(policy, report, place)
    decisions = evaluate(policy, report, now)
    if outside_home_area(report, place):
        if policy.outside_home_area == "reject":
            return []
        return office_fallback(report, policy, directory, decisions, now, held=place)
    out: list[Route] = []
    for decision in decisions:
        target = find_target(directory, decision.jurisdiction_code)
        if target is not None and all(r.target.team_id != target.team_id for r in out):
            out.append(Route(decision, target))
    return out or office_fallback(report, policy, directory, decisions, now)


def placed_code(report: Report) -> str | None:
    """Where the report itself is placed (not the policy's fallback jurisdiction)."""
    return report.resolution.routing_code if report.resolution else None


def outside_home_area(report: Report, code: str | None) -> bool:
    """Whether the report's place lies outside its source's home area. A source without
    a home area (a national system) may report anywhere; a place that contains the home
    area (its province) is not outside it."""
    if not code or not report.home_area:
        return False
    return not any(
        code == area or code.startswith(area + ".") or area.startswith(code + ".")
        for area in report.home_area
    )


def office_fallback(
    report: Report,
    policy: Policy,
    directory: Directory,
    decisions: Sequence[RouteDecision],
    now: datetime,
    *,
    held: str | None = None,
) -> list[Route]:
    """The route to the fallback team of the office of the report's source (its home
    area), for a report no team of the hierarchy serves, or one ``held`` for review (its
    place, outside the home area). A report without any place is evaluated as if it were
    at that team's place, so the policy still decides urgency."""
    code = certain_code(report.resolution, policy)
    office = policy.office_for(report.home_area, code)
    team_code = team_place(directory, office.fallback_team) if office else None
    if office is None or team_code is None:
        return []
    found = decisions or evaluate(policy, report, now, code=team_code)
    if not found:
        return []
    target = Target(office.fallback_team, level_of(team_code), team_code)
    why = Fallback(office=office.name, unserved_code=None if held else code, outside_home_area=held)
    return [Route(found[0], target, why)]


def team_place(directory: Directory, team_id: str) -> str | None:
    """The jurisdiction code of ``team_id`` (None: the directory has no such team)."""
    return next((code for code, teams in directory.items() if team_id in teams), None)


def unrouted_reason(report: Report, policy: Policy) -> Reason:
    """Why a report went nowhere (routing dead-letters it with this reason)."""
    place = placed_code(report)
    if outside_home_area(report, place):
        where = (
            f"the report's place {place} is outside its source's home area "
            f"({', '.join(report.home_area)})"
        )
        then = (
            "the policy rejects such reports"
            if policy.outside_home_area == "reject"
            else "no office fallback team is configured to review it"
        )
        return Reason(code="outside_home_area", message=f"{where}; {then}", path="home_area")
    code = certain_code(report.resolution, policy)
    where = f"no team serves {code} or any level above it" if code else "the report has no place"
    message = f"{where}, and no office fallback team is configured for its source"
    return Reason(code="no_team", message=message, path="resolution.routing_code")
