"""Routing's decisions, pure: where a report goes and what each target team's alert becomes;
what a due escalation timer, an acknowledgement and a closed digest period do.

Every stateful step of routing is load → decide → persist → publish, and this module is
the *decide*: the Kafka handler, the timer loop, the digest loop and ``timpora route
explain`` call these functions and nothing else decides. No I/O, no clock (``now`` is an
argument), no SQLAlchemy or FastStream.

What happens to an alert after it is routed (a due timer, an acknowledgement) is
decided in :mod:`routing_service.lifecycle`.

Rules decided here once (and tested in ``tests/unit/routing/test_plan.py``):

* one alert per team and report, however many rules target it (the first rule's route);
* an update of an open alert keeps the highest severity it ever had (never lowers it);
* a muted or digest alert is kept, not sent, and gets no escalation timer;
* an escalation timer is set only when a higher level has a team to escalate to;
* a report no team serves (no team at its place's level or above, or no place at all)
  goes to its office's fallback team, and the alert says why (``AlertRouted.fallback``);
  with no office fallback either it is *unrouted*, which routing dead-letters.

The digest period's decision is :mod:`routing_service.digest`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing_service import grouping
from routing_service.escalation import first_deadline, next_with_team
from routing_service.policy import Policy
from routing_service.policy_eval import RouteDecision, certain_code, evaluate, pick_team
from routing_service.silences import ActiveSilence, is_muted
from shared.jurisdiction import level_of
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Fallback,
    Level,
    Report,
    Severity,
    ack_code_for,
    new_id,
)

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


# --------------------------------------------------------------------------- state


class Outcome(StrEnum):
    send = "send"  # publish the alert to the team
    muted = "muted"  # a silence matches: recorded, not sent
    digest = "digest"  # routine: goes out in the period's summary


@dataclass(frozen=True)
class OpenAlert:
    """What routing remembers of an alert still inside its grouping window."""

    alert_id: str
    version: int
    occurrence_count: int
    window_ends_at: datetime
    report_ids: tuple[str, ...]
    severity: Severity
    ack_code: str
    escalation_step: int = 0
    status: str = "open"  # open | acked | muted | digest

    @property
    def group_state(self) -> grouping.GroupState:
        return grouping.GroupState(
            self.alert_id,
            self.version,
            self.occurrence_count,
            self.window_ends_at,
            self.report_ids,
            self.severity,
        )


@dataclass
class RoutingState:
    """What :func:`plan` reads: open alerts by (team, group key), active silences. The
    handler loads it once per batch and :meth:`remember` keeps it current in memory, so
    reports of one batch group with each other."""

    groups: dict[tuple[str, str], OpenAlert] = field(default_factory=dict)
    silences: Sequence[ActiveSilence] = ()

    def remember(self, decision: Decision) -> None:
        for alert in decision.alerts:
            self.groups[alert.group] = alert.state


@dataclass(frozen=True)
class AlertDecision:
    """One target team's alert after a report: new or updated, sent or kept."""

    route: Route
    action: grouping.Action  # new | update
    outcome: Outcome
    state: OpenAlert  # the alert's state to store
    message: AlertRouted  # its current version (published when ``outcome`` is send)
    timer_due_at: datetime | None  # first escalation timer (new alerts only)

    @property
    def group(self) -> tuple[str, str]:
        return (self.route.target.team_id, self.route.rule.group_key)


@dataclass(frozen=True)
class Decision:
    report_id: str
    alerts: tuple[AlertDecision, ...]
    duplicate_of: tuple[str, ...] = ()  # alerts that hold this report already
    unrouted: bool = False  # no team and no fallback team: routing dead-letters it

    @property
    def to_send(self) -> list[AlertRouted]:
        return [a.message for a in self.alerts if a.outcome is Outcome.send]


# --------------------------------------------------------------------------- reports


def plan(
    report: Report,
    state: RoutingState,
    policy: Policy,
    directory: Directory,
    now: datetime,
    *,
    name_of: NameOf = lambda _code: None,
    new_alert_id: Callable[[], str] = new_id,
) -> Decision:
    """Everything routing does with one report: :func:`routes`, then :func:`decide`."""
    return decide(
        report,
        routes(report, policy, directory, now),
        state,
        directory,
        now,
        name_of=name_of,
        new_alert_id=new_alert_id,
    )


def decide(
    report: Report,
    report_routes: Sequence[Route],
    state: RoutingState,
    directory: Directory,
    now: datetime,
    *,
    name_of: NameOf = lambda _code: None,
    new_alert_id: Callable[[], str] = new_id,
) -> Decision:
    """Open or update each routed team's alert (the handler computes ``report_routes``
    first, to load the open alerts their group keys name)."""
    if not report_routes:
        return Decision(report.report_id, (), unrouted=True)
    alerts, duplicate_of = [], []
    for route in report_routes:
        rule, target = route.rule, route.target
        existing = state.groups.get((target.team_id, rule.group_key))
        window = (
            grouping.digest_period(rule.digest, now)[1] - now if rule.digest else rule.group_window
        )
        grouped = grouping.decide(
            existing.group_state if existing else None,
            report,
            now,
            window,
            severity=rule.severity,
            new_alert_id=new_alert_id,
        )
        if grouped.action is grouping.Action.duplicate:
            duplicate_of.append(grouped.alert_id)  # in the alert already: nothing changes
            continue
        if is_muted(state.silences, report, target.team_id, target.code, now):
            outcome = Outcome.muted
        elif rule.digest:
            outcome = Outcome.digest
        else:
            outcome = Outcome.send
        alert_state = OpenAlert(
            alert_id=grouped.alert_id,
            version=grouped.version,
            occurrence_count=grouped.occurrence_count,
            window_ends_at=grouped.window_ends_at,
            report_ids=grouped.report_ids,
            severity=grouped.severity or rule.severity,
            ack_code=existing.ack_code if existing else ack_code_for(grouped.alert_id),
            escalation_step=existing.escalation_step if existing else 0,
            status=_status(outcome, existing),
        )
        timer = None
        if grouped.action is grouping.Action.new and outcome is Outcome.send:
            timer = first_timer(target, rule.escalate_after, directory, now)
        message = alert_message(report, route, alert_state, grouped.action, now, name_of)
        alerts.append(AlertDecision(route, grouped.action, outcome, alert_state, message, timer))
    return Decision(report.report_id, tuple(alerts), tuple(duplicate_of))


def fate(decision: Decision, unrouted: str | None = None) -> list[dict[str, Any]]:
    """What became of a report, as stored for ``timpora report``: each alert it opened or
    updated with its outcome (sent, muted, digest), the alerts that held it already, or
    its dead letter (``unrouted``: the reason)."""
    if decision.unrouted:
        return [{"outcome": "dead_letter", "reason": unrouted or "unrouted"}]
    out: list[dict[str, Any]] = [
        {
            "outcome": a.outcome.value,
            "action": a.action.value,
            "alert_id": a.state.alert_id,
            "version": a.state.version,
            "team_id": a.route.target.team_id,
            "rules": list(a.route.rule.rules),
            "fallback": a.route.fallback.office if a.route.fallback else None,
        }
        for a in decision.alerts
    ]
    return out + [{"outcome": "duplicate", "alert_id": i} for i in decision.duplicate_of]


def _status(outcome: Outcome, existing: OpenAlert | None) -> str:
    if outcome is not Outcome.send:
        return outcome.value
    return "acked" if existing is not None and existing.status == "acked" else "open"


def first_timer(
    target: Target, escalate_after: timedelta | None, directory: Directory, now: datetime
) -> datetime | None:
    """When a new alert escalates unless acknowledged: only when its rule escalates and a
    higher level has a team (a timer that could only find nobody is never set)."""
    if next_with_team(target.level, target.code, directory.__contains__) is None:
        return None
    return first_deadline(now, escalate_after)


def alert_message(
    report: Report,
    route: Route,
    state: OpenAlert,
    action: grouping.Action,
    now: datetime,
    name_of: NameOf = lambda _code: None,
) -> AlertRouted:
    rule, target = route.rule, route.target
    reason = AlertReason.new if action is grouping.Action.new else AlertReason.update
    resolution = report.resolution
    return AlertRouted(
        alert_id=state.alert_id,
        version=state.version,
        report_id=report.report_id,
        report_ids=list(state.report_ids),
        team_id=target.team_id,
        level=target.level,
        jurisdiction_code=target.code,
        jurisdiction_name=name_of(target.code),
        matched_rules=list(rule.rules),
        reason=AlertReason.digest if rule.digest else reason,
        category=report.category,
        severity=state.severity,
        occurrence_count=state.occurrence_count,
        escalation_step=state.escalation_step,
        ack_code=state.ack_code,
        routed_at=now,
        resolution_confidence=resolution.confidence if resolution else 0.0,
        fallback=route.fallback,
        report=report,
    )


__all__ = [
    "AlertDecision",
    "Decision",
    "Directory",
    "OpenAlert",
    "Outcome",
    "Route",
    "RoutingState",
    "Target",
    "decide",
    "fate",
    "find_target",
    "first_timer",
    "office_fallback",
    "plan",
    "routes",
    "team_place",
    "unrouted_reason",
]
