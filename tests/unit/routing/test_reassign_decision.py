"""An operator gives an alert to another team (``lifecycle.on_reassign``, the function
routing's timer loop runs): a new version for that team, its ladder from that team's
level; refused for an alert that is not open, the same team or a team routing lacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing_service.lifecycle import Reassigned, on_reassign
from routing_service.plan import RoutingState, plan
from routing_service.policy import parse_policy
from shared.schemas import (
    AlertReason,
    Category,
    Fallback,
    Level,
    PlaceResolution,
    Report,
    Severity,
)

NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)
SATUI = PlaceResolution(
    code="63.10.04", level=Level.kecamatan, routing_code="63.10.04",
    confidence=0.95, method="code", low_confidence=False,
)  # fmt: skip
POLICY = parse_policy(
    "version: 1\nrules:\n  - name: default\n    targets: [kecamatan]\n    escalate_after: 30m\n"
)
DIRECTORY = {"63.10.04": ["kec-satui"], "63.10.06": ["kec-simpang"], "63.10": ["kab"], "63": ["p"]}


def alert():  # type: ignore[no-untyped-def]
    report = Report(
        source="polres-tanbu",
        received_at=NOW,
        category=Category.overstay,
        severity=Severity.high,
        resolution=SATUI,
    )
    return plan(report, RoutingState(), POLICY, DIRECTORY, NOW).alerts[0].message


def test_the_new_team_gets_a_new_version_and_a_ladder_of_its_own() -> None:
    before = alert().model_copy(update={"escalation_step": 1, "version": 3})
    later = NOW + timedelta(minutes=5)
    decided = on_reassign(
        before, status="open", team_id="kec-simpang", escalate_after=timedelta(minutes=30),
        directory=DIRECTORY, now=later, name_of=lambda code: f"name {code}",
    )  # fmt: skip
    assert isinstance(decided, Reassigned)
    message = decided.message
    assert (message.alert_id, message.version, message.ack_code) == (
        before.alert_id,
        4,
        before.ack_code,
    )
    assert (message.team_id, message.level, message.jurisdiction_code) == (
        "kec-simpang",
        Level.kecamatan,
        "63.10.06",
    )
    assert message.jurisdiction_name == "name 63.10.06"
    assert (message.reason, message.escalation_step, message.routed_at) == (
        AlertReason.reassigned,
        0,
        later,
    )
    assert decided.timer_due_at == later + timedelta(minutes=30)  # the kabupaten above


def test_a_kabupaten_team_gets_it_at_its_level_and_the_fallback_mark_goes() -> None:
    held = alert().model_copy(
        update={"fallback": Fallback(office="Kanim", outside_home_area="31.71")}
    )
    decided = on_reassign(
        held, status="open", team_id="kab", escalate_after=None, directory=DIRECTORY, now=NOW
    )
    assert isinstance(decided, Reassigned)
    assert (decided.message.level, decided.message.fallback) == (Level.kabupaten, None)
    assert decided.timer_due_at is None  # the rule never escalates by itself


def test_refusals_say_why() -> None:
    a = alert()
    cases = [
        ("acked", "kec-simpang", "not_open"),
        ("closed", "kec-simpang", "not_open"),
        ("muted", "kec-simpang", "not_open"),
        ("open", a.team_id, "same_team"),
        ("open", "no-such-team", "unknown_team"),
    ]
    for status, team_id, why in cases:
        decided = on_reassign(
            a, status=status, team_id=team_id, escalate_after=None, directory=DIRECTORY, now=NOW
        )
        assert decided == why, (status, team_id)
