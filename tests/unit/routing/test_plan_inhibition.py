"""Inhibition as routing runs it (``routing_service.plan.decide`` with the policy's
``inhibit`` rules): an open higher-level alert for the same case mutes the lower-level
one, so nobody is paged twice for one case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing_service.escalation import EscalationAction
from routing_service.inhibition import Inhibited, OpenCase
from routing_service.lifecycle import on_due_timer
from routing_service.plan import Outcome, RoutingState, fate, plan
from routing_service.policy import parse_policy
from routing_service.silences import ActiveSilence, SilenceMatcher
from shared.schemas import Category, Level, PlaceResolution, Report, Severity, Subject

NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)
SATUI = PlaceResolution(
    code="63.10.04", level=Level.kecamatan, routing_code="63.10.04",
    confidence=0.95, method="code", low_confidence=False,
)  # fmt: skip
RULES = """
version: 1
rules:
  - name: crime
    match: {category: [narcotics]}
    targets: [kabupaten, kecamatan]
    escalate_after: 15m
  - name: default
    targets: [kecamatan]
    escalate_after: 30m
"""
INHIBIT = "inhibit:\n  - {name: case-above, source: [kabupaten, provinsi], target: [kecamatan]}\n"
POLICY = parse_policy(RULES + INHIBIT)
DIRECTORY = {"63.10.04": ["kec"], "63.10": ["kab"], "63": ["prov"]}


def report(**kw) -> Report:
    base = {
        "source": "polres-tanbu",
        "received_at": NOW,
        "category": Category.overstay,
        "severity": Severity.high,
        "resolution": SATUI,
        "subjects": [Subject(passport_number="E1234567")],
    }
    return Report(**{**base, **kw})


def key_of(r: Report) -> str:
    return plan(r, RoutingState(), POLICY, DIRECTORY, NOW).alerts[0].route.rule.group_key


def test_a_case_opened_at_two_levels_pages_both_and_both_hear_its_updates() -> None:
    state = RoutingState()
    first = plan(report(category=Category.narcotics), state, POLICY, DIRECTORY, NOW)
    assert [a.outcome for a in first.alerts] == [Outcome.send, Outcome.send]  # as the rule asks
    state.remember(first)
    kab = next(a for a in first.alerts if a.route.target.team_id == "kab")
    assert (
        OpenCase(kab.state.alert_id, Level.kabupaten, "open")
        in state.cases[kab.route.rule.group_key]
    )
    second = plan(report(category=Category.narcotics), state, POLICY, DIRECTORY, NOW)
    assert [(a.action.value, a.outcome) for a in second.alerts] == [
        ("update", Outcome.send),
        ("update", Outcome.send),
    ]  # an update of a sent alert is news for its team, not a second page


def test_an_inhibited_alert_stays_quiet_and_its_fate_says_why() -> None:
    r = report()
    state = RoutingState(cases={key_of(r): [OpenCase("K1", Level.kabupaten, "open")]})
    first = plan(r, state, POLICY, DIRECTORY, NOW)
    state.remember(first)
    (update,) = plan(report(), state, POLICY, DIRECTORY, NOW).alerts
    assert update.action.value == "update"
    assert update.outcome is Outcome.inhibited
    assert update.state.status == "inhibited"
    (entry,) = fate(first)
    assert entry["outcome"] == "inhibited"
    assert entry["inhibited_by"] == {"rule": "case-above", "alert_id": "K1"}


def test_the_lower_alert_does_not_escalate_into_a_case_the_higher_level_has() -> None:
    first = plan(report(category=Category.narcotics), RoutingState(), POLICY, DIRECTORY, NOW)
    kec, kab = (
        next(a for a in first.alerts if a.route.target.team_id == t) for t in ("kec", "kab")
    )
    assert kec.timer_due_at is not None
    cases = [kec.case, kab.case]
    decision, escalated = on_due_timer(
        kec.message, status="open", due_at=kec.timer_due_at, escalate_after=None,
        directory=DIRECTORY, now=kec.timer_due_at, inhibit=POLICY.inhibit, cases=cases,
    )  # fmt: skip
    assert escalated is None
    assert decision.action is EscalationAction.cancel
    # without the rule (or once the kabupaten alert is closed) it escalates as before
    for inhibit, open_cases in (((), cases), (POLICY.inhibit, [kec.case])):
        _, escalated = on_due_timer(
            kec.message, status="open", due_at=kec.timer_due_at, escalate_after=None,
            directory=DIRECTORY, now=kec.timer_due_at, inhibit=inhibit, cases=open_cases,
        )  # fmt: skip
        assert escalated is not None
        assert escalated.message.team_id == "kab"


def test_without_rules_both_levels_are_paged() -> None:
    decision = plan(
        report(category=Category.narcotics), RoutingState(), parse_policy(RULES), DIRECTORY, NOW
    )
    assert [a.outcome for a in decision.alerts] == [Outcome.send, Outcome.send]


def test_an_escalated_case_inhibits_a_new_kecamatan_alert() -> None:
    r = report()
    for status in ("open", "acked"):
        state = RoutingState(cases={key_of(r): [OpenCase("A1", Level.kabupaten, status)]})
        (alert,) = plan(r, state, POLICY, DIRECTORY, NOW).alerts
        assert alert.outcome is Outcome.inhibited, status
        assert alert.inhibited == Inhibited("case-above", "A1")


def test_a_muted_or_closed_higher_alert_does_not_inhibit() -> None:
    r = report()
    for status in ("muted", "closed", "digest"):
        state = RoutingState(cases={key_of(r): [OpenCase("A1", Level.kabupaten, status)]})
        (alert,) = plan(r, state, POLICY, DIRECTORY, NOW).alerts
        assert alert.outcome is Outcome.send, status


def test_another_case_does_not_inhibit() -> None:
    other = report(subjects=[Subject(passport_number="X7654321")])
    state = RoutingState(cases={key_of(other): [OpenCase("A1", Level.kabupaten, "open")]})
    (alert,) = plan(report(), state, POLICY, DIRECTORY, NOW).alerts
    assert alert.outcome is Outcome.send


def test_a_silence_comes_first() -> None:
    silence = ActiveSilence(SilenceMatcher(jurisdiction_prefix="63.10"), NOW, NOW + timedelta(1))
    state = RoutingState(
        silences=[silence], cases={key_of(report()): [OpenCase("A1", Level.kabupaten, "open")]}
    )
    (alert,) = plan(report(), state, POLICY, DIRECTORY, NOW).alerts
    assert alert.outcome is Outcome.muted


def test_a_sent_lower_alert_updated_under_a_higher_case_is_updated_but_stops_escalating() -> None:
    state = RoutingState()
    first = plan(report(report_id="R1"), state, POLICY, DIRECTORY, NOW)
    state.remember(first)
    (sent,) = first.alerts
    assert sent.outcome is Outcome.send
    state.cases[sent.route.rule.group_key].append(OpenCase("K1", Level.kabupaten, "open"))
    (update,) = plan(report(report_id="R2"), state, POLICY, DIRECTORY, NOW).alerts
    assert update.state.alert_id == sent.state.alert_id
    assert update.outcome is Outcome.send  # its team hears of the second report
    _, escalated = on_due_timer(
        sent.message, status=update.state.status, due_at=NOW, escalate_after=None,
        directory=DIRECTORY, now=NOW + timedelta(minutes=31),
        inhibit=POLICY.inhibit, cases=state.cases[sent.route.rule.group_key],
    )  # fmt: skip
    assert escalated is None  # its timer is cancelled: the kabupaten has the case
