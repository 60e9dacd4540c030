"""Offices as records in routing's decisions (``routing_service.office_policy``, pure):
records replace the policy file's offices; an office's overrides of the defaults apply
to the reports it takes, not to other offices' and not over a rule's own value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_service.office_policy import override_problem, policy_for, with_offices
from routing_service.policy import parse_policy
from routing_service.targets import routes
from shared.offices import Office, office_for, problems
from tests.unit.routing.test_routing_fallback import DIRECTORY, NOW, POLICY, report

RECORDS = [
    Office(
        id="batulicin",
        name="Kanim Batulicin",
        home_area=["63.10"],
        fallback_team="timpora-63.10",
        defaults={"escalate_after": "5m", "group_window": "1h"},
    ),
    Office(
        id="banjarmasin",
        name="Kanim Banjarmasin",
        home_area=["63.71"],
        fallback_team="timpora-63.71",
    ),
]


def test_records_replace_the_policy_offices_and_none_keep_them() -> None:
    merged = with_offices(POLICY, RECORDS)
    assert [o.id for o in merged.offices] == ["batulicin", "banjarmasin"]
    assert with_offices(POLICY, []).offices == POLICY.offices
    assert POLICY.offices[0].id == "kantor-imigrasi-batulicin"  # from the name


def test_an_office_overrides_defaults_for_its_reports_only() -> None:
    merged = with_offices(POLICY, RECORDS)
    batulicin = report("63.10.04", home_area=["63.10"], category="illegal_work")
    [route] = routes(batulicin, merged, DIRECTORY, NOW)
    assert route.rule.escalate_after == timedelta(minutes=5)  # the default rule: overridden
    assert route.rule.group_window == timedelta(hours=1)
    banjarmasin = report("63.71", home_area=["63.71"], category="illegal_work")
    [other] = routes(banjarmasin, merged, DIRECTORY, NOW)
    assert other.rule.escalate_after is None  # the policy's default
    assert other.rule.group_window == POLICY.defaults.group_window
    # a rule that sets its own value keeps it (overstay: 30m)
    [own] = routes(report("63.10.04", home_area=["63.10"]), merged, DIRECTORY, NOW)
    assert own.rule.escalate_after == timedelta(minutes=30)


def test_never_escalate_and_no_overrides_and_bad_overrides() -> None:
    never = Office(
        id="x", name="X", home_area=["63.10"], fallback_team="t", defaults={"escalate_after": None}
    )
    strict = parse_policy(
        "version: 1\ndefaults: {escalate_after: 10m}\nrules: [{name: d, targets: [lowest]}]"
    )
    merged = with_offices(strict, [never])
    assert (
        policy_for(
            merged, report("63.10.04", home_area=["63.10"]), "63.10.04"
        ).defaults.escalate_after
        is None
    )
    plain = with_offices(strict, [never.model_copy(update={"defaults": {}})])
    assert policy_for(plain, report("63.10.04"), "63.10.04") is plain  # nothing to apply
    bad = never.model_copy(update={"defaults": {"group_window": "soon"}})
    assert override_problem(bad) is not None
    assert (
        policy_for(with_offices(strict, [bad]), report("63.10.04"), "63.10.04").defaults
        == strict.defaults
    )


def test_office_records_validate_and_clash() -> None:
    with pytest.raises(ValueError, match="may override only"):
        Office(name="A", home_area=["63.10"], fallback_team="t", defaults={"rules": []})
    with pytest.raises(ValueError, match="quotes"):
        Office(name="A", home_area=[63.10], fallback_team="t")
    with pytest.raises(ValueError, match="id"):
        Office(id="Not Valid", name="A", home_area=["63.10"], fallback_team="t")
    a = Office(id="a", name="A", home_area=["63.10"], fallback_team="t", sources=["s1"])
    b = Office(id="b", name="B", home_area=["63.10.04", "63.71"], fallback_team="t", sources=["s1"])
    assert problems([a, b]) == [
        "63.10.04 of 'b' lies in 63.10 of 'a'",
        "source 's1' is owned by a, b",
    ]
    assert problems([a, a]) == ["office id 'a' is used twice"]
    assert office_for([a, b], [], "63.71.01") == b
    assert office_for([a, b], ["63.10"], "63.71.01") == a  # the source's home area first
    assert office_for([], [], None) is None
