"""The parser contract: raw bytes of one upstream format → canonical reports or reasons.

Every parser is a pure function ``(raw: bytes, ctx: SourceContext) -> list[Parsed]``: no
I/O, no logging (inputs are personal data), deterministic apart from new report ids.
Each :class:`Parsed` holds either a :class:`Report` or the :class:`Reason` list saying why
that item was rejected, so one bad row of a batch never loses the good ones.

:func:`parse` is the only entry point services should call: it enforces the size limits
and turns any unexpected exception into a ``parser_error`` reason, so hostile or broken
input can never crash a consumer or stall a partition.

Parsing has a time budget (``SourceContext.budget_s``, from ``INGEST_PARSE_BUDGET_SECONDS``):
an item reached after the budget is spent is not read but rejected with
``parse_budget_exceeded``, so one body can hold a parse thread for that long and no longer;
the dead letter keeps those items for a replay. Public channels pass a per-sender limit
(``SourceContext.sender_allowed``): a sender over it gets ``sender_rate_limited``.

Reason codes are machine-readable and stable; the ones in :data:`IGNORABLE_CODES` mean
"nothing to report" (a WhatsApp delivery status, a Telegram sticker, a chat message that is
not a report) rather than "bad input": a service may acknowledge those without filing a
rejection.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson
from pydantic import ValidationError

from ingest_service.normalize import apply_overstay_rule, get_tz
from shared.jurisdiction import place
from shared.schemas import Location, PlaceResolution, Reason, Report, SourceFormat

__all__ = [
    "IGNORABLE_CODES",
    "MAX_BATCH",
    "MAX_BODY",
    "MAX_JSON_DEPTH",
    "MAX_REASONS",
    "MAX_TEXT",
    "MAX_XML_DEPTH",
    "PARSERS",
    "Parsed",
    "Parser",
    "SourceContext",
    "batch_items",
    "build_report",
    "fail",
    "finish_report",
    "load_json",
    "locate",
    "parse",
    "reason",
    "truncate_text",
    "validation_reasons",
]

MAX_BODY = 1024 * 1024  # bytes; larger bodies are refused before parsing
MAX_BATCH = 1000  # items (reports, CSV rows, chat messages) per body
MAX_JSON_DEPTH = 32  # nesting of arrays/objects; a canonical report needs about 4
MAX_XML_DEPTH = 32  # element nesting; CAP needs 5
MAX_REASONS = 20  # per item, so one broken row cannot produce megabytes of reasons
MAX_TEXT = 5000  # Report.text limit

IGNORABLE_CODES = frozenset({"no_messages", "unsupported_update", "unsupported_message"})


@dataclass(frozen=True)
class SourceContext:
    """What the service knows about an input besides its bytes.

    ``source`` and ``home_area`` come from the authenticated API key, SMS gateway or bot,
    never from the payload: a caller cannot claim another office's identity or area.
    """

    source: str
    home_area: tuple[str, ...]
    received_at: datetime
    default_tz: str = "Asia/Makassar"
    budget_s: float | None = None  # seconds of parsing per input; None: unbounded
    # public channels: may this sender (phone, chat user) report now? (a rate limit)
    sender_allowed: Callable[[str], bool] | None = field(default=None, compare=False)
    deadline: float | None = None  # time.monotonic() the budget ends; set by parse()

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("SourceContext.received_at must be timezone-aware")
        object.__setattr__(self, "received_at", self.received_at.astimezone(UTC))
        object.__setattr__(self, "home_area", tuple(self.home_area))
        get_tz(self.default_tz)  # fail at configuration time, not on every report

    @property
    def tz(self) -> tzinfo:
        """The source's local zone: naive upstream times are read in it."""
        return get_tz(self.default_tz)

    def late(self, index: int) -> Parsed | None:
        """The item at ``index`` as rejected when the budget is spent, else None."""
        if self.deadline is None or time.monotonic() <= self.deadline:
            return None
        message = (
            f"parsing this input took longer than its {self.budget_s:g} s budget; this item "
            "was not read: send it again, or in smaller batches"
        )
        return Parsed(index, None, [reason("parse_budget_exceeded", message, index=index)])


@dataclass
class Parsed:
    """One item of an input: exactly one of ``report`` / ``reasons`` is set.

    ``index`` is the item's position in its batch (0 for a single report; the spreadsheet
    row number for CSV, header = row 1), so a caller can be told which row to fix.
    """

    index: int
    report: Report | None = None
    reasons: list[Reason] = field(default_factory=list)

    def __post_init__(self) -> None:
        if (self.report is None) == (not self.reasons):
            raise ValueError("Parsed needs exactly one of report or reasons")

    @property
    def ok(self) -> bool:
        return self.report is not None


Parser = Callable[[bytes, SourceContext], list[Parsed]]


def reason(code: str, message: str, *, path: str | None = None, index: int | None = None) -> Reason:
    return Reason(code=code, message=message, path=path, index=index)


def fail(index: int | None, code: str, message: str, *, path: str | None = None) -> list[Parsed]:
    """A one-item result rejecting item ``index`` (``None``: the body as a whole)."""
    return [Parsed(index or 0, None, [reason(code, message, path=path, index=index)])]


def validation_reasons(
    exc: ValidationError, index: int | None, *, prefix: str = ""
) -> list[Reason]:
    """Pydantic errors as reasons with dotted paths; input values are left out (PII)."""
    out: list[Reason] = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        path = prefix + ".".join(str(part) for part in err["loc"])
        kind = err["type"]
        code = {"missing": "missing_field", "extra_forbidden": "unknown_field"}.get(
            kind, "invalid_field"
        )
        out.append(reason(code, err["msg"], path=path or None, index=index))
        if len(out) >= MAX_REASONS:
            break
    return out


# --------------------------------------------------------------------------- JSON


def _json_too_deep(data: Any, limit: int) -> bool:
    """Whether ``data`` nests deeper than ``limit``; iterative so it cannot overflow."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> tuple[Any, Reason | None]:
    """Decode a JSON body, or say precisely why not (encoding, syntax, depth)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, reason("invalid_utf8", f"body is not valid UTF-8 (byte {exc.start})")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
        if "recursion" in message.lower() or "depth" in message.lower():
            return None, reason("too_deep", f"JSON nests deeper than {max_depth} levels")
        return None, reason(
            "invalid_json",
            f"body is not valid JSON: {message.split(':', 1)[0]}"
            f" at line {exc.lineno} column {exc.colno}",
        )
    # Fewer opening brackets than the limit cannot nest deeper: skip the walk (C-speed count)
    brackets = raw.count(b"{") + raw.count(b"[")
    if brackets > max_depth and _json_too_deep(data, max_depth):
        return None, reason("too_deep", f"JSON nests deeper than {max_depth} levels")
    return data, None


def batch_items(
    data: Any, keys: Sequence[str] = ("reports",)
) -> tuple[list[Any] | None, Reason | None]:
    """Items of a batch given as an array or as ``{"<key>": [...]}``; ``None`` if single."""
    items: Any = None
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        for key in keys:
            if key in data:
                items = data[key]
                if not isinstance(items, list):
                    return None, reason(
                        "invalid_batch", f"'{key}' must be an array of reports", path=key
                    )
                break
    if items is None:
        return None, None
    if not items:
        return None, reason("empty_batch", "the batch holds no report")
    if len(items) > MAX_BATCH:
        return None, reason(
            "batch_too_large", f"a batch may hold at most {MAX_BATCH} items, got {len(items)}"
        )
    return items, None


# --------------------------------------------------------------------------- places


def locate(
    loc: Location, ctx: SourceContext, *, free_text: str | None = None, names: bool = True
) -> tuple[Location, PlaceResolution]:
    """``loc`` with the Kemendagri codes and official names that are certain, and how it
    was placed. The one resolution of a report's place: routing trusts it. A place never
    makes a report fail: an unknown or ambiguous one is routed at the level that is
    certain (the source's home area at worst)."""
    return place(loc, ctx.home_area, free_text, names=names)


# --------------------------------------------------------------------------- reports


def _has_place(loc: Location) -> bool:
    return any(value is not None for value in loc.model_dump().values())


def finish_report(
    report: Report, ctx: SourceContext, *, resolve: bool = True, free_text: str | None = None
) -> Report:
    """The steps every parser ends with: place resolution, then the overstay rule.

    ``resolve=False``: the parser placed the report itself (only the codes it filled
    count, not the words it kept); ``free_text`` may name the place when the location's
    fields do not."""
    text = free_text if resolve and _has_place(report.location) else None
    report.location, report.resolution = locate(report.location, ctx, free_text=text, names=resolve)
    return apply_overstay_rule(report, ctx.tz)


def build_report(
    index: int,
    ctx: SourceContext,
    fmt: SourceFormat,
    *,
    resolve: bool = True,
    free_text: str | None = None,
    **fields: Any,
) -> Parsed:
    """A validated report stamped with the context (source, home area, receipt time).

    Returns the validation reasons instead when a field is out of bounds; applies
    :func:`finish_report` so every parser resolves places and flags overstays alike.
    """
    if (late := ctx.late(index)) is not None:
        return late
    try:
        report = Report(
            source=ctx.source,
            source_format=fmt,
            home_area=list(ctx.home_area),
            received_at=ctx.received_at,
            **fields,
        )
    except ValidationError as exc:
        return Parsed(index, None, validation_reasons(exc, index))
    return Parsed(index, finish_report(report, ctx, resolve=resolve, free_text=free_text))


def truncate_text(text: str | None) -> str | None:
    """Report text within :data:`MAX_TEXT`; chat messages may be longer, keep the start."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# --------------------------------------------------------------------------- entry point


def parse(fmt: SourceFormat | str, raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """Parse ``raw`` as ``fmt``. Never raises: every failure becomes a reason.

    Always returns at least one item, so a caller can always publish either a report or
    a rejection for what it received.
    """
    try:
        fmt = SourceFormat(fmt)
    except ValueError:
        return fail(None, "unsupported_format", f"unknown source format {str(fmt)[:40]!r}")
    if not isinstance(raw, bytes | bytearray | memoryview):
        return fail(None, "invalid_body", "the body must be bytes")
    raw = bytes(raw)
    if len(raw) > MAX_BODY:
        return fail(
            None, "body_too_large", f"body is {len(raw)} bytes; the limit is {MAX_BODY} bytes"
        )
    if not raw.strip():
        return fail(None, "empty_body", "the body is empty")
    if ctx.budget_s is not None and ctx.deadline is None:
        ctx = dataclasses.replace(ctx, deadline=time.monotonic() + ctx.budget_s)
    try:
        results = PARSERS[fmt](raw, ctx)
    except RecursionError:
        return fail(None, "too_deep", "the input nests too deeply")
    except Exception as exc:  # the contract: never raise; no message text (may hold PII)
        return fail(None, "parser_error", f"the {fmt.value} parser failed ({type(exc).__name__})")
    if not results:
        return fail(None, "empty_batch", "the input holds no report")
    return results


from ingest_service.formats import (  # noqa: E402 - parsers use the helpers above
    canonical,
    cap,
    kannel,
    lodging,
    lodging_csv,
    telegram,
    whatsapp,
)

PARSERS: dict[SourceFormat, Parser] = {
    SourceFormat.canonical: canonical.parse_canonical,
    SourceFormat.lodging: lodging.parse_lodging,
    SourceFormat.lodging_csv: lodging_csv.parse_lodging_csv,
    SourceFormat.cap: cap.parse_cap,
    SourceFormat.kannel_mo: kannel.parse_kannel,
    SourceFormat.telegram: telegram.parse_telegram,
    SourceFormat.whatsapp: whatsapp.parse_whatsapp,
}
