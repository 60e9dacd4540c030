"""Kafka entry point: upstream systems publishing straight to their ``reports.raw.<source>``.

The topic names the source (the broker lets only that source's principal write it); a
record names its format in a ``format`` header. A ``source`` header is never believed: one
that names another source is a rejection. Whatever happens to one record, it ends as
normalised reports or one rejection; the batch's offsets are committed only after every
output record was acknowledged by Kafka.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from ingest_service.deps import IngestDeps
from ingest_service.formats import SourceContext
from ingest_service.intake import Intake, count_outcomes, intake
from shared import topics
from shared.kafka import Records, batch_subscriber, header, publish_all
from shared.schemas import Reason, SourceFormat


def intake_record(deps: IngestDeps, record: ConsumerRecord) -> Intake:
    raw = record.value or b""
    received = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    source_name = topics.raw_source(record.topic, deps.settings.topic_prefix) or "unknown"
    claimed = header(record, "source")
    fmt_name = header(record, "format") or SourceFormat.canonical.value
    headers = {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers}
    source = deps.keys.source(source_name)
    fmt = SourceFormat(fmt_name) if fmt_name in SourceFormat.__members__.values() else None
    reasons: list[Reason] = []
    if source is None:
        reasons.append(Reason(code="unknown_source", message=f"unknown source {source_name!r}"))
    elif claimed is not None and claimed != source_name:
        reasons.append(
            Reason(
                code="source_mismatch",
                message=f"the record claims source {claimed!r} on {source_name}'s topic: "
                "a source is the topic it writes to",
            )
        )
    elif fmt is None:
        reasons.append(Reason(code="unknown_format", message=f"unknown format {fmt_name!r}"))
    elif fmt not in source.formats:
        reasons.append(
            Reason(code="format_not_allowed", message=f"{source_name} may not send {fmt}")
        )
    ctx = SourceContext(
        source=source_name,
        home_area=source.home_area if source else (),
        received_at=received,
        budget_s=deps.settings.parse_budget_seconds,
    )
    return intake(
        fmt,
        raw,
        ctx,
        id_seed=f"{record.topic}/{record.partition}/{record.offset}",
        original_topic=topics.raw_topic(source_name),
        headers=headers,
        reasons=reasons,
        id_key=deps.report_id_key,
    )


def _intake_all(deps: IngestDeps, records: Records) -> list[Intake]:
    return [intake_record(deps, r) for r in records]


def register(deps: IngestDeps) -> None:
    raw_topics = [topics.raw_topic(s.source) for s in deps.keys.sources]
    if not raw_topics:  # no source in the key file: nothing to read
        return

    @batch_subscriber(deps.broker, deps.settings, raw_topics, group="ingest")
    async def on_reports_raw(records: Records) -> None:
        outputs = await deps.off_loop(_intake_all, deps, records)
        await publish_all(deps.broker, deps.settings, (o for i in outputs for o in i.records()))
        count_outcomes(outputs)
