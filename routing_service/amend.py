"""What a report that references earlier ones does to their alerts, pure: a CAP Update
makes each referenced alert a new version, a CAP Cancel closes them.

The handler loads the alerts that hold the referenced reports (the same source's
``upstream_ref``, found through the reports' fates) and calls :func:`amend`; nothing else
decides. No I/O, no clock (``now`` is an argument).

Rules decided here once (and tested in ``tests/unit/routing/test_amend.py``):

* an update of an alert is a new version of it (reason ``update``, the new report's
  content, the highest severity it ever had), whatever the group key, team or level it
  has now (an escalated alert stays with the team it reached); no new alert is opened;
* of the referenced alerts, those whose current report is at the update's place are
  updated (each ``<area>`` of a CAP Update updates the alerts of that area); when none
  is, all of them are (the place moved);
* an update that references nothing still open is routed as a new report
  (:func:`amend` returns ``None``);
* a cancel closes each referenced alert exactly as a close acknowledgement does
  (:func:`routing_service.lifecycle.on_ack`): open, acknowledged, muted or in a digest;
  a closed one is left alone. Its last version (reason ``cancelled``) is sent to the
  team that had it, unless the team never heard of it (muted, digest);
* a cancel of nothing known changes nothing, and its fate says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from routing_service.grouping import MAX_REPORT_IDS
from routing_service.lifecycle import AckAction, on_ack
from routing_service.plan import OpenAlert
from shared.schemas import AlertReason, AlertRouted, Report, Severity

MAX_KEY = 400  # routing_processed_reports.upstream_key
SENT = frozenset({"open", "acked"})  # the alert's team has its current version
OVER = frozenset({"closed", "digested"})  # nothing changes an alert any more


def upstream_key(source: str, upstream_ref: str | None) -> str | None:
    """How routing finds a report by its source's own id (None: the report has none)."""
    if not upstream_ref:
        return None
    key = f"{source}|{upstream_ref}"
    if len(key) > MAX_KEY:
        key = f"{key[: MAX_KEY - 17]}#{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    return key


def reference_keys(report: Report) -> list[str]:
    """The upstream keys of the reports ``report`` references (same source)."""
    return [k for ref in report.references if (k := upstream_key(report.source, ref))]


@dataclass(frozen=True)
class Referenced:
    """An alert holding a referenced report: its stored state and current version."""

    state: OpenAlert
    message: AlertRouted

    @property
    def place(self) -> str | None:
        resolution = self.message.report.resolution
        return resolution.routing_code if resolution else None


@dataclass(frozen=True)
class Amended:
    """One referenced alert after the report: updated, closed, or left alone."""

    alert_id: str
    action: str  # update | close | ignore (closed before)
    state: OpenAlert  # to store
    message: AlertRouted  # its new version (the current one when ignored)
    send: bool  # publish ``message``

    def fate(self) -> dict[str, Any]:
        """This alert's entry in the report's fate (``timpora report``)."""
        if self.action == "ignore":
            return {"outcome": "cancel", "alert_id": self.alert_id, "reason": "closed before"}
        outcome = "cancel" if self.action == "close" else self.state.status
        return {
            "outcome": {"open": "send", "acked": "send"}.get(outcome, outcome),
            "action": self.action,
            "alert_id": self.alert_id,
            "version": self.state.version,
            "team_id": self.message.team_id,
            "rules": list(self.message.matched_rules),
            "fallback": self.message.fallback.office if self.message.fallback else None,
        }


@dataclass(frozen=True)
class Amendment:
    """Everything a referencing report does: one entry per referenced alert."""

    report_id: str
    cancels: bool
    alerts: tuple[Amended, ...]

    @property
    def to_send(self) -> list[AlertRouted]:
        return [a.message for a in self.alerts if a.send]

    def fate(self, references: Sequence[str] = ()) -> list[dict[str, Any]]:
        if not self.alerts:
            known = ", ".join(references) or "-"
            return [{"outcome": "cancel", "reason": f"references nothing routing knows: {known}"}]
        return [a.fate() for a in self.alerts]


def amend(report: Report, referenced: Sequence[Referenced], now: datetime) -> Amendment | None:
    """What ``report`` (with ``references``) does to the alerts holding the reports it
    references; None: an update that references nothing still open, routed as new."""
    if report.cancels:
        return Amendment(report.report_id, True, tuple(_cancel(report, r, now) for r in referenced))
    live = [r for r in referenced if r.state.status not in OVER]
    if not live:
        return None
    here = report.resolution.routing_code if report.resolution else None
    targets = [r for r in live if r.place == here] or live
    updated = [_update(report, r, now) for r in targets if report.report_id not in _ids(r)]
    return Amendment(report.report_id, False, tuple(updated))


def _ids(referenced: Referenced) -> tuple[str, ...]:
    return referenced.state.report_ids


def _next(report: Report, referenced: Referenced, severity: Severity, status: str) -> OpenAlert:
    state = referenced.state
    return replace(
        state,
        version=state.version + 1,
        occurrence_count=state.occurrence_count + 1,
        report_ids=(*state.report_ids, report.report_id)[-MAX_REPORT_IDS:],
        severity=severity,
        status=status,
    )


def _update(report: Report, referenced: Referenced, now: datetime) -> Amended:
    state, previous = referenced.state, referenced.message
    severity = max(state.severity, report.severity, key=lambda s: s.rank)
    new = _next(report, referenced, severity, state.status)
    message = _version(
        previous, new, report.report_id, now,
        reason=AlertReason.update, category=report.category, severity=severity, report=report,
    )  # fmt: skip
    return Amended(state.alert_id, "update", new, message, send=state.status in SENT)


def _cancel(report: Report, referenced: Referenced, now: datetime) -> Amended:
    """The alert closed as a close ack would; its recipients hear it was cancelled (the
    message keeps what they were told: category, place, subjects)."""
    state, previous = referenced.state, referenced.message
    if on_ack(state.status, "close") is not AckAction.close:
        return Amended(state.alert_id, "ignore", state, previous, send=False)
    new = _next(report, referenced, state.severity, "closed")
    text = report.text or previous.report.text
    message = _version(
        previous, new, report.report_id, now,
        reason=AlertReason.cancelled, report=previous.report.model_copy(update={"text": text}),
    )  # fmt: skip
    return Amended(state.alert_id, "close", new, message, send=state.status in SENT)


def _version(
    previous: AlertRouted, new: OpenAlert, report_id: str, now: datetime, **changes: Any
) -> AlertRouted:
    """The alert's next version after a report (``changes``: what else it changes)."""
    return previous.model_copy(
        update={
            "version": new.version,
            "report_id": report_id,
            "report_ids": list(new.report_ids),
            "occurrence_count": new.occurrence_count,
            "routed_at": now,
            **changes,
        }
    )


__all__ = [
    "Amended",
    "Amendment",
    "Referenced",
    "amend",
    "reference_keys",
    "upstream_key",
]
