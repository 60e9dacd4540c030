"""The routing decisions production runs (``routing_service.plan``): handler, timer loop,
digest loop and ``route explain`` all call these functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing_service.digest import DigestEntry, digests
from routing_service.escalation import EscalationAction
from routing_service.lifecycle import AckAction, on_ack, on_due_timer
from routing_service.plan import Outcome, RoutingState, plan
from routing_service.policy import parse_policy
from routing_service.silences import ActiveSilence, SilenceMatcher
from shared.schemas import (
    AlertReason,
    Category,
    Level,
    PlaceResolution,
    Report,
    Severity,
    Subject,
)

NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)  # 12:00 WITA
SATUI = PlaceResolution(
    code="63.10.04",
    level=Level.kecamatan,
    routing_code="63.10.04",
    confidence=0.95,
    method="code",
    low_confidence=False,
)
POLICY = parse_policy(
    """
version: 1
rules:
  - name: crime
    match: {category: [narcotics, human_trafficking]}
    targets: [kecamatan, kabupaten]
    escalate_after: 15m
    continue: true
  - name: watch
    match: {category: [narcotics]}
    targets: [kecamatan]
    severity_override: critical
  - name: presence
    match: {category: [presence]}
    targets: [kecamatan]
    digest: daily
  - name: default
    targets: [kecamatan]
    escalate_after: 30m
"""
)
ALL_LEVELS = {
    "63.10.04": ["timpora-63.10.04"],
    "63.10": ["timpora-63.10"],
    "63": ["timpora-63"],
}


def report(**kw) -> Report:
    base = {
        "source": "polres-tanbu",
        "received_at": NOW,
        "category": Category.overstay,
        "severity": Severity.medium,
        "resolution": SATUI,
        "subjects": [Subject(passport_number="E1234567")],
    }
    return Report(**{**base, **kw})


def ids(*values: str):
    it = iter(values)
    return lambda: next(it)


def test_one_alert_per_team_however_many_rules() -> None:
    decision = plan(
        report(category=Category.narcotics), RoutingState(), POLICY, ALL_LEVELS, NOW,
        new_alert_id=ids("A1", "A2"),
    )  # fmt: skip
    teams = [a.route.target.team_id for a in decision.alerts]
    assert teams == ["timpora-63.10.04", "timpora-63.10"]
    kecamatan = decision.alerts[0]
    assert kecamatan.route.rule.rules == ("crime", "watch")  # two rules, one alert
    assert kecamatan.message.severity is Severity.critical


def test_an_update_never_lowers_the_severity() -> None:
    state = RoutingState()
    first = plan(report(severity=Severity.high), state, POLICY, ALL_LEVELS, NOW)
    state.remember(first)
    second = plan(report(severity=Severity.low), state, POLICY, ALL_LEVELS, NOW)
    (update,) = second.alerts
    assert update.message.alert_id == first.alerts[0].message.alert_id
    assert (update.message.version, update.message.occurrence_count) == (2, 2)
    assert update.message.reason is AlertReason.update
    assert update.message.severity is Severity.high
    assert update.state.severity is Severity.high
    assert update.timer_due_at is None  # only a new alert sets a timer


def test_a_timer_only_when_a_higher_level_has_a_team() -> None:
    (alone,) = plan(report(), RoutingState(), POLICY, {"63.10.04": ["k"]}, NOW).alerts
    assert alone.outcome is Outcome.send
    assert alone.timer_due_at is None  # nobody above: no timer that could only find nobody
    (alert,) = plan(report(), RoutingState(), POLICY, {"63.10.04": ["k"], "63": ["p"]}, NOW).alerts
    assert alert.timer_due_at == NOW + timedelta(minutes=30)


def test_a_muted_alert_is_kept_not_sent_and_never_escalates() -> None:
    silence = ActiveSilence(
        SilenceMatcher(jurisdiction_prefix="63.10.04"),
        NOW - timedelta(hours=1),
        NOW + timedelta(hours=1),
    )
    decision = plan(report(), RoutingState(silences=[silence]), POLICY, ALL_LEVELS, NOW)
    (alert,) = decision.alerts
    assert alert.outcome is Outcome.muted
    assert alert.state.status == "muted"
    assert alert.timer_due_at is None
    assert decision.to_send == []


def test_routine_presence_goes_to_the_digest() -> None:
    decision = plan(report(category=Category.presence), RoutingState(), POLICY, ALL_LEVELS, NOW)
    (alert,) = decision.alerts
    assert alert.outcome is Outcome.digest
    assert alert.message.reason is AlertReason.digest
    assert alert.state.window_ends_at == datetime(2025, 6, 2, 16, 0, tzinfo=UTC)  # WITA midnight
    assert alert.timer_due_at is None


def test_no_team_anywhere_gives_no_alert() -> None:
    assert plan(report(), RoutingState(), POLICY, {}, NOW).alerts == ()


def test_the_same_report_again_changes_nothing() -> None:
    state = RoutingState()
    first = plan(report(report_id="R1"), state, POLICY, ALL_LEVELS, NOW)
    state.remember(first)
    assert plan(report(report_id="R1"), state, POLICY, ALL_LEVELS, NOW).alerts == ()


def _sent(directory=ALL_LEVELS, **kw):
    decision = plan(report(**kw), RoutingState(), POLICY, directory, NOW)
    return decision.alerts[0].message


def test_a_due_timer_escalates_one_level_and_sets_the_next_only_when_a_team_is_above() -> None:
    previous = _sent()
    later = NOW + timedelta(minutes=31)
    decision, escalated = on_due_timer(
        previous, status="open", due_at=NOW + timedelta(minutes=30),
        escalate_after=timedelta(minutes=30), directory=ALL_LEVELS, now=later,
    )  # fmt: skip
    assert decision.action is EscalationAction.escalate
    assert escalated is not None
    message = escalated.message
    assert (message.team_id, message.level, message.jurisdiction_code) == (
        "timpora-63.10",
        Level.kabupaten,
        "63.10",
    )
    assert (message.version, message.escalation_step) == (2, 1)
    assert message.reason is AlertReason.escalation
    assert escalated.next_due_at == later + timedelta(minutes=30)  # the province has a team

    no_province = {"63.10.04": ["timpora-63.10.04"], "63.10": ["timpora-63.10"]}
    _, escalated = on_due_timer(
        previous, status="open", due_at=NOW, escalate_after=timedelta(minutes=30),
        directory=no_province, now=later,
    )  # fmt: skip
    assert escalated is not None
    assert escalated.next_due_at is None


def test_a_due_timer_of_an_acknowledged_or_muted_alert_is_cancelled() -> None:
    previous = _sent()
    for status in ("acked", "muted", "closed"):
        decision, escalated = on_due_timer(
            previous, status=status, due_at=NOW, escalate_after=timedelta(minutes=30),
            directory=ALL_LEVELS, now=NOW + timedelta(hours=1),
        )  # fmt: skip
        assert decision.action is EscalationAction.cancel
        assert escalated is None


def test_a_silence_made_after_the_alert_holds_its_ladder_until_it_ends() -> None:
    previous = _sent()  # sent to timpora-63.10.04 at NOW, no silence then
    due = NOW + timedelta(minutes=30)
    until = NOW + timedelta(hours=2)
    here = ActiveSilence(SilenceMatcher(jurisdiction_prefix="63.10.04"), NOW, until)
    later = ActiveSilence(
        SilenceMatcher(jurisdiction_prefix="63.10.04"), NOW, until + timedelta(hours=1)
    )
    elsewhere = ActiveSilence(SilenceMatcher(jurisdiction_prefix="63.10.01"), NOW, until)

    def timer(status: str, silences: list[ActiveSilence], now: datetime = due):  # type: ignore[no-untyped-def]
        return on_due_timer(
            previous, status=status, due_at=due, escalate_after=timedelta(minutes=30),
            directory=ALL_LEVELS, now=now, silences=silences,
        )  # fmt: skip

    decision, escalated = timer("open", [here, later])
    assert (decision.action, decision.next_due_at, escalated) == (
        EscalationAction.held,
        later.ends_at,  # the last silence that mutes it
        None,
    )
    assert (decision.level, decision.code, decision.step) == (Level.kecamatan, "63.10.04", 0)
    # a silence elsewhere, or one already over, holds nothing: the ladder goes on
    assert timer("open", [elsewhere])[0].action is EscalationAction.escalate
    assert timer("open", [here], until)[0].action is EscalationAction.escalate
    # an acknowledged alert's timer is cancelled as always, silence or not
    assert timer("acked", [here])[0].action is EscalationAction.cancel


def test_a_due_timer_at_the_top_stops() -> None:
    previous = _sent(directory={"63.10.04": ["timpora-63.10.04"]})
    decision, escalated = on_due_timer(
        previous, status="open", due_at=NOW, escalate_after=timedelta(minutes=30),
        directory={"63.10.04": ["timpora-63.10.04"]}, now=NOW + timedelta(hours=1),
    )  # fmt: skip
    assert decision.action is EscalationAction.exhausted
    assert escalated is None


def test_acks() -> None:
    assert on_ack("open") is AckAction.acknowledge
    assert on_ack("muted") is AckAction.acknowledge
    assert on_ack("acked") is AckAction.ignore
    assert on_ack("closed") is AckAction.ignore
    assert on_ack(None) is AckAction.ignore


def test_a_close_resolves_an_alert_once_whatever_it_was() -> None:
    for status in ("open", "acked", "muted", "digest"):
        assert on_ack(status, "close") is AckAction.close
    assert on_ack("closed", "close") is AckAction.ignore
    assert on_ack(None, "close") is AckAction.ignore


def test_one_digest_per_team_with_a_stable_id() -> None:
    entries = []
    for i, team in enumerate(["t1", "t1", "t2"]):
        message = _sent(category=Category.presence, report_id=f"R{i}")
        payload = message.model_copy(update={"team_id": team}).model_dump(mode="json")
        entries.append(DigestEntry(f"A{i}", team, (f"R{i}",), payload))
    first = digests(entries, NOW)
    assert [(d.team_id, d.occurrence_count, d.report_ids) for d in first] == [
        ("t1", 2, ["R0", "R1"]),
        ("t2", 1, ["R2"]),
    ]
    assert [d.alert_id for d in digests(entries, NOW)] == [d.alert_id for d in first]
    assert all(d.reason is AlertReason.digest for d in first)


def test_a_muted_alert_resumes_only_when_no_silence_mutes_it() -> None:
    from routing_service.lifecycle import on_silence_over

    previous = _sent(category=Category.overstay)
    silence = ActiveSilence(
        SilenceMatcher(jurisdiction_prefix="63.10"), NOW, NOW + timedelta(hours=1)
    )
    still = on_silence_over(
        previous, silences=[silence], escalate_after=timedelta(minutes=30),
        directory=ALL_LEVELS, now=NOW + timedelta(minutes=59),
    )  # fmt: skip
    assert still is None
    later = NOW + timedelta(hours=1)
    resumed = on_silence_over(
        previous, silences=[silence], escalate_after=timedelta(minutes=30),
        directory=ALL_LEVELS, now=later,
    )  # fmt: skip
    assert resumed is not None
    assert resumed.message.routed_at == later
    assert (resumed.message.alert_id, resumed.message.version) == (
        previous.alert_id, previous.version,
    )  # fmt: skip
    assert resumed.timer_due_at == later + timedelta(minutes=30)


def test_the_update_sms_interval_is_the_policys() -> None:
    assert _sent().update_sms_every_s == 1800  # the default: 30 minutes
    policy = parse_policy(
        "version: 1\ndefaults: {update_sms_every: 45m}\n"
        "rules:\n  - {name: all, targets: [kecamatan]}\n"
    )
    (alert,) = plan(report(), RoutingState(), policy, ALL_LEVELS, NOW).alerts
    assert alert.message.update_sms_every_s == 45 * 60
