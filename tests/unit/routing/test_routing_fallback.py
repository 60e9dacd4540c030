"""Nothing vanishes (``routing_service.plan``): a report no team serves goes to its
office's fallback team, saying why; without one it is unrouted (dead-lettered); every
report's fate is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing_service.plan import Outcome, RoutingState, dead_letter_reason, fate, plan
from routing_service.policy import parse_policy
from routing_service.silences import ActiveSilence, SilenceMatcher
from routing_service.targets import routes, team_place, unrouted_reason
from shared.schemas import Category, Fallback, Level, PlaceResolution, Report, Severity, Subject

NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)
RULES = """
rules:
  - name: overstay
    match: {category: [overstay]}
    targets: [kecamatan]
    severity_override: high
    escalate_after: 30m
  - name: default
    targets: [lowest]
"""
OFFICES = """
offices:
  - name: Kantor Imigrasi Batulicin
    home_area: ["63.10", "63.02"]
    fallback_team: timpora-63.10
  - name: Kantor Imigrasi Banjarmasin
    home_area: ["63.71"]
    fallback_team: timpora-63.71
"""
POLICY = parse_policy("version: 1\n" + OFFICES + RULES)
NO_OFFICES = parse_policy("version: 1\n" + RULES)
DIRECTORY = {
    "63.10.04": ["timpora-63.10.04"],
    "63.10": ["timpora-63.10"],
    "63.71": ["timpora-63.71"],
}


def placed(code: str | None) -> PlaceResolution:
    level = Level.kecamatan if code and code.count(".") == 2 else Level.kabupaten
    return PlaceResolution(code=code, level=level, routing_code=code, confidence=0.95)


def report(code: str | None, **kw) -> Report:
    base = {
        "source": "polres-tanbu",
        "home_area": ["63.10", "63.02"],
        "received_at": NOW,
        "category": Category.overstay,
        "severity": Severity.medium,
        "resolution": placed(code),
        "subjects": [Subject(passport_number="E1234567")],
    }
    return Report(**{**base, **kw})


def test_a_place_no_team_serves_goes_to_the_office_fallback_team_and_says_why() -> None:
    decision = plan(report("63.02.01"), RoutingState(), POLICY, DIRECTORY, NOW)  # Kotabaru
    [alert] = decision.alerts
    assert alert.outcome is Outcome.send
    assert alert.message.team_id == "timpora-63.10"
    assert (alert.message.level, alert.message.jurisdiction_code) == (Level.kabupaten, "63.10")
    assert alert.message.fallback == Fallback(
        office="Kantor Imigrasi Batulicin", unserved_code="63.02.01"
    )
    # The policy still decides urgency: the overstay rule matched the report's own place
    assert alert.message.matched_rules == ["overstay"]
    assert alert.message.severity is Severity.high


def test_the_office_is_the_one_of_the_source_home_area() -> None:
    banjarmasin_source = report("32.73.01", home_area=["63.71"])
    [route] = routes(banjarmasin_source, POLICY, DIRECTORY, NOW)
    assert route.target.team_id == "timpora-63.71"
    assert route.fallback is not None
    assert route.fallback.office == "Kantor Imigrasi Banjarmasin"


def test_a_report_without_any_place_is_evaluated_at_the_fallback_team_place() -> None:
    [route] = routes(report(None, home_area=[]), POLICY, DIRECTORY, NOW)
    assert route.target.team_id == "timpora-63.10"  # the first office
    assert route.fallback == Fallback(office="Kantor Imigrasi Batulicin", unserved_code=None)


def test_a_served_place_never_uses_the_fallback() -> None:
    [route] = routes(report("63.10.04"), POLICY, DIRECTORY, NOW)
    assert (route.target.team_id, route.fallback) == ("timpora-63.10.04", None)
    # Walking up to the kabupaten is not a fallback either: its team serves the place
    [up] = routes(report("63.10.05"), POLICY, DIRECTORY, NOW)
    assert (up.target.team_id, up.fallback) == ("timpora-63.10", None)


def test_without_an_office_fallback_the_report_is_unrouted_with_its_reason() -> None:
    lost = report("63.02.01")
    decision = plan(lost, RoutingState(), NO_OFFICES, DIRECTORY, NOW)
    assert decision.unrouted
    assert decision.alerts == ()
    reason = unrouted_reason(lost, NO_OFFICES)
    assert reason.code == "no_team"
    assert reason.message == (
        "no team serves 63.02.01 or any level above it, and no office fallback team is "
        "configured for its source"
    )
    [entry] = fate(decision, reason)
    assert entry == {"outcome": "dead_letter", "reason": reason.message, "code": "no_team"}
    assert dead_letter_reason(entry) == reason  # a redelivery dead-letters it the same way


JAKARTA = {**DIRECTORY, "31.71.01": ["timpora-31.71.01"]}  # Gambir, with its own team


def test_a_report_outside_its_source_home_area_is_held_for_its_office() -> None:
    """An API key of Tanah Bumbu names a kecamatan in Jakarta: the Jakarta team is not
    told; the Batulicin office's fallback team gets it, saying it is held for review."""
    decision = plan(report("31.71.01"), RoutingState(), POLICY, JAKARTA, NOW)
    [alert] = decision.alerts
    assert alert.message.team_id == "timpora-63.10"
    assert alert.message.fallback == Fallback(
        office="Kantor Imigrasi Batulicin", outside_home_area="31.71.01"
    )
    assert alert.message.matched_rules == ["overstay"]  # urgency from its own place
    [entry] = fate(decision)
    assert (entry["team_id"], entry["held"]) == ("timpora-63.10", "31.71.01")


def test_the_policy_may_reject_reports_outside_the_home_area() -> None:
    strict = parse_policy("version: 1\noutside_home_area: reject\n" + OFFICES + RULES)
    outside = report("31.71.01")
    decision = plan(outside, RoutingState(), strict, JAKARTA, NOW)
    assert decision.unrouted
    reason = unrouted_reason(outside, strict)
    assert (reason.code, reason.path) == ("outside_home_area", "home_area")
    assert reason.message == (
        "the report's place 31.71.01 is outside its source's home area (63.10, 63.02); "
        "the policy rejects such reports"
    )
    assert fate(decision, reason)[0]["code"] == "outside_home_area"


def test_inside_the_home_area_or_without_one_a_report_goes_to_its_place() -> None:
    national = report("31.71.01", home_area=[])  # a source with no home area: anywhere
    assert [r.target.team_id for r in routes(national, POLICY, JAKARTA, NOW)] == [
        "timpora-31.71.01"
    ]
    province = report("63", resolution=placed("63"))  # contains the home area: not outside
    [route] = routes(province, POLICY, JAKARTA, NOW)
    assert route.fallback is None or route.fallback.outside_home_area is None


def test_a_fallback_team_missing_from_the_directory_is_no_fallback() -> None:
    directory = {"63.10.04": ["timpora-63.10.04"]}
    assert plan(report("32.73.01"), RoutingState(), POLICY, directory, NOW).unrouted
    assert team_place(directory, "timpora-63.10") is None


def test_fate_lists_each_alert_its_outcome_and_the_duplicates() -> None:
    state = RoutingState()
    first = plan(report("63.10.04"), state, POLICY, DIRECTORY, NOW)
    state.remember(first)
    [entry] = fate(first)
    assert entry == {
        "outcome": "send",
        "action": "new",
        "alert_id": first.alerts[0].state.alert_id,
        "version": 1,
        "team_id": "timpora-63.10.04",
        "rules": ["overstay"],
        "fallback": None,
    }
    again = plan(report("63.10.04", report_id=first.report_id), state, POLICY, DIRECTORY, NOW)
    assert fate(again) == [{"outcome": "duplicate", "alert_id": entry["alert_id"]}]


def test_fate_records_a_mute() -> None:
    window = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    silence = ActiveSilence(SilenceMatcher(jurisdiction_prefix="63.10"), *window)
    decision = plan(report("63.10.04"), RoutingState(silences=[silence]), POLICY, DIRECTORY, NOW)
    assert [f["outcome"] for f in fate(decision)] == ["muted"]
