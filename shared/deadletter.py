"""Dead letters for records a consumer cannot read: original bytes plus the reason.

Routing and notify put unreadable records on ``reports.rejected`` (the system's dead-letter
topic) with ``original_topic`` set, so ``timpora deadletters replay`` can send them back
after a fix. Never raises: a poison record must not stall its partition.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TypeVar

from aiokafka import ConsumerRecord
from pydantic import BaseModel, ValidationError

from shared import topics
from shared.kafka import Outgoing, dumps
from shared.schemas import Reason, ReportRejected

M = TypeVar("M", bound=BaseModel)
NUL = b"\\u0000"  # U+0000 as JSON writes it: a record holding it could never be stored


def dead_letter(
    record: ConsumerRecord, base_topic: str, consumer: str, reasons: list[Reason]
) -> Outgoing:
    """A record ``consumer`` could not read, with where it was."""
    headers = {
        "partition": str(record.partition),
        "offset": str(record.offset),
        **({"key": record.key.decode("utf-8", "replace")} if record.key else {}),
    }
    return rejected(record.value or b"", base_topic, consumer, reasons, headers)


def rejected(
    raw: bytes,
    base_topic: str,
    consumer: str,
    reasons: list[Reason],
    headers: dict[str, str] | None = None,
) -> Outgoing:
    """A message ``consumer`` read but could not act on (e.g. a report no team serves)."""
    rejection = ReportRejected(
        source=consumer,
        reasons=reasons,
        original_b64=base64.b64encode(raw).decode(),
        original_size=len(raw),
        original_sha256=hashlib.sha256(raw).hexdigest(),
        original_topic=base_topic,
        headers=headers or {},
    )
    return Outgoing(topics.REPORTS_REJECTED, consumer, dumps(rejection))


def read_records(
    records: tuple[ConsumerRecord, ...],
    model: type[M],
    base_topic: str,
    consumer: str,
) -> tuple[list[M], list[Outgoing]]:
    """Validate each record as ``model``; the unreadable ones become dead letters."""
    good: list[M] = []
    dead: list[Outgoing] = []
    for record in records:
        if NUL in (record.value or b""):  # valid JSON, but no PostgreSQL text can hold it
            why = Reason(code="invalid_character", message="a field holds U+0000 (NUL)")
            dead.append(dead_letter(record, base_topic, consumer, [why]))
            continue
        try:
            good.append(model.model_validate_json(record.value or b""))
        except ValidationError as exc:
            reasons = [
                Reason(
                    code="invalid_message",
                    message=e["msg"][:300],
                    path=".".join(map(str, e["loc"])) or None,
                )
                for e in exc.errors(include_input=False)[:20]
            ]
            dead.append(dead_letter(record, base_topic, consumer, reasons))
    return good, dead
