"""Digests, pure: routine alerts of a closed period become one summary alert per team.

Called by routing's digest loop (:func:`routing_service.service.emit_due_digests`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.schemas import AlertReason, AlertRouted, Report, ack_code_for


@dataclass(frozen=True)
class DigestEntry:
    """A routine alert waiting for its period's summary."""

    alert_id: str
    team_id: str
    report_ids: tuple[str, ...]
    payload: dict[str, Any]  # its last version, as stored


def digests(entries: Sequence[DigestEntry], now: datetime) -> list[AlertRouted]:
    """One summary alert per team for the entries whose digest period closed."""
    by_team: dict[str, list[DigestEntry]] = {}
    for entry in entries:
        by_team.setdefault(entry.team_id, []).append(entry)
    return [digest_alert(team_entries, now) for team_entries in by_team.values()]


def digest_alert(entries: Sequence[DigestEntry], now: datetime) -> AlertRouted:
    """A summary alert: the grouped reports' subjects and a count, routine severity. Its
    id is derived from the entries, so a re-run after a crash publishes the same alert
    (notify's delivery key absorbs it)."""
    alerts = [AlertRouted.model_validate(e.payload) for e in entries]
    first = alerts[0]
    subjects = [s for a in alerts for s in a.report.subjects][:100]
    people = sum(max(a.occurrence_count, len(a.report.subjects), 1) for a in alerts)
    summary = Report(
        source="timpora-digest",
        category=first.category,
        severity=first.severity,
        location=first.report.location,
        resolution=first.report.resolution,
        subjects=subjects,
        subject_count=people,
        text=(
            f"Ringkasan: {len(alerts)} laporan rutin, {people} orang asing "
            f"({', '.join(sorted({a.report.source for a in alerts}))})."
        ),
        received_at=now,
    )
    alert_id = "D" + hashlib.sha256("|".join(e.alert_id for e in entries).encode()).hexdigest()[:25]
    return first.model_copy(
        update={
            "alert_id": alert_id,
            "version": 1,
            "report_id": summary.report_id,
            "report_ids": [rid for e in entries for rid in e.report_ids][-100:],
            "reason": AlertReason.digest,
            "occurrence_count": len(alerts),
            "ack_code": ack_code_for(alert_id),
            "routed_at": now,
            "report": summary,
        }
    )
