"""A report's location → its jurisdiction, and the location filled with official codes.

:func:`resolve_location` takes the most precise usable field: a valid code at
kecamatan/desa level; then coordinates (the nearest kecamatan centroid, confidence from
the distance and from how much nearer it is than the next one: a point near a border is
uncertain); then names (:func:`~shared.jurisdiction.search.find_place`), searched inside
the code given; finally the source's home area (low confidence).
:func:`fill_location` writes the result back with the official Kemendagri names.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.jurisdiction.codes import ancestor_at, inside, lineage
from shared.jurisdiction.data import normalize_code, regions, valid_areas
from shared.jurisdiction.geo import coordinate_confidence
from shared.jurisdiction.names import same_spelling
from shared.jurisdiction.resolution import NONE, Resolution, resolution, routing_code
from shared.jurisdiction.search import find_place
from shared.schemas import Level, Location

_FIELD_LEVELS = (
    ("desa_code", Level.desa),
    ("kecamatan_code", Level.kecamatan),
    ("kabupaten_code", Level.kabupaten),
    ("provinsi_code", Level.provinsi),
)


def _from_codes(loc: Location) -> Resolution | None:
    """The most precise valid code; an invalid code is ignored, a conflict lowers trust."""
    valid = [c for f, _ in _FIELD_LEVELS if (c := normalize_code(getattr(loc, f)))]
    if not valid:
        return None
    best = max(valid, key=lambda c: c.count("."))
    conflicting = [c for c in valid if not inside(best, c)]
    confidence = 0.75 if conflicting else 1.0
    return resolution(best, confidence, "code", conflicting)


def _from_coordinates(loc: Location, scope: str | None) -> Resolution | None:
    if loc.latitude is None or loc.longitude is None:
        return None
    nearest = regions().nearest(loc.latitude, loc.longitude, k=3)
    if not nearest or nearest[0][1] > 250:
        return None
    (code, d1), rest = nearest[0], nearest[1:]
    if scope and not inside(code, scope):
        return None  # the coordinates disagree with the code given: trust the code
    d2 = rest[0][1] if rest else None
    confidence = coordinate_confidence(d1, d2)
    close = [c for c, d in rest if d <= d1 * 1.25]
    return resolution(code, confidence, "coordinates", close)


def _name_text(loc: Location) -> tuple[str, str]:
    """The structured names (with their level as designator) and the free-text fields."""
    parts = []
    for value, word in (
        (loc.desa_name, "desa"),
        (loc.kecamatan_name, "kecamatan"),
        (loc.kabupaten_name, "kabupaten"),
        (loc.provinsi_name, "provinsi"),
    ):
        if value and value.strip():
            parts.append(f"{word} {value}")
    free = [v for v in (loc.place_name, loc.address) if v and v.strip()]
    return ", ".join(parts), ", ".join(free)


def _depth(res: Resolution) -> int:
    return -1 if res.code is None else res.code.count(".")


def _from_names(loc: Location, within: Sequence[str]) -> Resolution:
    structured, free = _name_text(loc)
    res = find_place(structured, within) if structured else NONE
    if (_depth(res) >= 2 and not res.low_confidence) or not free:
        return res
    more = find_place(f"{free}, {structured}" if structured else free, within)
    candidates = [r for r in (res, more) if r.code]
    if not candidates:
        return NONE
    return max(candidates, key=lambda r: (not r.low_confidence, _depth(r), r.confidence))


def _home_area(home: list[str]) -> Resolution:
    if not home:
        return NONE
    return resolution(home[0], 0.3, "home_area", home[1:])


def resolve_location(loc: Location, home_area: Sequence[str] = ()) -> Resolution:
    """The jurisdiction of a report's location, from its most precise usable field.

    Order: a valid code at kecamatan/desa level; otherwise coordinates, then names,
    searched inside the code given (a kabupaten code plus a kecamatan name resolves the
    kecamatan); the code itself when nothing more precise is sure; the home area (low
    confidence); none.
    """
    home = valid_areas(home_area)
    by_code = _from_codes(loc)
    if by_code and _depth(by_code) >= 2:
        return by_code
    scope = by_code.code if by_code else None
    tries: list[Resolution] = []
    by_coords = _from_coordinates(loc, scope)
    if by_coords:
        if not by_coords.low_confidence:
            return by_coords
        tries.append(by_coords)
    by_name = _from_names(loc, [scope] if scope else home)
    usable = by_name.code and routing_code(by_name) is not None
    if usable and (scope is None or inside(by_name.code or "", scope)):
        if not by_name.low_confidence and (by_code is None or _depth(by_name) > _depth(by_code)):
            return by_name
        tries.append(by_name)
    if by_code:
        extra = [r.code for r in tries if r.code]
        return resolution(by_code.code or "", by_code.confidence, "code", extra)
    if tries:
        return max(tries, key=lambda r: r.confidence)
    return _home_area(home)


def fill_location(loc: Location, res: Resolution) -> Location:
    """A copy of ``loc`` with every code and official name known from ``res``.

    * Codes and ``*_name`` are set for the resolved unit and all its parents, with the
      official Kemendagri names ("Kabupaten Tanah Bumbu", "Simpang Empat").
    * A low-confidence resolution only fills what is certain (:func:`routing_code`).
    * Codes below the filled unit that are not valid Kemendagri codes are cleared; names
      below it are kept as written.
    * ``place_name`` and ``address`` are never changed, except that when ``address`` is
      empty and an official name replaced a differently written one, the names as
      written are kept there ("Simpang 4, Tanah Bumbu"), so no user text is lost.
    """
    code = routing_code(res) if res.low_confidence else res.code
    if not code or not regions().exists(code):
        return loc.model_copy()
    update: dict[str, str | None] = {}
    replaced: list[str] = []
    chain = set(lineage(code))
    for fname, level in _FIELD_LEVELS:
        name_field = fname.replace("_code", "_name")
        unit = ancestor_at(code, level)
        if unit is None or unit not in chain:
            if getattr(loc, fname) and not normalize_code(getattr(loc, fname)):
                update[fname] = None
            continue
        official = regions().name(unit)
        given = getattr(loc, name_field)
        if given and official and given != official and not same_spelling(given, official):
            replaced.append(given)
        update[fname] = unit
        update[name_field] = official
    if replaced and not (loc.address and loc.address.strip()):
        update["address"] = ", ".join(replaced)
    return loc.model_copy(update=update)
