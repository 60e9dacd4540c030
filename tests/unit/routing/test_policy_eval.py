"""Evaluating the routing policy: first-match/continue semantics, matchers, targets, fallbacks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from routing_service.policy import Policy, load_policy, parse_policy
from routing_service.policy_eval import (
    RouteDecision,
    facts_for,
    matching_rules,
    permit_status,
    pick_team,
)
from routing_service.policy_eval import evaluate as policy_evaluate
from shared.jurisdiction import Resolution, describe, level_of, place_report, resolve_location
from shared.schemas import Category, Level, Location, PermitType, Report, Severity, Subject

POLICY_FILE = Path(__file__).resolve().parents[3] / "routing_service" / "config" / "policy.yaml"
HOME = ["63.10", "63.02"]
NOON_WITA = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)  # 12:00 WITA, a Monday
MIDNIGHT_WITA = datetime(2025, 6, 2, 16, 30, tzinfo=UTC)  # 00:30 WITA


def sure(code: str, confidence: float = 0.95) -> Resolution:
    return Resolution(code, level_of(code), confidence, "code", None, False)


def unsure(code: str) -> Resolution:
    return Resolution(code, level_of(code), 0.4, "coordinates", None, True)


NONE = Resolution(None, None, 0.0, "none", None, True)


def evaluate(p: Policy, r: Report, res: Resolution | None, now: datetime) -> list[RouteDecision]:
    """The policy on ``r`` placed as ``res`` (None: as ingest places it)."""
    placed = describe(res) if res is not None else place_report(r).resolution
    return policy_evaluate(p, r.model_copy(update={"resolution": placed}), now)


def report(**kw) -> Report:
    base = {"source": "apoa-batulicin", "home_area": HOME, "received_at": NOON_WITA}
    return Report(**{**base, **kw})


def policy(rules: str, head: str = "") -> Policy:
    return parse_policy(f"version: 1\n{head}rules:\n{rules}")


def targets(decisions: list[RouteDecision]) -> list[tuple[str, str]]:
    return [(d.level.value, d.jurisdiction_code) for d in decisions]


# --------------------------------------------------------------------------- semantics


RULES = """\
  - name: crime
    match: {category: [narcotics, human_trafficking]}
    targets: [kecamatan, kabupaten]
    severity_override: critical
    escalate_after: 15m
  - name: copy-hotline
    match: {source: ["hotline-*"]}
    targets: [provinsi]
    continue: true
  - name: overstay
    match: {category: [overstay]}
    targets: [kecamatan]
    escalate_after: 30m
  - name: default
    targets: [kabupaten]
"""


def test_first_match_wins() -> None:
    p = policy(RULES)
    r = report(category=Category.narcotics, source="hotline-1")
    decisions = evaluate(p, r, sure("63.10.04"), NOON_WITA)
    assert targets(decisions) == [("kecamatan", "63.10.04"), ("kabupaten", "63.10")]
    assert all(d.rules == ("crime",) for d in decisions)
    assert all(d.severity is Severity.critical for d in decisions)
    assert all(d.escalate_after == timedelta(minutes=15) for d in decisions)


def test_continue_lets_later_rules_match() -> None:
    p = policy(RULES)
    r = report(category=Category.overstay, source="hotline-1")
    assert [x.name for x in matching_rules(p, _facts(p, r))] == ["copy-hotline", "overstay"]
    decisions = evaluate(p, r, sure("63.10.04"), NOON_WITA)
    assert targets(decisions) == [("provinsi", "63"), ("kecamatan", "63.10.04")]
    assert decisions[0].rules == ("copy-hotline",)


def test_catch_all_after_a_continue_rule() -> None:
    p = policy(RULES)
    r = report(category=Category.other, source="hotline-1")
    decisions = evaluate(p, r, sure("63.10.04"), NOON_WITA)
    assert targets(decisions) == [("provinsi", "63"), ("kabupaten", "63.10")]
    assert [d.rules for d in decisions] == [("copy-hotline",), ("default",)]


def test_same_team_from_two_rules_is_one_decision() -> None:
    p = policy(
        "  - name: a\n    match: {category: [narcotics]}\n    targets: [kabupaten]\n"
        "    digest: daily\n    continue: true\n"
        "  - name: b\n    match: {severity_min: high}\n    targets: [kabupaten]\n"
        "    severity_override: critical\n    escalate_after: 1h\n    continue: true\n"
        "  - name: default\n    targets: [kabupaten]\n    escalate_after: 30m\n"
    )
    r = report(category=Category.narcotics, severity=Severity.high)
    (d,) = evaluate(p, r, sure("63.10.04"), NOON_WITA)
    assert d.rules == ("a", "b", "default")
    assert d.severity is Severity.critical
    assert d.escalate_after == timedelta(minutes=30)  # the most urgent
    assert d.digest is None  # immediate beats digest


def test_defaults_and_explicit_null_escalation() -> None:
    p = policy(
        "  - name: quiet\n    match: {category: [presence]}\n    targets: [kecamatan]\n"
        "    escalate_after: null\n"
        "  - name: default\n    targets: [kabupaten]\n",
        head="defaults: {escalate_after: 45m, group_window: 12h}\n",
    )
    (quiet,) = evaluate(p, report(category=Category.presence), sure("63.10.04"), NOON_WITA)
    assert quiet.escalate_after is None
    assert quiet.group_window == timedelta(hours=12)
    (other,) = evaluate(p, report(category=Category.other), sure("63.10.04"), NOON_WITA)
    assert other.escalate_after == timedelta(minutes=45)


# --------------------------------------------------------------------------- matchers


def _facts(p: Policy, r: Report, code: str | None = "63.10.04", now: datetime = NOON_WITA):
    return facts_for(r, code, now, p.timezone)


def _matches(match_yaml: str, r: Report, code: str | None = "63.10.04", now=NOON_WITA) -> bool:
    p = policy(
        f"  - name: x\n    match: {match_yaml}\n    targets: [kecamatan]\n"
        "  - name: default\n    targets: [kabupaten]\n"
    )
    return matching_rules(p, _facts(p, r, code, now))[0].name == "x"


def test_category_and_severity_matchers() -> None:
    r = report(category=Category.illegal_work, severity=Severity.medium)
    assert _matches("{category: [illegal_work, overstay]}", r)
    assert not _matches("{category: [narcotics]}", r)
    assert _matches("{severity_min: medium}", r)
    assert not _matches("{severity_min: high}", r)
    assert _matches("{severity: [low, medium]}", r)
    assert not _matches("{severity: [critical]}", r)
    assert not _matches("{category: [illegal_work], severity_min: critical}", r)  # AND


def test_source_glob() -> None:
    r = report(source="sms-kannel-batulicin")
    assert _matches("{source: ['sms-*']}", r)
    assert _matches("{source: [apoa, 'sms-kannel-batulicin']}", r)
    assert not _matches("{source: ['apoa-*']}", r)


def test_jurisdiction_prefix() -> None:
    r = report()
    assert _matches("{jurisdiction: ['63.10']}", r, code="63.10.04")
    assert _matches("{jurisdiction: ['63.10.04']}", r, code="63.10.04")
    assert _matches("{jurisdiction: ['6310']}", r, code="63.10.04")  # normalised
    assert not _matches("{jurisdiction: ['63.10.04']}", r, code="63.10")  # not that precise
    assert not _matches("{jurisdiction: ['63.10']}", r, code="63.02.01")
    assert not _matches("{jurisdiction: ['63.10']}", r, code=None)


def test_nationality() -> None:
    r = report(subjects=[Subject(nationality="CHN"), Subject(nationality="VNM")])
    assert _matches("{nationality: [chn]}", r)
    assert _matches("{nationality: [MYS, VNM]}", r)
    assert not _matches("{nationality: [MYS]}", r)
    assert not _matches("{nationality: [CHN]}", report())


@pytest.mark.parametrize(
    ("permit_type", "expiry", "status"),
    [
        (PermitType.itas, date(2025, 6, 1), "expired"),
        (PermitType.itas, date(2025, 6, 2), "valid"),  # valid through its last day
        (PermitType.itk, None, "valid"),
        (PermitType.none, None, "none"),
        (PermitType.none, date(2020, 1, 1), "none"),
        (None, None, "unknown"),
        (PermitType.unknown, None, "unknown"),
        (None, date(2024, 1, 1), "expired"),
    ],
)
def test_permit_status(permit_type, expiry, status: str) -> None:
    assert permit_status(permit_type, expiry, date(2025, 6, 2)) == status
    r = report(subjects=[Subject(permit_type=permit_type, permit_expiry=expiry)])
    assert _matches(f"{{permit_status: [{status}]}}", r)


def test_permit_status_of_a_report_without_subjects_is_unknown() -> None:
    assert _matches("{permit_status: [unknown]}", report())
    assert not _matches("{permit_status: [valid]}", report())


def test_time_window_wraps_midnight_in_wita() -> None:
    night = "{time: {start: '22:00', end: '06:00'}}"
    assert _matches(night, report(), now=MIDNIGHT_WITA)
    assert not _matches(night, report(), now=NOON_WITA)
    assert _matches("{time: {start: '08:00', end: '16:00'}}", report(), now=NOON_WITA)
    assert not _matches("{time: {start: '08:00', end: '12:00'}}", report(), now=NOON_WITA)
    jakarta = "{time: {start: '10:30', end: '11:30', tz: Asia/Jakarta}}"  # 11:00 WIB
    assert _matches(jakarta, report(), now=NOON_WITA)
    assert _matches("{time: {start: '08:00', end: '16:00', days: [mon]}}", report())
    assert not _matches("{time: {start: '08:00', end: '16:00', days: [sat, sun]}}", report())


# --------------------------------------------------------------------------- jurisdictions


def test_low_confidence_kecamatan_goes_to_the_kabupaten() -> None:
    p = policy(RULES)
    r = report(category=Category.narcotics)
    (d,) = evaluate(p, r, unsure("63.10.04"), NOON_WITA)
    assert (d.level, d.jurisdiction_code) == (Level.kabupaten, "63.10")
    assert d.rules == ("crime",)
    assert d.fell_back is False  # the kabupaten target itself; the kecamatan one merged in
    r = report(category=Category.overstay)
    (d,) = evaluate(p, r, unsure("63.10.04"), NOON_WITA)
    assert (d.level, d.jurisdiction_code, d.requested_level) == (
        Level.kabupaten,
        "63.10",
        Level.kecamatan,
    )
    assert d.fell_back


def test_kabupaten_only_place_targets_the_kabupaten() -> None:
    p = policy(RULES)
    (d,) = evaluate(p, report(category=Category.overstay), sure("63.02"), NOON_WITA)
    assert (d.level, d.jurisdiction_code) == (Level.kabupaten, "63.02")


def test_village_resolution_targets_its_kecamatan() -> None:
    p = policy(RULES)
    (d,) = evaluate(p, report(category=Category.overstay), sure("63.10.04.2010"), NOON_WITA)
    assert (d.level, d.jurisdiction_code) == (Level.kecamatan, "63.10.04")


def test_unplaced_report_uses_home_area_then_policy_fallback() -> None:
    p = policy(RULES, head="fallback_jurisdiction: '63.02'\n")
    r = report(category=Category.overstay)  # no location at all
    (d,) = evaluate(p, r, resolve_location(r.location, r.home_area), NOON_WITA)
    assert (d.level, d.jurisdiction_code) == (Level.kabupaten, "63.10")  # home area
    (d,) = evaluate(p, report(category=Category.overstay, home_area=[]), NONE, NOON_WITA)
    assert (d.level, d.jurisdiction_code) == (Level.kabupaten, "63.02")  # policy fallback
    assert d.confidence == 0.0
    assert evaluate(policy(RULES), report(home_area=[]), NONE, NOON_WITA) == []


def test_a_report_placed_by_ingest() -> None:
    p = policy(RULES)
    r = report(category=Category.overstay, location=Location(kecamatan_name="Simpang 4"))
    (d,) = evaluate(p, r, None, NOON_WITA)
    assert (d.level, d.jurisdiction_code) == (Level.kecamatan, "63.10.06")
    assert 0.6 <= d.confidence < 1.0


def test_group_key_of_a_decision() -> None:
    p = policy(RULES)
    r = report(
        category=Category.overstay,
        subjects=[Subject(passport_number="e 123-456")],
        occurred_at=datetime(2025, 6, 1, 17, 0, tzinfo=UTC),  # 01:00 WITA on 2 June
    )
    (d,) = evaluate(p, r, sure("63.10.04"), NOON_WITA)
    assert d.group_key == "P:E123456|63.10.04|2025-06-02"
    assert d.group_window == timedelta(hours=24)


# --------------------------------------------------------------------------- teams


def test_pick_team_walks_up() -> None:
    teams = {"63.10", "63"}
    assert pick_team(["63.10.06", "63.10", "63"], teams.__contains__) == "63.10"
    assert pick_team("63.10.06", teams.__contains__) == "63.10"
    assert pick_team("63.10.06.2003", {"63"}.__contains__) == "63"
    assert pick_team("63.10.06", {"63.10.06"}.__contains__) == "63.10.06"
    assert pick_team("63.10.06", set().__contains__) is None


# --------------------------------------------------------------------------- the shipped policy


@pytest.fixture(scope="module")
def shipped() -> Policy:
    return load_policy(POLICY_FILE)


def _route(p: Policy, now: datetime = NOON_WITA, **kw) -> list[RouteDecision]:
    r = report(**kw)
    return evaluate(p, r, resolve_location(r.location, r.home_area), now)


def test_shipped_trafficking_goes_to_kecamatan_and_kabupaten(shipped: Policy) -> None:
    decisions = _route(
        shipped, category=Category.human_trafficking, location=Location(kecamatan_name="Satui")
    )
    assert targets(decisions) == [("kecamatan", "63.10.04"), ("kabupaten", "63.10")]
    assert {d.severity for d in decisions} == {Severity.critical}
    assert {d.escalate_after for d in decisions} == {timedelta(minutes=15)}


def test_shipped_illegal_work_at_the_mines(shipped: Policy) -> None:
    at_mine = _route(
        shipped, category=Category.illegal_work, location=Location(kecamatan_code="63.10.09")
    )
    assert targets(at_mine) == [("kecamatan", "63.10.09"), ("kabupaten", "63.10")]
    assert at_mine[0].rules == ("illegal-work-mining",)
    assert at_mine[0].severity is Severity.high
    elsewhere = _route(
        shipped, category=Category.illegal_work, location=Location(kecamatan_code="63.02.14")
    )
    assert targets(elsewhere) == [("kecamatan", "63.02.14")]
    assert elsewhere[0].rules == ("illegal-work",)


def test_shipped_overstay_escalates_after_30m(shipped: Policy) -> None:
    (d,) = _route(shipped, category=Category.overstay, location=Location(kecamatan_code="631006"))
    assert (d.level, d.jurisdiction_code, d.escalate_after) == (
        Level.kecamatan,
        "63.10.06",
        timedelta(minutes=30),
    )


def test_shipped_presence(shipped: Policy) -> None:
    valid = Subject(
        passport_number="E1", permit_type=PermitType.itas, permit_expiry=date(2026, 1, 1)
    )
    (d,) = _route(shipped, location=Location(kecamatan_code="63.10.01"), subjects=[valid])
    assert (d.rules, d.digest, d.escalate_after) == (("presence-valid-digest",), "daily", None)
    expired = Subject(
        passport_number="E2", permit_type=PermitType.itk, permit_expiry=date(2025, 1, 1)
    )
    (d,) = _route(shipped, location=Location(kecamatan_code="63.10.01"), subjects=[expired])
    assert d.rules == ("presence-without-valid-permit",)
    assert d.digest is None
    assert d.escalate_after == timedelta(minutes=30)


def test_shipped_default_and_night_watch(shipped: Policy) -> None:
    day = _route(
        shipped, category=Category.suspicious_activity, location=Location(kecamatan_code="63.10.06")
    )
    # Kecamatan first: the default targets the lowest level with a team for the place
    assert [(d.rules, d.jurisdiction_code) for d in day] == [(("default",), "63.10.06")]
    assert day[0].level is Level.kecamatan
    assert not day[0].fell_back
    night = _route(
        shipped,
        MIDNIGHT_WITA,
        category=Category.suspicious_activity,
        location=Location(kecamatan_code="63.10.06"),
    )
    # At night the kabupaten duty officer hears as well; the kecamatan team still does
    assert [(d.rules, d.jurisdiction_code) for d in night] == [
        (("night-watch",), "63.10"),
        (("default",), "63.10.06"),
    ]


def test_shipped_policy_reaches_somebody_for_every_category(shipped: Policy) -> None:
    for category in Category:
        for severity in Severity:
            decisions = _route(shipped, category=category, severity=severity, home_area=[])
            assert decisions, (category, severity)
