"""Placing a report: the one resolution of its location, done once, by ingest.

:func:`place` resolves a location (codes, coordinates, names, the source's home area),
fills in the codes and official names that are certain, and describes how sure it is as
the report's :class:`~shared.schemas.PlaceResolution`. Routing trusts that and never
resolves again; ``timpora route explain`` places a hand-written report the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.jurisdiction.resolution import Resolution, routing_code
from shared.jurisdiction.resolve import fill_location, resolve_location
from shared.jurisdiction.search import find_place
from shared.schemas import Location, PlaceResolution, Report


def describe(res: Resolution) -> PlaceResolution:
    """The wire form of a resolution (what routing needs of it)."""
    return PlaceResolution(
        code=res.code,
        level=res.level,
        routing_code=routing_code(res),
        confidence=res.confidence,
        method=res.method,
        matched=res.matched,
        low_confidence=res.low_confidence,
        candidates=list(res.candidates),
    )


_CODES = ("provinsi_code", "kabupaten_code", "kecamatan_code", "desa_code")


def place(
    loc: Location,
    home_area: Sequence[str] = (),
    free_text: str | None = None,
    *,
    names: bool = True,
) -> tuple[Location, PlaceResolution]:
    """``loc`` with what is certain filled in, and how it was placed.

    The location's own fields first (:func:`resolve_location`, which ends with the home
    area at low confidence); when that is unsure, ``free_text`` (e.g. an SMS body) may
    name the place with confidence instead. ``names=False``: the caller already judged
    the names (a text report's parser), only the codes it filled count.
    """
    given = loc if names else Location(**{f: getattr(loc, f) for f in _CODES})
    res = resolve_location(given, home_area)
    if res.low_confidence and free_text:
        by_text = find_place(free_text, within=home_area)
        if by_text.code and not by_text.low_confidence:
            res = by_text
    return fill_location(loc, res), describe(res)


def place_report(report: Report) -> Report:
    """A copy of ``report`` placed as ingest places it (for reports written by hand)."""
    location, resolution = place(report.location, report.home_area)
    return report.model_copy(update={"location": location, "resolution": resolution})
