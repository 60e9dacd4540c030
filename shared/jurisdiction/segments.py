"""Free text → segments: the regencies/provinces it names (scopes) and the pieces that
may name a place.

Text is split at commas, semicolons, newlines (and at ``/`` and brackets unless the whole
piece is a name), then at level designators ("kec satui kab tanah bumbu" → (kec, satui),
(kab, tanah bumbu)). A segment that names a province or kabupaten becomes a scope to
search inside; see :class:`Parsed`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from shared.jurisdiction.codes import LEVELS_BY_DEPTH
from shared.jurisdiction.data import regions
from shared.jurisdiction.names import (
    ALIASES,
    DESIGNATORS,
    STOPWORDS,
    STREET_WORDS,
    raw_tokens,
    tokens_key,
)
from shared.schemas import Level

_MAX_WINDOW = 4


@dataclass(frozen=True)
class Segment:
    """A piece of the text: comma-separated, then split at designators (Kec., Kab....)."""

    tokens: tuple[str, ...]
    hint: Level | None
    street: bool
    index: int
    words: bool = True  # may single words inside it name a place (see Parsed)


_HARD_SPLIT = re.compile(r"[,;|\n\r\[\]]+")
_SOFT_SPLIT = re.compile(r"[/()]+")


def _soft_split(part: str) -> list[str]:
    """Split at / and ( ) unless the whole piece is a name ("Tiro/Truseb" is one kecamatan)."""
    if not _SOFT_SPLIT.search(part) or _is_name(raw_tokens(part)):
        return [part]
    return _SOFT_SPLIT.split(part)


def _is_name(tokens: Sequence[str]) -> bool:
    key = tokens_key(tokens)
    reg = regions()
    return any(reg.exact(level, key) for level in LEVELS_BY_DEPTH)


def _designated(tokens: list[str]) -> list[tuple[Level | None, list[str]]]:
    """Split tokens at designators: "kec satui kab tanah bumbu" → (kec, satui), (kab, ...).

    A designator that is part of a name ("Sanga Desa") or ends the text stays a word.
    """
    if any(t in DESIGNATORS for t in tokens[1:]) and _is_name(tokens):
        return [(None, tokens)]
    parts: list[tuple[Level | None, list[str]]] = [(None, [])]
    for i, token in enumerate(tokens):
        if token in DESIGNATORS and i + 1 < len(tokens):
            parts.append((DESIGNATORS[token], []))
        else:
            parts[-1][1].append(token)
    return [(hint, words) for hint, words in parts if words]


def segment_text(text: str) -> list[Segment]:
    """Split text into segments at , ; / | newlines and at level designators."""
    out: list[Segment] = []
    pieces = [p for part in _HARD_SPLIT.split(text) for p in _soft_split(part)]
    for part in pieces:
        tokens = [ALIASES.get(t, t) for t in raw_tokens(part)]
        if not tokens:
            continue
        street = tokens[0] in STREET_WORDS
        for hint, words in _designated(tokens):
            out.append(Segment(tuple(words), hint, street, len(out)))
    return out


def windows(seg: Segment) -> list[tuple[int, int]]:
    """Token ranges that may name a place, longest first (edges are no stopwords)."""
    n = len(seg.tokens)
    spans = [
        (i, i + w)
        for w in range(min(_MAX_WINDOW, n), 0, -1)
        for i in range(n - w + 1)
        if seg.tokens[i] not in STOPWORDS and seg.tokens[i + w - 1] not in STOPWORDS
    ]
    return [s for s in spans if len(tokens_key(seg.tokens[s[0] : s[1]])) >= 3]


def _admin_matches(key: str, hint: Level | None, exact_only: bool) -> list[tuple[str, float]]:
    """Provinces/kabupaten a span names: exact keys, or close typos of a whole segment."""
    reg = regions()
    hits = [(c, 100.0) for c in reg.exact(Level.provinsi, key)]
    if not hits:
        hits = [(c, 100.0) for c in reg.exact(Level.kabupaten, key)]
    if hits or exact_only or len(key) < 5:
        return hits
    cutoff = 85.0 if hint in (Level.kabupaten, Level.provinsi) else 92.0
    for level in (Level.provinsi, Level.kabupaten):
        found = reg.fuzzy(level, key, cutoff, limit=4)
        if found:
            top = max(s for _, s in found)
            return [(c, s) for c, s in found if s >= top - 0.5]
    return []


@dataclass
class Parsed:
    """The text split into named regencies/provinces (scopes) and place segments.

    ``strong`` scopes are whole segments ("Satui, Tanah Bumbu", "Kab. Kotabaru");
    ``weak`` ones were found inside a longer segment ("simpang empat tanah bumbu") and
    may be a misreading of a kecamatan name ("Medan Belawan" is not "Belawan, Kota
    Medan"), so they are only trusted when the rest of the text is found inside them.
    """

    strong: list[tuple[str, float]] = field(default_factory=list)
    weak: list[tuple[str, float]] = field(default_factory=list)
    places: list[Segment] = field(default_factory=list)  # segments, weak scopes kept
    cut: list[Segment] = field(default_factory=list)  # segments, weak scopes cut out


def split_scopes(segments: list[Segment], home: Sequence[str] = ()) -> Parsed:
    """Scopes and place segments (see :class:`Parsed`).

    A bare name that is a kecamatan or village of the source's ``home`` area is that place,
    not a regency elsewhere with the same name ("Jombang" is a village in Satui), unless
    another part of the text names a regency or province ("Jombang, Jawa Timur").
    """
    local = {seg.index for seg in segments if _home_name(seg, home)}
    if local:
        rest = _split([seg for seg in segments if seg.index not in local], set())
        if not rest.strong and not rest.weak:
            return _split(segments, local)
    return _split(segments, set())


def _split(segments: list[Segment], places: set[int]) -> Parsed:
    parsed = Parsed()
    reg = regions()
    for seg in segments:
        if seg.street or seg.hint in (Level.kecamatan, Level.desa) or seg.index in places:
            parsed.places.append(seg)
            parsed.cut.append(seg)
            continue
        key = tokens_key(seg.tokens)
        # A no-hint segment that is exactly a kecamatan/village name is not a scope typo.
        exact_only = seg.hint is None and bool(
            reg.exact(Level.kecamatan, key) or reg.exact(Level.desa, key)
        )
        whole = _admin_matches(key, seg.hint, exact_only)
        if whole:
            parsed.strong += whole
            continue
        parsed.places.append(seg)
        if seg.hint is not None or exact_only:
            parsed.cut.append(seg)  # "Kuta Malaka" is a kecamatan, not Kuta in Kab. Malaka
            continue
        pieces = _cut_scope_windows(seg, parsed.weak)
        if pieces != [seg]:  # the whole, as a possibly misread name, but not word by word
            pieces = [replace(seg, words=False), *pieces]
        parsed.cut += pieces
    return parsed


def _home_name(seg: Segment, home: Sequence[str]) -> bool:
    """A segment without a level word that is exactly a kecamatan or village of ``home``."""
    if seg.hint is not None or seg.street or not home:
        return False
    key = tokens_key(seg.tokens)
    reg = regions()
    return any(reg.exact(lvl, key, area) for area in home for lvl in (Level.kecamatan, Level.desa))


def _cut_scope_windows(seg: Segment, scopes: list[tuple[str, float]]) -> list[Segment]:
    """Find regency/province names inside a segment; return what is left as segments."""
    used = [False] * len(seg.tokens)
    for start, end in windows(seg):
        if any(used[start:end]):
            continue
        key = tokens_key(seg.tokens[start:end])
        if len(key) < 5:
            continue
        hits = _admin_matches(key, None, exact_only=True)
        if hits:
            scopes += [(c, s - 2.0) for c, s in hits]
            used[start:end] = [True] * (end - start)
    if not any(used):
        return [seg]
    out: list[Segment] = []
    current: list[str] = []
    for token, is_used in zip(seg.tokens, used, strict=True):
        if is_used:
            if current:
                out.append(Segment(tuple(current), None, seg.street, seg.index * 100 + len(out)))
            current = []
        else:
            current.append(token)
    if current:
        out.append(Segment(tuple(current), None, seg.street, seg.index * 100 + len(out)))
    return out
