"""Reports that reference earlier ones (a CAP Update or Cancel): load → decide → persist.

:func:`amend_reports` runs inside :func:`routing_service.service.route_reports`'s
transaction, after the batch's other reports were written, so an alert and its update in
one batch find each other. It loads the alerts holding the referenced reports (the same
source's ``upstream_ref``: ``routing_processed_reports.upstream_key``, then each report's
fate), decides with :func:`routing_service.amend.amend`, stores the new versions (a
cancel closes the alert and cancels its timers, as a close acknowledgement does) and the
report's processed record; the caller publishes after the commit, and a redelivery
re-emits the same versions from the processed record.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service import store
from routing_service.amend import Amendment, Referenced, amend, reference_keys, upstream_key
from routing_service.models import AlertRow, ProcessedReport
from routing_service.plan import OpenAlert
from shared.kafka import dumps
from shared.schemas import AlertRouted, Report, Severity

log = logging.getLogger(__name__)


def open_alert(row: AlertRow) -> OpenAlert:
    """An alert row as the pure decisions read it."""
    return OpenAlert(
        alert_id=row.alert_id,
        version=row.version,
        occurrence_count=row.occurrence_count,
        window_ends_at=row.window_ends_at,
        report_ids=tuple(row.report_ids),
        severity=Severity(row.severity),
        ack_code=row.ack_code,
        escalation_step=row.escalation_step,
        status=row.status,
    )


def has_references(report: Report) -> bool:
    return bool(report.references) or report.cancels


@dataclass
class Amended:
    """What the referencing reports of a batch produced."""

    sent: list[tuple[AlertRouted, bytes]] = field(default_factory=list)  # to publish
    as_new: list[Report] = field(default_factory=list)  # references nothing open


def _held(rows: Sequence[ProcessedReport]) -> dict[str, list[str]]:
    """Alert ids per upstream key: every alert a report's fate names."""
    held: dict[str, list[str]] = {}
    for row in rows:
        entries = row.fate or row.outputs
        ids = [e["alert_id"] for e in entries if e.get("alert_id")]
        held.setdefault(row.upstream_key or "", []).extend(ids)
    return held


async def amend_reports(
    *, session: AsyncSession, reports: Sequence[Report], now: datetime
) -> Amended:
    """Apply each report's update or cancel to the alerts it references (see the module
    docstring); the ones that reference nothing open come back to be routed as new."""
    keys = {k for r in reports for k in reference_keys(r)}
    held = _held(await store.reports_by_upstream_key(session=session, keys=keys))
    rows = await store.alerts_by_id(
        session=session, alert_ids={i for ids in held.values() for i in ids}
    )
    result, processed = Amended(), []
    for report in reports:
        ids = dict.fromkeys(i for k in reference_keys(report) for i in held.get(k, ()))
        referenced = [
            Referenced(open_alert(rows[i]), AlertRouted.model_validate(rows[i].last_payload))
            for i in ids
            if i in rows
        ]
        amendment = amend(report, referenced, now)
        if amendment is None:
            log.info(
                "report %s references %s: no open alert holds them; routed as a new report",
                report.report_id,
                ", ".join(report.references),
                extra={"report_id": report.report_id},
            )
            result.as_new.append(report)
            continue
        sent = await _persist(session, report, amendment, rows, now)
        result.sent += sent
        if own := upstream_key(report.source, report.upstream_ref):  # an update of this one
            held.setdefault(own, []).extend(a.alert_id for a in amendment.alerts)
        processed.append(
            {
                "report_id": report.report_id,
                "outputs": [orjson.loads(value) for _, value in sent],
                "fate": amendment.fate(report.references),
                "upstream_key": own,
            }
        )
    await store.add_processed(session=session, rows=processed)
    await session.flush()
    return result


async def _persist(
    session: AsyncSession,
    report: Report,
    amendment: Amendment,
    rows: dict[str, AlertRow],
    now: datetime,
) -> list[tuple[AlertRouted, bytes]]:
    sent = []
    for a in amendment.alerts:
        if a.action == "ignore":
            continue
        value = dumps(a.message)
        state = {
            "version": a.state.version,
            "occurrence_count": a.state.occurrence_count,
            "report_ids": list(a.state.report_ids),
            "severity": a.state.severity.value,
            "updated_at": now,
        }
        row = rows[a.alert_id]
        await store.amend_alert(session=session, row=row, state=state, payload=orjson.loads(value))
        if a.action == "close":
            note = f"cancelled by its source {report.source} (report {report.report_id})"
            await store.close(session=session, row=row, at=now, member_id=None, note=note)
            log.info(
                "alert %s cancelled by its source (report %s): closed",
                a.alert_id,
                report.report_id,
                extra={"alert_id": a.alert_id, "report_id": report.report_id},
            )
        if a.send:
            sent.append((a.message, value))
    return sent
