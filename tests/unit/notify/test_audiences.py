"""Who an alert version goes to (``notify_service.plan.audiences``): its team, and for a
cancellation also the members of earlier teams who received it before an escalation."""

from __future__ import annotations

from notify_service.plan import audiences
from shared.schemas import AlertReason, Level, Team
from tests.unit.notify.factories import alert, member, team

KABUPATEN = Team(
    team_id="timpora-63.10",
    name="Timpora Kabupaten Tanah Bumbu",
    level=Level.kabupaten,
    jurisdiction_code="63.10",
    members=[member(member_id="kasi"), member(member_id="both")],
)
SATUI = team(member(member_id="camat"), member(member_id="both"), member(member_id="new"))


def escalated(reason: AlertReason):  # type: ignore[no-untyped-def]
    return alert(reason=reason, team_id=KABUPATEN.team_id, level=Level.kabupaten, version=3)


def test_a_cancel_reaches_those_the_alert_reached_before_its_escalation() -> None:
    out = audiences(escalated(AlertReason.cancelled), KABUPATEN, [SATUI], {"camat", "both"})
    assert [(a.team_id, [m.member_id for m in t.members]) for a, t in out] == [
        ("timpora-63.10", ["kasi", "both"]),
        ("timpora-63.10.04", ["camat"]),  # "both" is told once; "new" never had it
    ]
    assert out[1][0].team_name == SATUI.name
    assert out[1][0].alert_id == out[0][0].alert_id


def test_other_versions_go_to_the_current_team_only() -> None:
    for reason in (AlertReason.update, AlertReason.escalation, AlertReason.new):
        out = audiences(escalated(reason), KABUPATEN, [SATUI], {"camat"})
        assert [a.team_id for a, _ in out] == ["timpora-63.10"]


def test_a_cancel_of_an_alert_that_never_moved_is_its_team_only() -> None:
    out = audiences(escalated(AlertReason.cancelled), KABUPATEN, [KABUPATEN], {"kasi"})
    assert len(out) == 1
