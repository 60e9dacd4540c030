"""Routing's decisions, pure: what each target team's alert becomes after a report.

Every stateful step of routing is load → decide → persist → publish, and this module is
the *decide*: the Kafka handler, the timer loop, the digest loop and ``timpora route
explain`` call these functions and nothing else decides. No I/O, no clock (``now`` is an
argument), no SQLAlchemy or FastStream.

What happens to an alert after it is routed (a due timer, an acknowledgement) is
decided in :mod:`routing_service.lifecycle`.

Rules decided here once (and tested in ``tests/unit/routing/test_routing_plan.py``
and ``test_plan_inhibition.py``):

* one alert per team and report (:func:`routing_service.targets.routes`: one route per
  team, however many rules target it);
* an update of an open alert keeps the highest severity it ever had (never lowers it);
* a muted or digest alert is kept, not sent, and gets no escalation timer;
* a new alert whose case (group key) is open at a higher level is *inhibited* (the
  policy's ``inhibit`` rules, :mod:`routing_service.inhibition`): kept, not sent, no
  timer, so nobody is paged twice for one case; a silence is checked first. An alert
  that was sent stays sent: its updates are news for its team, not pages (its timer
  stops instead, :func:`routing_service.lifecycle.on_due_timer`). The alerts of the
  report that opens a case are not inhibited by each other: a rule that targets the
  kecamatan and the kabupaten at once pages both;
* an escalation timer is set only when a higher level has a team to escalate to;
* a report without routes (no team, no office fallback) is *unrouted*, which routing
  dead-letters.

The digest period's decision is :mod:`routing_service.digest`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from routing_service import grouping
from routing_service.escalation import first_deadline, next_with_team
from routing_service.inhibition import Inhibit, Inhibited, OpenCase, inhibited_by
from routing_service.policy import Policy
from routing_service.silences import ActiveSilence, is_muted
from routing_service.targets import Directory, NameOf, Route, Target, routes
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Reason,
    Report,
    Severity,
    ack_code_for,
    new_id,
)

# --------------------------------------------------------------------------- state


class Outcome(StrEnum):
    send = "send"  # publish the alert to the team
    muted = "muted"  # a silence matches: recorded, not sent
    inhibited = "inhibited"  # its case is open at a higher level: recorded, not sent
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
    status: str = "open"  # open | acked | muted | digest | inhibited

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
    """What :func:`plan` reads: open alerts by (team, group key), active silences, and
    the open cases by group key at any team and level (for inhibition). The handler loads
    it once per batch and :meth:`remember` keeps it current in memory, so reports of one
    batch group with (and inhibit) each other."""

    groups: dict[tuple[str, str], OpenAlert] = field(default_factory=dict)
    silences: Sequence[ActiveSilence] = ()
    cases: dict[str, list[OpenCase]] = field(default_factory=dict)

    def remember(self, decision: Decision) -> None:
        for alert in decision.alerts:
            self.groups[alert.group] = alert.state
            self.cases[alert.route.rule.group_key] = [
                *(c for c in self.cases.get(alert.route.rule.group_key, ())
                  if c.alert_id != alert.state.alert_id),
                alert.case,
            ]  # fmt: skip


@dataclass(frozen=True)
class AlertDecision:
    """One target team's alert after a report: new or updated, sent or kept."""

    route: Route
    action: grouping.Action  # new | update
    outcome: Outcome
    state: OpenAlert  # the alert's state to store
    message: AlertRouted  # its current version (published when ``outcome`` is send)
    timer_due_at: datetime | None  # first escalation timer (new alerts only)
    inhibited: Inhibited | None = None  # the rule and alert that keep it from paging

    @property
    def group(self) -> tuple[str, str]:
        return (self.route.target.team_id, self.route.rule.group_key)

    @property
    def case(self) -> OpenCase:
        return OpenCase(self.state.alert_id, self.route.target.level, self.state.status)


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
        inhibit=policy.inhibit,
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
    inhibit: Sequence[Inhibit] = (),
    name_of: NameOf = lambda _code: None,
    new_alert_id: Callable[[], str] = new_id,
) -> Decision:
    """Open or update each routed team's alert (the handler computes ``report_routes``
    first, to load the open alerts and cases their group keys name)."""
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
        muted = is_muted(state.silences, report, target.team_id, target.code, now)
        inhibited = None
        if inhibit and not muted and (existing is None or existing.status == "inhibited"):
            others = [
                c for c in state.cases.get(rule.group_key, ()) if c.alert_id != grouped.alert_id
            ]
            inhibited = inhibited_by(inhibit, target.level, others)
        if muted:
            outcome = Outcome.muted
        elif inhibited is not None:
            outcome = Outcome.inhibited
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
        alerts.append(
            AlertDecision(route, grouped.action, outcome, alert_state, message, timer, inhibited)
        )
    return Decision(report.report_id, tuple(alerts), tuple(duplicate_of))


def fate(decision: Decision, unrouted: Reason | None = None) -> list[dict[str, Any]]:
    """What became of a report, as stored for ``timpora report``: each alert it opened or
    updated with its outcome (sent, muted, digest), the alerts that held it already, or
    its dead letter (``unrouted``: the reason)."""
    if decision.unrouted:
        why = unrouted or Reason(code="no_team", message="unrouted")
        return [{"outcome": "dead_letter", "reason": why.message, "code": why.code}]
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
        | (
            {"held": a.route.fallback.outside_home_area}
            if a.route.fallback and a.route.fallback.outside_home_area
            else {}
        )
        | (
            {"inhibited_by": {"rule": a.inhibited.rule, "alert_id": a.inhibited.by_alert}}
            if a.inhibited
            else {}
        )
        for a in decision.alerts
    ]
    return out + [{"outcome": "duplicate", "alert_id": i} for i in decision.duplicate_of]


def dead_letter_reason(entry: dict[str, Any]) -> Reason:
    """The dead letter's reason of a stored fate entry (``outcome: dead_letter``), for a
    redelivered report: the same as the first time."""
    code = entry.get("code", "no_team")
    path = "home_area" if code == "outside_home_area" else "resolution.routing_code"
    return Reason(code=code, message=entry["reason"], path=path)


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
        update_sms_every_s=int(rule.update_sms_every.total_seconds()),
        report=report,
    )


__all__ = [
    "AlertDecision",
    "Decision",
    "OpenAlert",
    "Outcome",
    "RoutingState",
    "dead_letter_reason",
    "decide",
    "fate",
    "first_timer",
    "plan",
]
