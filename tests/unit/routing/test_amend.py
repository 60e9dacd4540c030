"""What a report referencing earlier ones does (``routing_service.amend``, the decision
routing runs for CAP Update and Cancel): a new version of each referenced alert, or its
close with a last ``cancelled`` version; nothing known: routed as new / a recorded fate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from routing_service.amend import Referenced, amend, reference_keys, upstream_key
from routing_service.plan import OpenAlert, RoutingState, plan
from shared.schemas import AlertReason, Category, Level, PlaceResolution, Report, Severity
from tests.unit.routing.test_routing_plan import ALL_LEVELS, NOW, POLICY, SATUI, report

ANGSANA = SATUI.model_copy(update={"code": "63.10.09", "routing_code": "63.10.09"})
LATER = NOW + timedelta(hours=3)


def opened(place: PlaceResolution = SATUI, **kw: object) -> list[Referenced]:
    """The alerts one report opened (as routing stored them), with ``kw`` on their state."""
    original = report(upstream_ref="CAP-1", resolution=place)
    decision = plan(original, RoutingState(), POLICY, ALL_LEVELS, NOW)
    out = []
    for a in decision.alerts:
        state = OpenAlert(**{**a.state.__dict__, **kw})  # type: ignore[arg-type]
        out.append(Referenced(state, a.message))
    return out


def update(**kw: object) -> Report:
    fields = {"upstream_ref": "CAP-2", "references": ["CAP-1"], "received_at": LATER}
    return report(**(fields | kw))


def test_an_update_is_a_new_version_of_the_same_alert() -> None:
    [before] = opened()
    new = update(category=Category.illegal_work, severity=Severity.low, text="9 orang")
    amendment = amend(new, [before], LATER)
    assert amendment is not None
    [a] = amendment.alerts
    assert (a.action, a.send, a.alert_id) == ("update", True, before.state.alert_id)
    m = a.message
    assert (m.version, m.reason, m.report_id) == (2, AlertReason.update, new.report_id)
    assert m.report_ids == [before.message.report_id, new.report_id]
    assert m.category is Category.illegal_work
    assert m.report.text == "9 orang"
    assert m.severity is before.state.severity  # never lowered
    assert (m.team_id, m.ack_code) == (before.message.team_id, before.message.ack_code)
    assert a.state.version == 2
    assert a.state.status == "open"
    assert amendment.fate()[0] | {"rules": []} == {
        "outcome": "send", "action": "update", "alert_id": a.alert_id, "version": 2,
        "team_id": "timpora-63.10.04", "rules": [], "fallback": None,
    }  # fmt: skip


def test_an_escalated_alert_is_updated_where_it_is_now() -> None:
    [before] = opened(escalation_step=1, version=2)
    moved = before.message.model_copy(
        update={"team_id": "timpora-63.10", "level": Level.kabupaten, "version": 2}
    )
    amendment = amend(update(), [Referenced(before.state, moved)], LATER)
    assert amendment is not None
    [a] = amendment.alerts
    assert (a.message.team_id, a.message.version) == ("timpora-63.10", 3)


def test_each_area_updates_the_alerts_of_its_own_place() -> None:
    satui, angsana = opened(SATUI)[0], opened(ANGSANA)[0]
    amendment = amend(update(resolution=ANGSANA), [satui, angsana], LATER)
    assert amendment is not None
    assert [a.alert_id for a in amendment.alerts] == [angsana.state.alert_id]
    # a place none of them is at (the area moved): all of them
    moved = amend(update(resolution=SATUI.model_copy(update={"routing_code": "63.10"})),
                  [satui, angsana], LATER)  # fmt: skip
    assert moved is not None
    assert len(moved.alerts) == 2


def test_an_update_of_nothing_open_is_routed_as_new() -> None:
    assert amend(update(), [], LATER) is None
    assert amend(update(), opened(status="closed"), LATER) is None


def test_muted_alerts_are_updated_but_not_sent() -> None:
    amendment = amend(update(), opened(status="muted"), LATER)
    assert amendment is not None
    [a] = amendment.alerts
    assert (a.send, a.state.status, amendment.fate()[0]["outcome"]) == (False, "muted", "muted")


def test_a_redelivered_update_changes_nothing() -> None:
    new = update()
    [before] = opened()
    held = OpenAlert(
        **{**before.state.__dict__, "report_ids": (*before.state.report_ids, new.report_id)}
    )  # type: ignore[arg-type]
    amendment = amend(new, [Referenced(held, before.message)], LATER)
    assert amendment is not None
    assert amendment.alerts == ()


@pytest.mark.parametrize(("status", "sent"), [("open", True), ("acked", True), ("muted", False)])
def test_a_cancel_closes_the_alert_and_tells_its_team(status: str, sent: bool) -> None:
    [before] = opened(status=status)
    cancel = update(cancels=True, text="Salah lapor", category=Category.presence)
    amendment = amend(cancel, [before], LATER)
    assert amendment is not None
    [a] = amendment.alerts
    assert (a.action, a.send, a.state.status) == ("close", sent, "closed")
    m = a.message
    assert (m.version, m.reason, m.report_id) == (2, AlertReason.cancelled, cancel.report_id)
    # what the team was told stays (category, place), with the cancel's words
    assert m.category is before.message.category
    assert m.report.location == before.message.report.location
    assert m.report.text == "Salah lapor"
    assert amendment.fate()[0]["outcome"] == "cancel"


def test_a_cancel_of_a_closed_alert_changes_nothing() -> None:
    amendment = amend(update(cancels=True), opened(status="closed"), LATER)
    assert amendment is not None
    [a] = amendment.alerts
    assert (a.action, a.send) == ("ignore", False)
    assert amendment.to_send == []
    assert amendment.fate() == [
        {"outcome": "cancel", "alert_id": a.alert_id, "reason": "closed before"}
    ]


def test_a_cancel_of_nothing_known_is_recorded() -> None:
    amendment = amend(update(cancels=True, references=["CAP-9"]), [], LATER)
    assert amendment is not None
    assert amendment.alerts == ()
    assert amendment.fate(["CAP-9"]) == [
        {"outcome": "cancel", "reason": "references nothing routing knows: CAP-9"}
    ]


def test_upstream_keys_are_per_source_and_bounded() -> None:
    assert upstream_key("polres", "CAP-1") == "polres|CAP-1"
    assert upstream_key("polres", None) is None
    long = upstream_key("s" * 300, "r" * 200)
    assert long is not None
    assert len(long) == 400
    assert long == upstream_key("s" * 300, "r" * 200) != upstream_key("s" * 300, "r" * 199 + "x")
    assert reference_keys(update(source="polres", references=["A", "B"])) == [
        "polres|A", "polres|B",
    ]  # fmt: skip
