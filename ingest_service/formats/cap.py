"""OASIS CAP 1.2 alerts (``urn:oasis:names:tc:emergency:cap:1.2``) → one report.

Police, the regional government or a partner agency may already publish CAP. We read::

    alert/identifier → upstream_ref      alert/sender, info/senderName → reporter.organisation
    alert/sent, info/onset|effective → occurred_at
    info/event, headline, description → category (keywords, Indonesian or English),
                                        text, head count and nationalities
    info/severity (+ urgency Immediate: one level up) → severity
    info/area: areaDesc → names; geocode KEMENDAGRI|ADM → code; polygon/circle → coordinates

Of several ``<info>`` blocks the first in Indonesian (``id``/``id-ID``) wins, else the
first; of several ``<area>`` blocks, the first. Only ``status`` Actual and ``msgType``
Alert/Update are routed: exercises, tests and cancellations are refused with a reason so
that a drill never pages a real team.

The XML is parsed with defusedxml: any DTD (so every entity, the "billion laughs" and
external entities) is refused, element nesting is limited to :data:`MAX_XML_DEPTH`, and the
body size was already limited by :func:`ingest_service.formats.parse`.
"""

from __future__ import annotations

import re
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
from ingest_service.formats.lodging import code_fields, dotted_code
from ingest_service.formats.text.subjects import extract_count, extract_nationalities
from ingest_service.formats.text.tokens import tokenize
from shared.schemas import Category, Severity, SourceFormat

CAP_12 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_NAMESPACES = (CAP_12, "urn:oasis:names:tc:emergency:cap:1.1")
GEOCODE_NAMES = frozenset({"kemendagri", "adm", "kode_wilayah", "kode wilayah", "kodewilayah"})

SEVERITY = {
    "extreme": Severity.critical,
    "severe": Severity.high,
    "moderate": Severity.medium,
    "minor": Severity.low,
    "unknown": Severity.info,
}
# CAP's own categories are coarse; used only when the text names no known category.
CAP_CATEGORY = {"security": Category.suspicious_activity, "safety": Category.suspicious_activity}

_AREA_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:kecamatan|kec\.?|distrik)\s+(.+)$", re.I), "kecamatan_name"),
    (re.compile(r"^(?:kabupaten|kab\.?)\s+(.+)$", re.I), "kabupaten_name"),
    (re.compile(r"^(kota\s+.+)$", re.I), "kabupaten_name"),
    (re.compile(r"^(?:desa|kelurahan|kel\.?|ds\.?)\s+(.+)$", re.I), "desa_name"),
    (re.compile(r"^(?:provinsi|prov\.?)\s+(.+)$", re.I), "provinsi_name"),
]


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


def _text(el: Element | None, name: str, ns: str) -> str | None:
    if el is None:
        return None
    child = el.find(f"{{{ns}}}{name}")
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _all(el: Element, name: str, ns: str) -> list[Element]:
    return el.findall(f"{{{ns}}}{name}")


def choose_info(alert: Element, ns: str) -> Element | None:
    """The first Indonesian ``<info>``, else the first one."""
    infos = _all(alert, "info", ns)
    for info in infos:
        language = (_text(info, "language", ns) or "").lower()
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


def _points(text: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        lat_s, _, lon_s = pair.partition(",")
        lat, lon = float(lat_s), float(lon_s)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("coordinate out of range")
        points.append((lat, lon))
    return points


def polygon_centroid(text: str) -> tuple[float, float] | None:
    """Area centroid of a CAP polygon ("lat,lon lat,lon ..."); ``None`` if unreadable.

    Planar shoelace on degrees: exact enough for kecamatan-sized areas; falls back to
    the vertex mean for degenerate (zero-area) polygons.
    """
    try:
        points = _points(text)
    except ValueError:
        return None
    if len(points) < 3 or len(points) > 10_000:
        return None
    area = cx = cy = 0.0
    for (y0, x0), (y1, x1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        return lat, lon
    lat, lon = cy / (3 * area), cx / (3 * area)
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def circle_center(text: str) -> tuple[float, float] | None:
    """Centre of a CAP circle ("lat,lon radius_km")."""
    try:
        points = _points(text.split()[0]) if text.split() else []
    except ValueError:
        return None
    return points[0] if points else None


def area_location(area: Element | None, ns: str) -> tuple[dict[str, Any], str | None]:
    """Location fields of one ``<area>`` and a free-text place to try when names fail."""
    if area is None:
        return {}, None
    values: dict[str, Any] = {}
    desc = _text(area, "areaDesc", ns)
    free_text = None
    if desc:
        values["address"] = desc[:500]
        parts = [p.strip() for p in re.split(r"[,;]", desc) if p.strip()]
        for part in parts:
            for pattern, name in _AREA_LABELS:
                if (m := pattern.match(part)) and name not in values:
                    values[name] = m[1].strip()
                    break
        if not any(name in values for _, name in _AREA_LABELS) and parts:
            free_text = parts[0]
    for geocode in _all(area, "geocode", ns):
        name = (_text(geocode, "valueName", ns) or "").lower()
        value = _text(geocode, "value", ns)
        if name in GEOCODE_NAMES and value and (code := dotted_code(value)):
            values.update(code_fields(code))
            break
    point = None
    for polygon in _all(area, "polygon", ns):
        if polygon.text and (point := polygon_centroid(polygon.text)):
            break
    if point is None:
        for circle in _all(area, "circle", ns):
            if circle.text and (point := circle_center(circle.text)):
                break
    if point is not None:
        values["latitude"], values["longitude"] = point
    return values, free_text


# --------------------------------------------------------------------------- parser


def parse_cap(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """Parse one CAP alert into one :class:`Parsed`."""
    root, problem = safe_xml(raw)
    if root is None:
        return [Parsed(0, None, [problem])]
    ns, name = _local(root.tag)
    if name != "alert" or ns not in CAP_NAMESPACES:
        return fail(None, "not_cap", f'root element must be <alert xmlns="{CAP_12}">')
    missing = [
        field
        for field in ("identifier", "sender", "sent", "status", "msgType")
        if _text(root, field, ns) is None
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
    status = _text(root, "status", ns) or ""
    if status.lower() != "actual":
        return fail(None, "not_actual", f"CAP status {status[:20]!r} is not routed (only Actual)")
    msg_type = _text(root, "msgType", ns) or ""
    if msg_type.lower() not in ("alert", "update"):
        return fail(
            None,
            "unsupported_msg_type",
            f"CAP msgType {msg_type[:20]!r} is not supported (Alert or Update only)",
        )
    info = choose_info(root, ns)
    if info is None:
        return fail(None, "missing_field", "the alert has no <info>", path="alert.info")
    return [_report(root, info, ns, ctx)]


def _report(alert: Element, info: Element, ns: str, ctx: SourceContext) -> Parsed:
    times: dict[str, datetime | None] = {}
    for path, element, names in (
        ("alert.sent", alert, ("sent",)),
        ("alert.info.onset", info, ("onset", "effective")),
    ):
        try:
            value = next((t for n in names if (t := _text(element, n, ns))), None)
            times[path] = nz.parse_datetime(value, ctx.tz)
        except ValueError as exc:
            return Parsed(0, None, [reason("invalid_datetime", str(exc), path=path)])
    sent, onset = times["alert.sent"], times["alert.info.onset"]
    event = _text(info, "event", ns)
    headline = _text(info, "headline", ns)
    description = _text(info, "description", ns)
    body = "\n".join(t for t in (headline, description) if t)
    categories = [c.text.strip() for c in _all(info, "category", ns) if c.text]
    tokens = tokenize(body)
    areas = _all(info, "area", ns)
    location, free_text = area_location(areas[0] if areas else None, ns)
    organisation = _text(info, "senderName", ns) or _text(alert, "sender", ns)
    return build_report(
        0,
        ctx,
        SourceFormat.cap,
        free_text=free_text,
        upstream_ref=_text(alert, "identifier", ns),
        occurred_at=onset or sent,
        category=classify_cap(event, body, categories),
        severity=cap_severity(_text(info, "severity", ns), _text(info, "urgency", ns)),
        location=location,
        subjects=[{"nationality": code} for code in extract_nationalities(tokens)],
        subject_count=extract_count(tokens),
        reporter={"organisation": organisation[:200]} if organisation else None,
        text=truncate_text("\n\n".join(t for t in (event, body) if t) or None),
    )
