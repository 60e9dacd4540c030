"""What a resolution says: the place, how sure we are, how we know, and what to route.

A :class:`Resolution` whose ``low_confidence`` is set must not be routed to its own
level: :func:`routing_code` gives the code a caller can trust (the parent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared.jurisdiction.codes import common_ancestor, kabupaten_of, level_of, provinsi_of
from shared.jurisdiction.data import regions
from shared.schemas import Level

LOW_CONFIDENCE = 0.6
"""Below this a resolution is ``low_confidence``: route to the parent level instead."""

Method = Literal["code", "coordinates", "name", "home_area", "none"]


@dataclass(frozen=True)
class Resolution:
    """Where a report is, how sure we are, and how we know.

    ``code`` is the most precise unit found (a village code for a village name: callers
    take its kecamatan). ``candidates`` lists the other codes the text could mean.
    """

    code: str | None
    level: Level | None
    confidence: float
    method: Method
    matched: str | None = None
    low_confidence: bool = True
    candidates: tuple[str, ...] = ()


NONE = Resolution(None, None, 0.0, "none", None, True, ())
"""Nothing found."""


def resolution(
    code: str, confidence: float, method: Method, candidates: Iterable[str] = ()
) -> Resolution:
    """A :class:`Resolution` of ``code``: confidence clamped and rounded, official name."""
    confidence = round(max(0.0, min(1.0, confidence)), 3)
    region = regions().get(code)
    return Resolution(
        code=code,
        level=level_of(code),
        confidence=confidence,
        method=method,
        matched=region.name if region else None,
        low_confidence=confidence < LOW_CONFIDENCE,
        candidates=tuple(c for c in dict.fromkeys(candidates) if c != code),
    )


def routing_code(res: Resolution) -> str | None:
    """The code a caller may trust: the resolved code, or a parent when unsure.

    Low confidence at kecamatan/desa → the kabupaten, at kabupaten → the province, and
    further up to the common parent of every candidate reading (None when the readings
    share no province: an ambiguous national name says nothing certain). The home-area
    fallback is already the coarse unit of the source's office, so it is routed at (at
    most) kabupaten level rather than pushed further up.
    """
    if res.code is None:
        return None
    if not res.low_confidence:
        return res.code
    if res.method == "home_area":
        return kabupaten_of(res.code) or res.code
    parent = kabupaten_of(res.code) if res.code.count(".") >= 2 else provinsi_of(res.code)
    return common_ancestor([parent or res.code, *res.candidates])
