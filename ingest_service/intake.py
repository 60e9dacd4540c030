"""From raw input to the records to publish: normalised reports and one rejection.

Shared by the HTTP API and the ``reports.raw`` consumer; no I/O here.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from ulid import ULID

from ingest_service.formats import Parsed, SourceContext, parse
from ingest_service.formats.subset import failing_records
from shared import report_ids, topics
from shared.deadletter import NUL
from shared.kafka import Outgoing, dumps
from shared.observability import REPORTS
from shared.schemas import Reason, Report, ReportRejected, SourceFormat

log = logging.getLogger(__name__)
MAX_INLINE_ORIGINAL = 256 * 1024  # larger originals are referenced by hash only


def nul_reason(index: int) -> Reason:
    message = "a field holds the character U+0000 (NUL), which no text may contain"
    return Reason(code="invalid_character", message=message, index=index)


@dataclass
class Intake:
    reports: list[Report] = field(default_factory=list)
    rejected: list[Parsed] = field(default_factory=list)
    rejection: ReportRejected | None = None
    # each report's JSON, serialised by intake() (in the parse thread, off the event loop)
    values: list[bytes] = field(default_factory=list, repr=False)

    def records(self) -> list[Outgoing]:
        values = self.values if len(self.values) == len(self.reports) else None
        out = [
            Outgoing(
                topics.REPORTS_NORMALIZED,
                r.partition_key(),
                values[i] if values else dumps(r),
                {"report_id": r.report_id, "source": r.source},
            )
            for i, r in enumerate(self.reports)
        ]
        if self.rejection:
            out.append(
                Outgoing(
                    topics.REPORTS_REJECTED,
                    self.rejection.source,
                    dumps(self.rejection),
                    {"source": self.rejection.source},
                )
            )
        return out

    @property
    def reasons(self) -> list[Reason]:
        return self.rejection.reasons if self.rejection else []


def stable_id(seed: str, index: int, at: datetime | None) -> str:
    """A ULID that is the same every time the same input is processed (redelivery-safe).

    With ``at`` its time part is ``at``; without, the time part is hashed too (the input
    has no stable time, e.g. an HTTP retry: the id stays, sortability does not matter).
    """
    digest = hashlib.sha256(f"{seed}#{index}".encode()).digest()
    ms = int(at.timestamp() * 1000).to_bytes(6, "big") if at else digest[10:16]
    return str(ULID.from_bytes(ms + digest[:10]))


def intake(
    fmt: SourceFormat | None,
    raw: bytes,
    ctx: SourceContext,
    *,
    id_seed: str | None = None,
    seed_time: bool = True,
    original_topic: str | None = None,
    headers: dict[str, str] | None = None,
    reasons: list[Reason] | None = None,
    id_key: bytes | None = None,
) -> Intake:
    """Parse ``raw``; give reports stable ids when ``id_seed`` names the input uniquely.

    ``reasons`` given by the caller (e.g. an unknown format header) reject the whole input.
    With ``id_key`` (the service always passes it) every id is tagged for its source
    (:mod:`shared.report_ids`): only that source may ask for the report's status.
    """
    result = Intake()
    parsed = parse(fmt, raw, ctx) if fmt is not None and not reasons else []
    for item in parsed:
        if item.report is not None:
            if id_seed is not None:
                at = ctx.received_at if seed_time else None
                item.report.report_id = stable_id(id_seed, item.index, at)
            if id_key is not None:
                report = item.report
                report.report_id = report_ids.issue(report.report_id, report.source, id_key)
            value = dumps(item.report)
            if NUL in value:  # PostgreSQL text cannot hold it: routing could store nothing
                result.rejected.append(Parsed(item.index, None, [nul_reason(item.index)]))
                continue
            result.reports.append(item.report)
            result.values.append(value)
        else:
            result.rejected.append(item)
    all_reasons = list(reasons or []) + [
        reason.model_copy(update={"index": item.index} if reason.index is None else {})
        for item in result.rejected
        for reason in item.reasons
    ]
    if not parsed and not all_reasons:
        all_reasons.append(Reason(code="empty", message="the input holds no report"))
    if all_reasons:
        kept, note = _kept(fmt, raw, result)
        result.rejection = ReportRejected(
            source=ctx.source,
            source_format=fmt,
            received_at=ctx.received_at,
            reasons=all_reasons,
            original_b64=base64.b64encode(kept).decode()
            if kept is not None and len(kept) <= MAX_INLINE_ORIGINAL
            else None,
            original_size=len(kept if kept is not None else raw),
            original_sha256=hashlib.sha256(kept if kept is not None else raw).hexdigest(),
            original_topic=original_topic,
            headers={**(headers or {}), **note},
        )
    return result


def _kept(
    fmt: SourceFormat | None, raw: bytes, result: Intake
) -> tuple[bytes | None, dict[str, str]]:
    """What the dead letter keeps of ``raw``: all of it when nothing was accepted, else
    only the failing records (``None``: they cannot be cut out, so nothing is kept), with
    a header saying so."""
    if not result.reports:
        return raw, {}
    total = len(result.reports) + len(result.rejected)
    kept = failing_records(fmt, raw, {item.index for item in result.rejected})
    if kept is None:
        return None, {"kept": f"not kept: {len(result.rejected)} of {total} records failed"}
    return kept, {"kept": f"failing records only: {len(result.rejected)} of {total}"}


def count_outcomes(intakes: list[Intake]) -> None:
    """Metrics and log lines (ids and reason codes only, never content) per outcome."""
    for item in intakes:
        for report in item.reports:
            REPORTS.labels(report.source, "accepted").inc()
            log.debug(
                "report %s accepted from %s (%s) -> %s",
                report.report_id,
                report.source,
                report.source_format,
                report.partition_key(),
                extra={"report_id": report.report_id, "source": report.source},
            )
        if item.rejection:
            REPORTS.labels(item.rejection.source, "rejected").inc()
            log.info(
                "input rejected from %s: %s",
                item.rejection.source,
                ", ".join(sorted({r.code for r in item.rejection.reasons})),
                extra={"rejection_id": item.rejection.rejection_id},
            )
