"""The status of one report for its source, decided from the rows (pure: no I/O, no
faststream, no sqlalchemy): ``GET /v1/reports/{report_id}`` loads the rows
(:mod:`console_service.web.status_api`) and calls :func:`report_status`, nothing else
decides.

* no routing record: ``accepted`` (the id was issued to the source, checked before: the
  report is on Kafka, routing has not recorded it yet);
* a dead letter: ``rejected`` with the code and message routing gave;
* a cancel of nothing routing knows: ``ignored`` with the reason;
* otherwise one entry per alert the report opened, updated, was a duplicate in or
  cancelled, from the alert's row as it is now (an escalated alert names the level and
  team it reached): its outcome, its deliveries counted per state, its first
  acknowledgement (time and channel, never who) and its close. An alert's state is
  ``closed``, ``acknowledged``, ``delivered`` (a member has it), ``held`` (muted,
  inhibited or outside the source's home area, nothing delivered) or ``routed``; the
  report's state is the furthest of its alerts'.

Nothing about a person goes into the answer: member ids are only counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from console_service.status_schema import (
    Acknowledged,
    AlertStatus,
    Closed,
    Deliveries,
    Outcome,
    Rejection,
    ReportStatus,
    State,
    Team,
)

OUTCOMES: dict[str, Outcome] = {
    "send": "sent",
    "muted": "muted",
    "inhibited": "inhibited",
    "digest": "digest",
    "duplicate": "duplicate",
    "cancel": "cancel",
}
RANK: dict[State, int] = {
    "held": 1,
    "routed": 2,
    "delivered": 3,
    "acknowledged": 4,
    "closed": 5,
}
DELIVERED = frozenset({"delivered", "read"})
PENDING = frozenset({"sending", "retrying"})


class Processed(Protocol):
    """Routing's record of the report (``ProcessedReport``)."""

    processed_at: datetime
    fate: list[Any] | None
    outputs: list[Any]


class Alert(Protocol):
    """An alert's current row (``AlertRow``)."""

    alert_id: str
    version: int
    team_id: str
    level: str
    jurisdiction_code: str
    acked_at: datetime | None
    closed_at: datetime | None


class Delivery(Protocol):
    """A delivery row (``DeliveryRow``)."""

    alert_id: str
    member_id: str
    status: str
    receipt: str | None


@dataclass(frozen=True)
class Ack:
    """An acknowledgement or close, from a member (notify's ``acks``) or an operator."""

    alert_id: str
    action: str  # ack | close
    channel: str
    at: datetime


def report_status(
    report_id: str,
    processed: Processed | None,
    alerts: Mapping[str, Alert],
    deliveries: Iterable[Delivery],
    acks: Iterable[Ack],
    team_names: Mapping[str, str],
) -> ReportStatus:
    """The answer for ``report_id`` (already known to be the caller's)."""
    if processed is None:
        return ReportStatus(report_id=report_id, state="accepted")
    entries = processed.fate or _legacy_fate(processed.outputs)
    routed_at = processed.processed_at
    dead = next((e for e in entries if e.get("outcome") == "dead_letter"), None)
    if dead is not None:
        why = Rejection(code=dead.get("code", "no_team"), message=dead.get("reason", ""))
        return ReportStatus(
            report_id=report_id, state="rejected", routed_at=routed_at, rejection=why
        )
    by_alert = _group(deliveries)
    acks_by_alert = _group_acks(acks)
    shown: list[AlertStatus] = []
    seen: set[str] = set()
    for entry in entries:
        alert = alerts.get(entry.get("alert_id") or "")
        if alert is None or alert.alert_id in seen:
            continue
        seen.add(alert.alert_id)
        rows = by_alert.get(alert.alert_id, [])
        shown.append(
            _alert_status(entry, alert, rows, acks_by_alert.get(alert.alert_id, []), team_names)
        )
    if not shown:
        note = next((e.get("reason") for e in entries if e.get("reason")), None)
        return ReportStatus(report_id=report_id, state="ignored", routed_at=routed_at, note=note)
    state = max((a.state for a in shown), key=RANK.__getitem__)
    return ReportStatus(report_id=report_id, state=state, routed_at=routed_at, alerts=shown)


def count_deliveries(rows: Sequence[Delivery]) -> Deliveries:
    delivered = [
        r for r in rows if r.status == "sent" and (r.receipt is None or r.receipt in DELIVERED)
    ]
    return Deliveries(
        total=len(rows),
        sent=sum(r.status == "sent" for r in rows),
        delivered=len(delivered),
        failed=sum(r.status == "gave_up" for r in rows),
        pending=sum(r.status in PENDING for r in rows),
        recipients=len({r.member_id for r in delivered}),
    )


def _alert_status(
    entry: Mapping[str, Any],
    alert: Alert,
    rows: Sequence[Delivery],
    acks: Sequence[Ack],
    team_names: Mapping[str, str],
) -> AlertStatus:
    outcome = OUTCOMES.get(entry.get("outcome", "send"), "sent")
    held = (
        "outside_home_area"
        if entry.get("held")
        else outcome
        if outcome in ("muted", "inhibited")
        else None
    )
    counts = count_deliveries(rows)
    acked = _first(acks, alert.acked_at, "ack")
    closed = Closed(at=alert.closed_at) if alert.closed_at else None
    state: State = (
        "closed"
        if closed
        else "acknowledged"
        if acked
        else "delivered"
        if counts.delivered
        else "held"
        if held
        else "routed"
    )
    return AlertStatus(
        alert_id=alert.alert_id,
        version=alert.version,
        outcome=outcome,
        state=state,
        level=alert.level,
        jurisdiction_code=alert.jurisdiction_code,
        team=Team(team_id=alert.team_id, name=team_names.get(alert.team_id)),
        held=held,
        deliveries=counts,
        acknowledged=acked,
        closed=closed,
    )


def _first(acks: Sequence[Ack], acked_at: datetime | None, action: str) -> Acknowledged | None:
    """The alert's acknowledgement: when (the alert's row), and the channel of its earliest
    ack (a close without an ack takes the alert too: its channel then)."""
    if acked_at is None:
        return None
    ordered = sorted(acks, key=lambda a: (a.action != action, a.at))
    return Acknowledged(at=acked_at, channel=ordered[0].channel if ordered else None)


def _group(deliveries: Iterable[Delivery]) -> dict[str, list[Delivery]]:
    out: dict[str, list[Delivery]] = {}
    for row in deliveries:
        out.setdefault(row.alert_id, []).append(row)
    return out


def _group_acks(acks: Iterable[Ack]) -> dict[str, list[Ack]]:
    out: dict[str, list[Ack]] = {}
    for ack in acks:
        out.setdefault(ack.alert_id, []).append(ack)
    return out


def _legacy_fate(outputs: list[Any]) -> list[dict[str, Any]]:
    """Rows routed before fates were recorded: the alerts they sent."""
    return [{"outcome": "send", "alert_id": a.get("alert_id")} for a in outputs]


def alert_ids(processed: Processed | None) -> list[str]:
    """The alerts to load for a report's status."""
    if processed is None:
        return []
    entries = processed.fate or _legacy_fate(processed.outputs)
    return list(dict.fromkeys(e["alert_id"] for e in entries if e.get("alert_id")))
