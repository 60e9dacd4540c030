"""The place of one CAP ``<area>``: ``areaDesc`` names, a Kemendagri ``geocode``, the
centre of a ``polygon`` or ``circle``. Pure helpers of :mod:`ingest_service.formats.cap`."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

from ingest_service.formats.lodging import code_fields, dotted_code

GEOCODE_NAMES = frozenset({"kemendagri", "adm", "kode_wilayah", "kode wilayah", "kodewilayah"})

_AREA_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?:kecamatan|kec\.?|distrik)\s+(.+)$", re.I), "kecamatan_name"),
    (re.compile(r"^(?:kabupaten|kab\.?)\s+(.+)$", re.I), "kabupaten_name"),
    (re.compile(r"^(kota\s+.+)$", re.I), "kabupaten_name"),
    (re.compile(r"^(?:desa|kelurahan|kel\.?|ds\.?)\s+(.+)$", re.I), "desa_name"),
    (re.compile(r"^(?:provinsi|prov\.?)\s+(.+)$", re.I), "provinsi_name"),
]


def child_text(el: Element | None, name: str, ns: str) -> str | None:
    if el is None:
        return None
    child = el.find(f"{{{ns}}}{name}")
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def children(el: Element, name: str, ns: str) -> list[Element]:
    return el.findall(f"{{{ns}}}{name}")


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
    desc = child_text(area, "areaDesc", ns)
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
    for geocode in children(area, "geocode", ns):
        name = (child_text(geocode, "valueName", ns) or "").lower()
        value = child_text(geocode, "value", ns)
        if name in GEOCODE_NAMES and value and (code := dotted_code(value)):
            values.update(code_fields(code))
            break
    point = None
    for polygon in children(area, "polygon", ns):
        if polygon.text and (point := polygon_centroid(polygon.text)):
            break
    if point is None:
        for circle in children(area, "circle", ns):
            if circle.text and (point := circle_center(circle.text)):
                break
    if point is not None:
        values["latitude"], values["longitude"] = point
    return values, free_text
