"""Inhibition rules (``routing_service.inhibition``): an open higher-level alert for the
same case mutes a new lower-level one; the policy refuses rules that point upwards."""

from __future__ import annotations

import pytest

from routing_service.inhibition import Inhibit, Inhibited, OpenCase, inhibited_by
from routing_service.policy import PolicyError, parse_policy
from shared.schemas import Level

RULE = Inhibit(name="escalated-case", source=["kabupaten", "provinsi"], target=["kecamatan"])


def test_an_open_or_acknowledged_higher_alert_inhibits_the_lower_level() -> None:
    for status in ("open", "acked"):
        cases = [OpenCase("A1", Level.kabupaten, status)]
        assert inhibited_by([RULE], Level.kecamatan, cases) == Inhibited("escalated-case", "A1")


def test_a_muted_closed_or_same_level_alert_does_not() -> None:
    for case in (
        OpenCase("A1", Level.kabupaten, "muted"),
        OpenCase("A1", Level.kabupaten, "closed"),
        OpenCase("A1", Level.kecamatan, "open"),
    ):
        assert inhibited_by([RULE], Level.kecamatan, [case]) is None
    # the target level is the rule's: a new kabupaten alert is never inhibited by it
    assert inhibited_by([RULE], Level.kabupaten, [OpenCase("A", Level.provinsi, "open")]) is None


def test_no_rules_no_inhibition() -> None:
    assert inhibited_by([], Level.kecamatan, [OpenCase("A", Level.provinsi, "open")]) is None


def test_the_policy_takes_inhibit_rules_and_refuses_upward_ones() -> None:
    base = "version: 1\nrules:\n  - name: default\n    targets: [lowest]\n"
    policy = parse_policy(
        base + "inhibit:\n  - {name: up, source: [kabupaten], target: [kecamatan]}\n"
    )
    assert policy.inhibit == [Inhibit(name="up", source=["kabupaten"], target=["kecamatan"])]
    with pytest.raises(PolicyError, match="every source level must be above"):
        parse_policy(base + "inhibit:\n  - {name: x, source: [kecamatan], target: [kabupaten]}\n")
