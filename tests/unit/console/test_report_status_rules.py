"""The status decision of GET /v1/reports/{id} (console_service.report_status): from the
rows to the answer, with no personal data in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console_service.report_status import Ack, alert_ids, count_deliveries, report_status

T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
RID = "01JNAQ0000000000000000000A"


@dataclass
class Processed:
    fate: list[Any] | None
    outputs: list[Any] = field(default_factory=list)
    processed_at: datetime = T0


@dataclass
class Alert:
    alert_id: str
    team_id: str = "timpora-63.10.04"
    level: str = "kecamatan"
    jurisdiction_code: str = "63.10.04"
    version: int = 1
    acked_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass
class Delivery:
    member_id: str
    status: str = "sent"
    receipt: str | None = None
    alert_id: str = "A1"


NAMES = {"timpora-63.10.04": "Timpora Kecamatan Satui", "timpora-63.10": "Timpora Tanah Bumbu"}
SENT = {"outcome": "send", "alert_id": "A1", "version": 1, "team_id": "timpora-63.10.04"}


def status(processed: Processed | None, alerts: list[Alert], deliveries=(), acks=()):
    return report_status(RID, processed, {a.alert_id: a for a in alerts}, deliveries, acks, NAMES)


def test_a_report_routing_has_not_recorded_is_accepted() -> None:
    answer = status(None, [])
    assert (answer.state, answer.alerts, answer.rejection) == ("accepted", [], None)
    assert alert_ids(None) == []


def test_a_dead_letter_is_rejected_with_routing_s_reason() -> None:
    fate = [{"outcome": "dead_letter", "code": "outside_home_area", "reason": "63.71 is outside"}]
    answer = status(Processed(fate), [])
    assert answer.state == "rejected"
    assert answer.rejection is not None
    assert (answer.rejection.code, answer.rejection.message) == (
        "outside_home_area",
        "63.71 is outside",
    )
    assert answer.routed_at == T0


def test_routed_then_delivered_then_acknowledged_then_closed() -> None:
    routed = status(Processed([SENT]), [Alert("A1")])
    [alert] = routed.alerts
    assert (routed.state, alert.state, alert.outcome) == ("routed", "routed", "sent")
    assert (alert.level, alert.team.team_id, alert.team.name) == (
        "kecamatan",
        "timpora-63.10.04",
        "Timpora Kecamatan Satui",
    )
    rows = [Delivery("m1"), Delivery("m2", receipt="awaiting"), Delivery("m3", "retrying")]
    delivered = status(Processed([SENT]), [Alert("A1")], rows)
    assert delivered.state == "delivered"
    counts = delivered.alerts[0].deliveries
    assert (counts.total, counts.sent, counts.delivered, counts.pending, counts.failed) == (
        3,
        2,
        1,
        1,
        0,
    )
    acked_at = T0 + timedelta(minutes=3)
    acks = [
        Ack("A1", "close", "telegram", acked_at + timedelta(minutes=9)),
        Ack("A1", "ack", "sms", acked_at),
        Ack("A1", "ack", "link", acked_at + timedelta(minutes=1)),
    ]
    acked = status(Processed([SENT]), [Alert("A1", acked_at=acked_at)], rows, acks)
    assert acked.state == "acknowledged"
    assert acked.alerts[0].acknowledged is not None
    assert (acked.alerts[0].acknowledged.at, acked.alerts[0].acknowledged.channel) == (
        acked_at,
        "sms",
    )
    closed_at = acked_at + timedelta(minutes=9)
    closed = status(
        Processed([SENT]), [Alert("A1", acked_at=acked_at, closed_at=closed_at)], rows, acks
    )
    assert closed.state == "closed"
    assert closed.alerts[0].closed is not None
    assert closed.alerts[0].closed.at == closed_at


def test_a_close_without_an_ack_takes_the_alert_on_its_channel() -> None:
    acks = [Ack("A1", "close", "console", T0)]
    answer = status(Processed([SENT]), [Alert("A1", acked_at=T0, closed_at=T0)], [], acks)
    assert answer.alerts[0].acknowledged is not None
    assert answer.alerts[0].acknowledged.channel == "console"


def test_delivery_states_are_counted_per_row_and_recipients_per_member() -> None:
    rows = [
        Delivery("m1", receipt="delivered"),
        Delivery("m1", receipt="read"),  # the same member on a second channel
        Delivery("m2", receipt="failed", status="gave_up"),
        Delivery("m3", status="sending"),
        Delivery("m4", status="skipped"),
        Delivery("m5", receipt="unconfirmed"),
    ]
    counts = count_deliveries(rows)
    assert counts.model_dump() == {
        "total": 6,
        "sent": 3,
        "delivered": 2,
        "failed": 1,
        "pending": 1,
        "recipients": 1,
    }


def test_a_report_grouped_into_an_existing_alert_shows_that_alert() -> None:
    fate = [{"outcome": "duplicate", "alert_id": "A1"}]
    earlier = [Delivery("m1"), Delivery("m2")]
    answer = status(Processed(fate), [Alert("A1", version=3)], earlier)
    [alert] = answer.alerts
    assert (alert.alert_id, alert.version, alert.outcome, alert.state) == (
        "A1",
        3,
        "duplicate",
        "delivered",
    )
    assert alert.deliveries.delivered == 2


def test_an_escalated_alert_names_the_level_it_reached() -> None:
    escalated = Alert("A1", team_id="timpora-63.10", level="kabupaten", jurisdiction_code="63.10")
    [alert] = status(Processed([SENT]), [escalated]).alerts
    assert (alert.level, alert.team.name, alert.jurisdiction_code) == (
        "kabupaten",
        "Timpora Tanah Bumbu",
        "63.10",
    )


def test_held_muted_and_inhibited_alerts() -> None:
    held = {**SENT, "held": "63.71.01", "fallback": "Kanim Batulicin"}
    assert status(Processed([held]), [Alert("A1")]).state == "held"
    assert status(Processed([held]), [Alert("A1")]).alerts[0].held == "outside_home_area"
    # held for review and delivered to the office's fallback team: delivered, still marked
    answer = status(Processed([held]), [Alert("A1")], [Delivery("m1")])
    assert (answer.state, answer.alerts[0].held) == ("delivered", "outside_home_area")
    for outcome in ("muted", "inhibited"):
        entry = {**SENT, "outcome": outcome}
        answer = status(Processed([entry]), [Alert("A1")])
        assert (answer.state, answer.alerts[0].held, answer.alerts[0].outcome) == (
            "held",
            outcome,
            outcome,
        )


def test_several_alerts_the_report_state_is_the_furthest() -> None:
    fate = [SENT, {**SENT, "alert_id": "A2", "team_id": "timpora-63.10"}]
    alerts = [Alert("A1"), Alert("A2", team_id="timpora-63.10", acked_at=T0)]
    answer = status(Processed(fate), alerts, [Delivery("m1", alert_id="A1")])
    assert [a.state for a in answer.alerts] == ["delivered", "acknowledged"]
    assert answer.state == "acknowledged"
    assert alert_ids(Processed([*fate, {"outcome": "duplicate", "alert_id": "A1"}])) == ["A1", "A2"]


def test_a_cancel_of_nothing_known_is_ignored_with_its_reason() -> None:
    fate = [{"outcome": "cancel", "reason": "references nothing routing knows: x-1"}]
    answer = status(Processed(fate), [])
    assert (answer.state, answer.note) == ("ignored", "references nothing routing knows: x-1")


def test_rows_routed_before_fates_were_recorded() -> None:
    legacy = Processed(None, outputs=[{"alert_id": "A1", "version": 1, "team_id": "t"}])
    assert alert_ids(legacy) == ["A1"]
    assert status(legacy, [Alert("A1")]).alerts[0].outcome == "sent"


def test_no_person_in_the_answer() -> None:
    rows = [Delivery("member-camat-satui", receipt="delivered")]
    acks = [Ack("A1", "ack", "sms", T0)]
    answer = status(Processed([SENT]), [Alert("A1", acked_at=T0)], rows, acks)
    text = answer.model_dump_json()
    assert "member-camat-satui" not in text
    assert "member" not in answer.model_json_schema()["$defs"]["AlertStatus"]["properties"]
