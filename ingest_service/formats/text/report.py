"""One text message (SMS or chat) and its envelope → one report or a reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import Parsed, SourceContext, build_report, reason, truncate_text
from ingest_service.formats.text.keyword import split_keyword
from ingest_service.formats.text.place import find_place, guess_place
from ingest_service.formats.text.subjects import extract_count, extract_nationalities
from ingest_service.formats.text.tokens import Token, tokenize
from shared.schemas import Category, Location, SourceFormat

_URGENT = re.compile(r"\b(?:segera|darurat|urgent|emergency|bahaya|sos)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TextMessage:
    """A text and its envelope as a gateway or chat platform delivered it."""

    text: str
    phone: str | None = None  # E.164 when known
    sender: str | None = None  # who sent it, for the per-sender limit (default: the phone)
    reporter_name: str | None = None
    occurred_at: datetime | None = None
    upstream_ref: str | None = None


def parse_text_report(
    message: TextMessage, index: int, ctx: SourceContext, fmt: SourceFormat
) -> Parsed:
    """One text message → one report, or a reason (``not_a_report``, ``empty_report``,
    ``sender_rate_limited``, ``parse_budget_exceeded``)."""
    at = index
    if (late := ctx.late(index)) is not None:
        return late
    body = split_keyword(message.text or "")
    if body is None:
        return Parsed(
            index,
            None,
            [
                reason(
                    "not_a_report",
                    "a text report starts with LAPOR, e.g. 'LAPOR Satui ada 5 WNA kerja di "
                    "tambang'",
                    index=at,
                )
            ],
        )
    tokens = tokenize(body)
    if not tokens:
        return Parsed(
            index,
            None,
            [reason("empty_report", "write LAPOR <place> <what you saw>", index=at)],
        )
    # only reports count against a sender (a group's chatter is not a report)
    sender = message.sender or message.phone
    if ctx.sender_allowed is not None and sender and not ctx.sender_allowed(sender):
        text = "this sender sent more reports than a person writes; try again in a few minutes"
        return Parsed(index, None, [reason("sender_rate_limited", text, index=at)])
    location, covered = find_place(tokens, ctx)
    if location is None:
        address, covered = guess_place(tokens)
        location = Location(address=address)
    rest = [t for i, t in enumerate(tokens) if i not in covered]
    return build_report(
        index,
        ctx,
        fmt,
        resolve=False,
        **_report_fields(message, body, rest, location),
    )


def _report_fields(
    message: TextMessage, body: str, rest: Sequence[Token], location: Location
) -> dict[str, Any]:
    category = nz.classify(" ".join(t.word for t in rest)) or Category.presence
    severity = nz.DEFAULT_SEVERITY[category]
    if _URGENT.search(body):
        severity = nz.bump_severity(severity)
    nationalities = extract_nationalities(rest)
    reporter = {
        k: v for k, v in {"phone": message.phone, "name": message.reporter_name}.items() if v
    }
    return {
        "upstream_ref": message.upstream_ref,
        "occurred_at": message.occurred_at,
        "category": category,
        "severity": severity,
        "location": location.model_dump(exclude_none=True),
        "subjects": [{"nationality": code} for code in nationalities],
        "subject_count": extract_count(rest),
        "reporter": reporter or None,
        "text": truncate_text(message.text),
    }
