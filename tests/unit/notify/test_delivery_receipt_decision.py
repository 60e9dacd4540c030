"""Provider delivery reports (pure): Kannel's DLR types, the Cloud API's statuses, and the
decision a report makes about a delivery: states only move forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from notify_service.receipts import (
    Decision,
    Receipt,
    decide,
    delivery_state,
    expected_receipts,
    kannel_receipt,
    unconfirmed_before,
    whatsapp_receipts,
)
from shared.settings import NotifySettings

DELIVERED = Receipt("kannel", "d1", "delivered")
READ = Receipt("whatsapp", "wamid.1", "read")
FAILED = Receipt("whatsapp", "wamid.1", "failed", "whatsapp 131047: Re-engagement message")


def _decide(status: str, receipt: str | None, report: Receipt, **kw: bool) -> Decision:
    return decide(
        status,
        receipt,
        report,
        has_fallback=kw.get("has_fallback", True),
        alert_done=kw.get("alert_done", False),
    )


@pytest.mark.parametrize(
    ("dlr", "state", "error"),
    [
        ("1", "delivered", None),
        ("2", "failed", "kannel DLR 2: failed (undelivered)"),
        ("16", "failed", "kannel DLR 16: rejected by the SMSC"),
        ("4", None, None),
        ("8", None, None),
        ("", None, None),
        ("x", None, None),
        ("-1", None, None),
    ],
)
def test_kannel_dlr_types(dlr: str, state: str | None, error: str | None) -> None:
    receipt = kannel_receipt("d1", dlr)
    if state is None:
        assert receipt is None
        return
    assert receipt == Receipt("kannel", "d1", state, error)  # type: ignore[arg-type]
    assert receipt.channel == "sms"


def test_a_kannel_report_without_our_id_is_nothing() -> None:
    assert kannel_receipt("", "1") is None


def _notification(*statuses: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp", "statuses": list(statuses)}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}


def test_whatsapp_statuses_delivered_read_failed_and_sent_left_out() -> None:
    data = _notification(
        {"id": "wamid.A", "status": "sent", "recipient_id": "6281200000103"},
        {"id": "wamid.A", "status": "delivered", "recipient_id": "6281200000103"},
        {"id": "wamid.B", "status": "read"},
        {
            "id": "wamid.C",
            "status": "failed",
            "errors": [{"code": 131047, "title": "Re-engagement message"}],
        },
        {"id": "wamid.D", "status": "failed"},
        {"id": "wamid.E", "status": "deleted"},
        {"status": "delivered"},
    )
    assert whatsapp_receipts(data) == [
        Receipt("whatsapp", "wamid.A", "delivered"),
        Receipt("whatsapp", "wamid.B", "read"),
        Receipt("whatsapp", "wamid.C", "failed", "whatsapp 131047: Re-engagement message"),
        Receipt("whatsapp", "wamid.D", "failed", "whatsapp: failed"),
    ]


@pytest.mark.parametrize(
    "data",
    [None, [], "x", {"entry": "x"}, {"entry": [{"changes": [{"value": {"statuses": [1]}}]}]}],
)
def test_whatsapp_parser_never_raises(data: Any) -> None:
    assert whatsapp_receipts(data) == []


def test_a_message_notification_has_no_receipts() -> None:
    value = {"messages": [{"from": "6281200000103", "text": {"body": "OK 7KQ2M"}}]}
    assert whatsapp_receipts({"entry": [{"changes": [{"value": value}]}]}) == []


# --- the decision


def test_delivered_then_read_move_forward() -> None:
    first = _decide("sent", "awaiting", DELIVERED)
    assert (first.receipt, first.status, first.first_confirmation) == ("delivered", None, True)
    read = _decide("sent", "delivered", READ)
    assert (read.receipt, read.first_confirmation) == ("read", False)


def test_read_without_delivered_counts_as_the_first_confirmation() -> None:
    assert _decide("sent", "awaiting", READ) == Decision(receipt="read", first_confirmation=True)


def test_a_duplicate_or_an_older_report_changes_nothing() -> None:
    assert not _decide("sent", "delivered", DELIVERED).changes
    assert not _decide("sent", "read", DELIVERED).changes
    assert not _decide("gave_up", "failed", FAILED).changes
    assert not _decide("gave_up", "failed", DELIVERED).changes


def test_a_late_delivered_upgrades_unconfirmed() -> None:
    decision = _decide("sent", "unconfirmed", DELIVERED)
    assert (decision.receipt, decision.first_confirmation) == ("delivered", True)


def test_failed_gives_the_channel_up_and_falls_back() -> None:
    decision = _decide("sent", "awaiting", FAILED)
    assert decision == Decision(
        receipt="failed",
        status="gave_up",
        error="whatsapp 131047: Re-engagement message",
        fall_back=True,
    )
    assert _decide("sent", "unconfirmed", FAILED).fall_back  # a late failure too


def test_failed_without_a_next_channel_or_after_an_ack_does_not_fall_back() -> None:
    assert _decide("sent", "awaiting", FAILED, has_fallback=False).receipt == "failed"
    assert not _decide("sent", "awaiting", FAILED, has_fallback=False).fall_back
    done = _decide("sent", "awaiting", FAILED, alert_done=True)
    assert (done.receipt, done.fall_back) == ("failed", False)


def test_failed_after_delivered_is_ignored() -> None:
    assert not _decide("sent", "delivered", FAILED).changes
    assert not _decide("sent", "read", FAILED).changes


def test_a_report_before_the_send_is_recorded_is_kept_for_later() -> None:
    assert _decide("sending", None, FAILED) == Decision(park=True)
    assert _decide("sending", None, DELIVERED).park


@pytest.mark.parametrize("status", ["retrying", "gave_up", "cancelled", "skipped", "uncertain"])
def test_reports_for_deliveries_not_sent_change_nothing(status: str) -> None:
    assert _decide(status, None, DELIVERED) == Decision()
    assert _decide(status, None, FAILED) == Decision()


def test_a_report_on_a_channel_without_expected_reports_still_applies() -> None:
    assert _decide("sent", None, DELIVERED).receipt == "delivered"


# --- which channels wait for reports, and for how long


def _settings(**values: Any) -> NotifySettings:
    return NotifySettings(**values)


def test_expected_receipts_follow_the_configuration() -> None:
    kannel = {"kannel_url": "http://k/cgi-bin/sendsms", "inbound_key": "k"}
    whatsapp = {"whatsapp_token": "t", "whatsapp_phone_number_id": "1"}
    assert expected_receipts(_settings()) == {}
    assert expected_receipts(_settings(**kannel)) == {}  # no dlr-url: no reports
    dlr = {**kannel, "kannel_dlr_url": "http://notify/v1/webhooks/kannel/dlr"}
    assert expected_receipts(_settings(**dlr)) == {"sms": 900.0}
    assert expected_receipts(_settings(**dlr, kannel_dlr_mask=2)) == {}  # no delivered DLR
    assert expected_receipts(_settings(**whatsapp)) == {}  # no app secret: no status webhook
    both = _settings(
        **dlr,
        **whatsapp,
        whatsapp_app_secret="s",
        receipt_timeout_seconds={"sms": 60, "whatsapp": 0},
    )
    assert expected_receipts(both) == {"sms": 60.0}


def test_receipt_timeouts_are_checked() -> None:
    with pytest.raises(ValueError, match="NOTIFY_RECEIPT_TIMEOUT_SECONDS"):
        _settings(receipt_timeout_seconds={"email": 5})
    with pytest.raises(ValueError, match="NOTIFY_RECEIPT_TIMEOUT_SECONDS"):
        _settings(receipt_timeout_seconds={"sms": -1})


def test_a_dlr_url_needs_the_inbound_key() -> None:
    with pytest.raises(ValueError, match="NOTIFY_INBOUND_KEY"):
        _settings(kannel_dlr_url="http://notify/v1/webhooks/kannel/dlr")


def test_unconfirmed_cutoffs() -> None:
    now = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)
    assert unconfirmed_before({"sms": 60.0}, now) == {"sms": now - timedelta(seconds=60)}


@pytest.mark.parametrize(
    ("status", "receipt", "state"),
    [
        ("sent", None, "sent"),
        ("sent", "awaiting", "sent"),
        ("sent", "delivered", "delivered"),
        ("sent", "unconfirmed", "unconfirmed"),
        ("gave_up", "failed", "failed"),
        ("gave_up", None, "gave_up"),
    ],
)
def test_the_state_an_operator_reads(status: str, receipt: str | None, state: str) -> None:
    assert delivery_state(status, receipt) == state
