"""Kemendagri codes: their written shapes and the hierarchy they spell.

A code's level and ancestors follow from its shape alone (``63`` provinsi, ``63.10``
kabupaten/kota, ``63.10.06`` kecamatan, ``63.10.06.2001`` desa/kelurahan), so nothing
here needs the region data. Whether a code exists is :func:`shared.jurisdiction.normalize_code`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.schemas import Level

LEVELS_BY_DEPTH = (Level.provinsi, Level.kabupaten, Level.kecamatan, Level.desa)
"""The levels in code order: index = number of dots in a code."""

_CODE_RE = re.compile(r"^(\d{2})(?:[.\-_/ ]?(\d{2})(?:[.\-_/ ]?(\d{2})(?:[.\-_/ ]?(\d{4}))?)?)?$")
_EMBEDDED_CODE_RE = re.compile(r"(?<![\d.])\d{2}\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?(?![\d.])")


def level_of(code: str) -> Level:
    """Level of a dotted code from its shape (``63`` provinsi … ``63.10.06.2001`` desa)."""
    return LEVELS_BY_DEPTH[min(code.count("."), 3)]


def ancestor_at(code: str, level: Level) -> str | None:
    """The code's ancestor (or itself) at ``level``; None when ``code`` is shallower."""
    depth = LEVELS_BY_DEPTH.index(level)
    parts = code.split(".")
    return ".".join(parts[: depth + 1]) if len(parts) > depth else None


def parent_of(code: str) -> str | None:
    return code.rpartition(".")[0] or None


def provinsi_of(code: str) -> str | None:
    return ancestor_at(code, Level.provinsi) if code else None


def kabupaten_of(code: str) -> str | None:
    return ancestor_at(code, Level.kabupaten) if code else None


def kecamatan_of(code: str) -> str | None:
    return ancestor_at(code, Level.kecamatan) if code else None


def inside(code: str, area: str) -> bool:
    """``code`` is ``area`` or lies inside it (``63.10.06`` is inside ``63.10`` and ``63``)."""
    return code == area or code.startswith(area + ".")


def lineage(code: str) -> list[str]:
    """``63.10.06`` → ``["63", "63.10", "63.10.06"]``."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def common_ancestor(codes: Iterable[str]) -> str | None:
    """The deepest code every one of ``codes`` lies inside (or is); None if none."""
    lineages = [lineage(c) for c in codes]
    common = None
    for level_codes in zip(*lineages, strict=False):
        if len(set(level_codes)) != 1:
            break
        common = level_codes[0]
    return common


def shape_code(text: str) -> str | None:
    """Dotted form of something shaped like a code, without checking it exists."""
    m = _CODE_RE.match(text.strip())
    return ".".join(g for g in m.groups() if g) if m else None


def embedded_codes(text: str) -> list[str]:
    """Dotted codes written inside a longer text ("... di 63.10.06 ..."), unchecked."""
    return _EMBEDDED_CODE_RE.findall(text)
