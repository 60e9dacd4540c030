"""Provider delivery reports (pure): what a report says, and what it does to a delivery.

The flow (stateful half in :mod:`notify_service.receipting`):

1. A send the provider accepted is recorded ``sent``; on a channel whose provider reports
   deliveries (:func:`expected_receipts`) its ``receipt`` is ``awaiting``.
2. The provider reports: Kannel calls the ``dlr-url`` of the SMS (``/v1/webhooks/kannel/dlr``,
   authenticated by ``NOTIFY_INBOUND_KEY``; :func:`kannel_receipt`), the WhatsApp Cloud API
   posts ``statuses`` to the signed ``/v1/webhooks/whatsapp`` (:func:`whatsapp_receipts`).
3. :func:`decide` moves the delivery forward, never back: ``delivered`` → ``read``;
   ``failed`` ends the channel (status ``gave_up``) and starts the member's next channel
   at once, unless the alert was acknowledged or closed. A duplicate report changes
   nothing; a ``delivered`` after ``unconfirmed`` upgrades it; a ``failed`` after
   ``delivered`` is ignored.
4. A delivery still ``awaiting`` after ``NOTIFY_RECEIPT_TIMEOUT_SECONDS`` (per channel) is
   ``unconfirmed``: the provider accepted it and never said more.

A report can arrive before its send is recorded (a fast ``failed`` beats the group's
record, and a WhatsApp ``wamid`` is only known once recorded): :func:`decide` then says
``park``, and the report is applied when the row is there.

Nothing here does I/O; parsers never raise (any shape becomes a list, maybe empty).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.settings import NotifySettings

State = Literal["delivered", "read", "failed"]
AWAITING, UNCONFIRMED = "awaiting", "unconfirmed"
# How far a receipt has come; "failed" is final and outside the order.
RANK = {None: 0, AWAITING: 0, UNCONFIRMED: 1, "delivered": 2, "read": 3}
KANNEL_TYPES = {
    1: "delivered",
    2: "failed (undelivered)",
    4: "queued on the SMSC",
    8: "submitted to the SMSC",
    16: "rejected by the SMSC",
}
WHATSAPP_STATES: dict[str, State] = {"delivered": "delivered", "read": "read", "failed": "failed"}


@dataclass(frozen=True)
class Receipt:
    """One provider report about one message: Kannel's carries our delivery id, WhatsApp's
    the ``wamid`` the Cloud API answered the send with."""

    provider: Literal["kannel", "whatsapp"]
    message_id: str
    state: State
    error: str | None = None

    @property
    def channel(self) -> str:
        return "sms" if self.provider == "kannel" else "whatsapp"


def kannel_receipt(delivery_id: str, dlr_type: str) -> Receipt | None:
    """Kannel's DLR (``%d``): 1 delivered; 2 undelivered and 16 SMSC reject are failures;
    4 (queued) and 8 (SMSC submit) are intermediate and change nothing (``None``)."""
    if not delivery_id or not dlr_type.strip().isdigit():
        return None
    value = int(dlr_type)
    if value & 1:
        return Receipt("kannel", delivery_id, "delivered")
    for bit in (16, 2):
        if value & bit:
            return Receipt(
                "kannel", delivery_id, "failed", f"kannel DLR {bit}: {KANNEL_TYPES[bit]}"
            )
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _whatsapp_error(status: dict[str, Any]) -> str:
    first = _obj(next(iter(_items(status.get("errors"))), None))
    code, title = first.get("code"), first.get("title") or first.get("message") or ""
    return f"whatsapp {code}: {str(title)[:200]}" if code is not None else "whatsapp: failed"


def whatsapp_receipts(data: Any) -> list[Receipt]:
    """The ``delivered`` / ``read`` / ``failed`` statuses of a Cloud API notification
    (``entry[].changes[].value.statuses[]``); ``sent`` (reached WhatsApp's servers) and
    unknown shapes are left out. ``recipient_id`` (a phone number) is never read."""
    out: list[Receipt] = []
    for entry in _items(_obj(data).get("entry")):
        for change in _items(_obj(entry).get("changes")):
            for status in map(_obj, _items(_obj(_obj(change).get("value")).get("statuses"))):
                state, wamid = WHATSAPP_STATES.get(str(status.get("status"))), status.get("id")
                if state is None or not isinstance(wamid, str) or not wamid:
                    continue
                error = _whatsapp_error(status) if state == "failed" else None
                out.append(Receipt("whatsapp", wamid[:200], state, error))
    return out


@dataclass(frozen=True)
class Decision:
    """What a report does to one delivery row (all ``None``/``False``: nothing)."""

    receipt: str | None = None  # the row's new receipt state
    status: str | None = None  # the row's new status (``gave_up`` on a failure)
    error: str | None = None
    fall_back: bool = False  # start the member's next channel now
    first_confirmation: bool = False  # the first delivered/read: time-to-delivered
    park: bool = False  # the send is not recorded yet: apply the report later

    @property
    def changes(self) -> bool:
        return self.receipt is not None


NOTHING = Decision()


def decide(
    status: str, receipt: str | None, report: Receipt, *, has_fallback: bool, alert_done: bool
) -> Decision:
    """The new state of a delivery (``status``, ``receipt``) given a provider ``report``;
    states only move forward (see the module docstring)."""
    if status == "sending":
        return Decision(park=True)
    if status != "sent" or receipt == "failed":
        return NOTHING  # never sent, already given up, or a report after the final one
    if report.state == "failed":
        if RANK.get(receipt, 0) >= RANK["delivered"]:
            return NOTHING
        return Decision(
            receipt="failed",
            status="gave_up",
            error=report.error or "provider reported a failure",
            fall_back=has_fallback and not alert_done,
        )
    if RANK[report.state] <= RANK.get(receipt, 0):
        return NOTHING  # a duplicate, or delivered after read
    first = RANK.get(receipt, 0) < RANK["delivered"]
    return Decision(receipt=report.state, first_confirmation=first)


def expected_receipts(settings: NotifySettings) -> dict[str, float]:
    """Channels whose provider reports deliveries as configured, with the seconds after
    which a silent delivery is ``unconfirmed`` (a channel with timeout 0 is left out):
    SMS through Kannel with a ``dlr-url`` asking for delivered reports (mask bit 1), and
    WhatsApp with the app secret that opens its signed status webhook."""
    s = settings
    on = {
        "sms": bool(s.kannel_url and s.kannel_dlr_url and s.kannel_dlr_mask & 1),
        "whatsapp": bool(s.whatsapp_token and s.whatsapp_phone_number_id and s.whatsapp_app_secret),
    }
    timeouts = s.receipt_timeout_seconds
    return {ch: float(timeouts[ch]) for ch, yes in on.items() if yes and timeouts.get(ch, 0) > 0}


def unconfirmed_before(timeouts: Mapping[str, float], now: datetime) -> dict[str, datetime]:
    """Per channel, the send time before which an ``awaiting`` delivery is unconfirmed."""
    return {channel: now - timedelta(seconds=s) for channel, s in timeouts.items()}


def delivery_state(status: str, receipt: str | None) -> str:
    """The one word an operator reads: the provider's report when there is one
    (``delivered``, ``read``, ``failed``, ``unconfirmed``), else the delivery's status."""
    return receipt if receipt and receipt != AWAITING else status
