"""OASIS CAP 1.2 alerts (``urn:oasis:names:tc:emergency:cap:1.2``) → one report per area.

Police, the regional government or a partner agency may already publish CAP. We read::

    alert/identifier → upstream_ref      alert/sender, info/senderName → reporter.organisation
    alert/references → references (identifiers)   msgType Cancel → cancels
    alert/sent, info/onset|effective → occurred_at
    info/event, headline, description → category (keywords, Indonesian or English),
                                        text, head count and nationalities
    info/severity (+ urgency Immediate: one level up) → severity
    info/area: areaDesc → names; geocode KEMENDAGRI|ADM → code; polygon/circle → coordinates
               (:mod:`ingest_service.formats.cap_area`)

Of several ``<info>`` blocks the first in Indonesian (``id``/``id-ID``) wins, else the
first. Each ``<area>`` block becomes a report of its own (the team of each area hears of
it); they share the alert's identifier as ``upstream_ref`` and differ by item index.
Only ``status`` Actual is routed (exercises and tests are refused with a reason so that a
drill never pages a real team), and ``msgType``:

* Alert: new reports;
* Update: the same, with ``references`` (the identifiers of the alerts it updates, from
  its ``sender,identifier,sent`` entries): routing makes them new versions of those alerts;
* Cancel: one report with ``cancels`` and ``references`` (category and severity from its
  ``<info>`` if it has one, its ``<note>`` as text): routing closes those alerts and tells
  their recipients. A Cancel without ``references`` is refused.

The XML is parsed with defusedxml: any DTD (so every entity, the "billion laughs" and
external entities) is refused, element nesting is limited to :data:`MAX_XML_DEPTH`, and the
body size was already limited by :func:`ingest_service.formats.parse`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from ingest_service import normalize as nz
from ingest_service.formats import (
    MAX_XML_DEPTH,
    Parsed,
    SourceContext,
    build_report,
    fail,
    reason,
    truncate_text,
)
from ingest_service.formats.cap_area import (
    area_location,
    child_text,
    children,
)
from ingest_service.formats.text.subjects import extract_count, extract_nationalities
from ingest_service.formats.text.tokens import tokenize
from shared.schemas import Category, Severity, SourceFormat

CAP_12 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_NAMESPACES = (CAP_12, "urn:oasis:names:tc:emergency:cap:1.1")

SEVERITY = {
    "extreme": Severity.critical,
    "severe": Severity.high,
    "moderate": Severity.medium,
    "minor": Severity.low,
    "unknown": Severity.info,
}
# CAP's own categories are coarse; used only when the text names no known category.
CAP_CATEGORY = {"security": Category.suspicious_activity, "safety": Category.suspicious_activity}
MAX_AREAS = 50  # <area> blocks of one alert, one report each


class XmlTooDeep(Exception):
    """Raised by the tree builder when elements nest deeper than allowed."""


class _DepthLimitedBuilder(TreeBuilder):
    """A tree builder that refuses deep nesting while parsing, before memory is spent."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.depth = 0
        self.limit = limit

    def start(self, tag: Any, attrs: Any) -> Element:
        self.depth += 1
        if self.depth > self.limit:
            raise XmlTooDeep
        return super().start(tag, attrs)

    def end(self, tag: Any) -> Element:
        self.depth -= 1
        return super().end(tag)


def safe_xml(raw: bytes, max_depth: int = MAX_XML_DEPTH) -> tuple[Element | None, Any]:
    """The parsed root, or a reason: no DTD, no entities, bounded depth."""
    builder = _DepthLimitedBuilder(max_depth)
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(raw)
        root = parser.close()
    except XmlTooDeep:
        return None, reason("too_deep", f"XML nests deeper than {max_depth} elements")
    except DefusedXmlException as exc:
        return None, reason(
            "xml_forbidden",
            f"XML with a DTD or entities is refused ({type(exc).__name__})",
        )
    except ParseError as exc:
        return None, reason("invalid_xml", f"body is not well-formed XML: {exc}")
    except (ValueError, UnicodeError) as exc:
        return None, reason("invalid_xml", f"body is not readable XML ({type(exc).__name__})")
    return root, None


# --------------------------------------------------------------------------- helpers


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def choose_info(alert: Element, ns: str) -> Element | None:
    """The first Indonesian ``<info>``, else the first one."""
    infos = children(alert, "info", ns)
    for info in infos:
        language = (child_text(info, "language", ns) or "").lower()
        if language == "id" or language.startswith(("id-", "in-")) or language == "in":
            return info
    return infos[0] if infos else None


def classify_cap(event: str | None, body: str, cap_categories: list[str]) -> Category:
    """Category from the event name, then headline/description, then CAP's category."""
    for text in (event, body):
        if text and (category := nz.classify(text)) is not None:
            return category
    for name in cap_categories:
        if name.lower() in CAP_CATEGORY:
            return CAP_CATEGORY[name.lower()]
    return Category.other


def cap_severity(severity: str | None, urgency: str | None) -> Severity:
    level = SEVERITY.get((severity or "unknown").lower(), Severity.info)
    if (urgency or "").lower() == "immediate":
        level = nz.bump_severity(level)
    return level


# --------------------------------------------------------------------------- parser


def cap_references(text: str | None) -> list[str]:
    """The identifiers named by CAP ``references``: space-separated ``sender,identifier,sent``
    entries (an entry without commas is taken as a bare identifier), in order, once each."""
    out: list[str] = []
    for entry in (text or "").split():
        parts = entry.split(",")
        identifier = (parts[1] if len(parts) >= 2 else parts[0]).strip()[:200]
        if identifier and identifier not in out:
            out.append(identifier)
    return out[:100]


def parse_cap(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """Parse one CAP alert: one :class:`Parsed` per ``<area>`` (a Cancel: one)."""
    root, problem = safe_xml(raw)
    if root is None:
        return [Parsed(0, None, [problem])]
    ns, name = _local(root.tag)
    if name != "alert" or ns not in CAP_NAMESPACES:
        return fail(None, "not_cap", f'root element must be <alert xmlns="{CAP_12}">')
    missing = [
        field
        for field in ("identifier", "sender", "sent", "status", "msgType")
        if child_text(root, field, ns) is None
    ]
    if missing:
        return [
            Parsed(
                0,
                None,
                [
                    reason("missing_field", f"CAP requires <{f}>", path=f"alert.{f}")
                    for f in missing
                ],
            )
        ]
    status = child_text(root, "status", ns) or ""
    if status.lower() != "actual":
        return fail(None, "not_actual", f"CAP status {status[:20]!r} is not routed (only Actual)")
    msg_type = (child_text(root, "msgType", ns) or "").lower()
    if msg_type not in ("alert", "update", "cancel"):
        return fail(
            None,
            "unsupported_msg_type",
            f"CAP msgType {msg_type[:20]!r} is not supported (Alert, Update or Cancel only)",
        )
    references = cap_references(child_text(root, "references", ns)) if msg_type != "alert" else []
    info = choose_info(root, ns)
    if msg_type == "cancel":
        if not references:
            return fail(
                None,
                "cancel_without_references",
                "a CAP Cancel must name the alerts it cancels in <references>"
                " (sender,identifier,sent entries separated by spaces)",
                path="alert.references",
            )
        return _reports(root, info, ns, ctx, references, cancels=True)
    if info is None:
        return fail(None, "missing_field", "the alert has no <info>", path="alert.info")
    return _reports(root, info, ns, ctx, references)


def _reports(
    alert: Element,
    info: Element | None,
    ns: str,
    ctx: SourceContext,
    references: list[str],
    *,
    cancels: bool = False,
) -> list[Parsed]:
    """One report per ``<area>`` (none: one report without a place; a Cancel: one report,
    placed by its first area), all with the alert's identifier as ``upstream_ref``; the
    item index tells the areas apart (ingest's stable report ids include it)."""
    fields = _fields(alert, info, ns, ctx, cancels=cancels)
    if isinstance(fields, Parsed):
        return [fields]
    areas: list[Element | None] = list(children(info, "area", ns)) if info is not None else []
    if len(areas) > MAX_AREAS:
        return fail(
            None,
            "too_many_areas",
            f"a CAP alert may name at most {MAX_AREAS} <area> blocks, got {len(areas)}",
            path="alert.info.area",
        )
    if cancels or not areas:
        areas = areas[:1] or [None]
    out = []
    for index, area in enumerate(areas):
        location, free_text = area_location(area, ns)
        out.append(
            build_report(
                index,
                ctx,
                SourceFormat.cap,
                free_text=free_text,
                location=location,
                references=references,
                cancels=cancels,
                **fields,
            )
        )
    return out


def _fields(
    alert: Element, info: Element | None, ns: str, ctx: SourceContext, *, cancels: bool
) -> dict[str, Any] | Parsed:
    """The report fields every area shares (a Cancel without ``<info>``: the defaults and
    its ``<note>``), or the reason they cannot be read."""
    times: dict[str, datetime | None] = {}
    for path, element, names in (
        ("alert.sent", alert, ("sent",)),
        ("alert.info.onset", info, ("onset", "effective")),
    ):
        try:
            value = next((t for n in names if (t := child_text(element, n, ns))), None)
            times[path] = nz.parse_datetime(value, ctx.tz)
        except ValueError as exc:
            return Parsed(0, None, [reason("invalid_datetime", str(exc), path=path)])
    sent, onset = times["alert.sent"], times["alert.info.onset"]
    organisation = child_text(info, "senderName", ns) or child_text(alert, "sender", ns)
    fields: dict[str, Any] = {
        "upstream_ref": child_text(alert, "identifier", ns),
        "occurred_at": onset or sent,
        "reporter": {"organisation": organisation[:200]} if organisation else None,
    }
    note = child_text(alert, "note", ns) if cancels else None  # why it was cancelled
    if info is None:
        return fields | {"text": truncate_text(note)}
    event = child_text(info, "event", ns)
    headline = child_text(info, "headline", ns)
    description = child_text(info, "description", ns)
    body = "\n".join(t for t in (headline, description) if t)
    categories = [c.text.strip() for c in children(info, "category", ns) if c.text]
    tokens = tokenize(body)
    return fields | {
        "category": classify_cap(event, body, categories),
        "severity": cap_severity(child_text(info, "severity", ns), child_text(info, "urgency", ns)),
        "subjects": [{"nationality": code} for code in extract_nationalities(tokens)],
        "subject_count": extract_count(tokens),
        "text": truncate_text("\n\n".join(t for t in (note, event, body) if t) or None),
    }
