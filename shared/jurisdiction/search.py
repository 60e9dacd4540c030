"""Name search: :func:`find_place` and the candidates it weighs.

A valid Kemendagri code wins (``631006``, ``63.10.06``, ``63-10-06`` all work). Otherwise
the text is split into segments and scopes (:mod:`shared.jurisdiction.segments`) and the
segments are searched by name, stage by stage: inside the regency/province the text
names, then inside the source's home area, then nationally (only when the text names no
regency). In each stage exact name keys come first, then typos (rapidfuzz). A national
name that exists in several places gets a low confidence (or, when all its places share
a kabupaten/province, that common parent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from shared.jurisdiction.codes import common_ancestor, embedded_codes, inside, level_of
from shared.jurisdiction.data import normalize_code, regions, valid_areas
from shared.jurisdiction.names import name_key, tokens_key
from shared.jurisdiction.resolution import NONE, Resolution, resolution
from shared.jurisdiction.segments import Segment, segment_text, split_scopes, windows
from shared.schemas import Level

MAX_TEXT = 1000
"""Longer free text is cut: a place is named in its first lines, and it bounds the work."""


@dataclass(frozen=True)
class _Cand:
    code: str
    score: float  # 0..100 name similarity
    rank: float  # score adjusted for hint, span kind and level preference
    span: tuple[int, int, int]  # segment index, first token, end token
    exact: bool
    whole: bool  # the whole segment matched, not a few words inside it


# Search stages: inside a regency the text names ("scope"), inside one it seems to name
# within a longer phrase ("weak"), inside the source's home area, nationally. Fewer
# choices and a surer area allow a lower typo cutoff and give a higher confidence.
_AREA_BASE = {"scope": 0.97, "weak": 0.95, "within": 0.92, "national": 0.85}
_CUTOFF = {"scope": 75.0, "weak": 85.0, "within": 75.0, "national": 86.0}
_WINDOW_CUTOFF = 88.0
_FUZZY_WORDS = 24  # typos are looked for in a segment's first words only (bounds the cost)


def _rank(code: str, score: float, seg: Segment, coverage: float) -> float:
    """Prefer the level the text names, whole segments over words in them, kecamatan.

    ``coverage`` is the share of the segment's words the match spans: "Tengah" matching
    a village exactly must not beat "Pulau Latu Tengah" matching a kecamatan with a typo.
    """
    level = level_of(code)
    rank = score + (5.0 if coverage >= 1.0 else -20.0 * (1.0 - coverage))
    if seg.hint is not None:
        rank += 3.0 if level is seg.hint else -10.0
    elif level is Level.desa:
        rank -= 1.0
    return rank


_MAX_HITS = 50  # per span: beyond that a name is hopelessly ambiguous anyway


def _cands(
    hits: Iterable[tuple[str, float]], seg: Segment, span: tuple[int, int], exact: bool
) -> list[_Cand]:
    coverage = (span[1] - span[0]) / len(seg.tokens)
    where = (seg.index, *span)
    return [
        _Cand(c, s, _rank(c, s, seg, coverage), where, exact, coverage >= 1.0)
        for c, s in list(hits)[:_MAX_HITS]
    ]


def _exact_in(segments: list[Segment], area: str | None) -> list[_Cand]:
    """Exact name-key matches: whole segments first, else the longest words inside them."""
    reg = regions()
    out: list[_Cand] = []
    for seg in segments:
        key = tokens_key(seg.tokens)
        hits = reg.exact(Level.kecamatan, key, area) + reg.exact(Level.desa, key, area)
        if hits:
            out += _cands(((c, 100.0) for c in hits), seg, (0, len(seg.tokens)), True)
            continue
        if not seg.words:
            continue
        used = [False] * len(seg.tokens)
        for start, end in windows(seg):
            if any(used[start:end]):
                continue
            key = tokens_key(seg.tokens[start:end])
            hits = reg.exact(Level.kecamatan, key, area)
            if len(key) >= 5 or end - start > 1:  # a short lone word is too often a village
                hits += reg.exact(Level.desa, key, area)
            if hits:
                used[start:end] = [True] * (end - start)
                out += _cands(((c, 100.0) for c in hits), seg, (start, end), True)
    return out


def _fuzzy_in(segments: list[Segment], area: str | None, kind: str, words: bool) -> list[_Cand]:
    """Typo-tolerant matches of whole segments, or (``words``, small areas only) of the
    words inside them."""
    reg = regions()
    out: list[_Cand] = []
    for seg in segments:
        key = tokens_key(seg.tokens)
        if not words:
            if len(key) >= 4 and len(seg.tokens) <= 6:
                if area is None:
                    hits = reg.fuzzy(Level.kecamatan, key, _CUTOFF[kind])
                else:
                    hits = reg.fuzzy_in(area, key, _CUTOFF[kind])
                out += _cands(hits, seg, (0, len(seg.tokens)), False)
            continue
        if area is None or not seg.words:
            continue  # word-by-word typo search only in small areas
        for start, end in windows(seg):
            wkey = tokens_key(seg.tokens[start:end])
            if len(wkey) < 5 or (start, end) == (0, len(seg.tokens)) or end > _FUZZY_WORDS:
                continue
            hits = reg.fuzzy_in(area, wkey, _WINDOW_CUTOFF, limit=4)
            out += _cands(hits, seg, (start, end), False)
    return out


def _overlap(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _related(a: str, b: str) -> bool:
    return inside(a, b) or inside(b, a)


def _support(c: _Cand, cands: list[_Cand]) -> list[_Cand]:
    """Candidates from other parts of the text that agree with ``c`` (kecamatan + village)."""
    return [o for o in cands if not _overlap(o.span, c.span) and _related(o.code, c.code)]


def _choose(cands: list[_Cand], kind: str, conflict: bool) -> Resolution:
    """Pick the best candidate of one search stage and say how sure we are.

    Two parts of the text that agree (a kecamatan and a village in it) beat either alone
    and give the more precise unit. Several units with the same name (same span, same
    rank) are an ambiguity: their common kabupaten/province if they share one, else the
    first with its confidence cut.
    """
    support = {id(c): _support(c, cands) for c in cands}

    def strength(c: _Cand) -> float:
        return c.rank + (10.0 if support[id(c)] else 0.0)

    best = max(cands, key=lambda c: (strength(c), c.rank, -c.code.count("."), c.code))
    rivals = sorted(
        {
            c.code
            for c in cands
            if c.span == best.span
            and strength(c) >= strength(best) - 0.5
            and not _related(c.code, best.code)
        }
    )
    quality = 1.0 if best.exact else (best.score / 100.0) ** 1.2
    confidence = _AREA_BASE[kind] * quality
    if not best.whole:
        confidence *= 0.97
    if kind == "national" and level_of(best.code) is Level.desa:
        confidence *= 0.95
    if conflict:
        confidence *= 0.7  # found outside the regency the text names
    code = best.code
    agreeing = support[id(best)]
    if agreeing:
        code = max([best, *agreeing], key=lambda c: (c.code.count("."), c.rank)).code
        confidence = min(1.0, confidence + 0.05)
    elif any(
        not _overlap(c.span, best.span) and not _related(c.code, code) and c.rank >= best.rank - 5
        for c in cands
    ):
        confidence *= 0.9  # the text names two unrelated places
    if rivals:
        common = common_ancestor([code, *rivals])
        if common:  # all readings lie in one kabupaten/province: that much is certain
            return resolution(common, confidence * 0.95, "name", [code, *rivals])
        confidence *= 0.5 / len(rivals)
    return resolution(code, confidence, "name", rivals)


def _scope_resolution(scopes: list[tuple[str, float]], unplaced: bool) -> Resolution:
    """Only a regency/province is sure: resolve to it (the most precise one).

    ``unplaced``: the text also names a place that is not inside it, which casts doubt.
    """
    depth = max(c.count(".") for c, _ in scopes)
    top = [(c, s) for c, s in scopes if c.count(".") == depth]
    best = max(s for _, s in top)
    codes = sorted({c for c, s in top if s >= best - 0.5})
    confidence = 0.95 * (1.0 if best >= 100 else (best / 100.0) ** 1.2)
    if unplaced:
        confidence *= 0.85
    if len(codes) == 1:
        return resolution(codes[0], confidence, "name")
    common = common_ancestor(codes)
    if common:
        return resolution(common, confidence * 0.95, "name", codes)
    return resolution(codes[0], confidence * 0.5 / (len(codes) - 1), "name", codes)


def _scope_areas(scopes: list[tuple[str, float]]) -> list[str]:
    """Areas to search first: named kabupaten (inside a named province, if both)."""
    kab = [c for c, _ in scopes if c.count(".") == 1]
    prov = [c for c, _ in scopes if c.count(".") == 0]
    if kab and prov:
        inner = [c for c in kab if any(inside(c, p) for p in prov)]
        kab = inner or kab
    return list(dict.fromkeys(kab or prov))


def _search(
    places: list[Segment], areas: list[str | None], kind: str, conflict: bool
) -> Resolution:
    """Search all ``areas`` together (so an ambiguity shows).

    Exact whole-segment matches settle it; otherwise exact matches of words inside a
    segment compete with typo matches of whole segments; word typos come last.
    """
    cands = [c for area in areas for c in _exact_in(places, area)]
    if not any(c.whole for c in cands):
        cands += [c for area in areas for c in _fuzzy_in(places, area, kind, words=False)]
    if not cands:
        cands = [c for area in areas for c in _fuzzy_in(places, area, kind, words=True)]
    return _choose(cands, kind, conflict) if cands else NONE


def _stages(scope: list[str], home: list[str]) -> list[tuple[list[str | None], str, bool]]:
    """Where to look, in order: (areas, kind, conflicts with the regency the text names)."""
    if not scope:
        return (
            [(list(home), "within", False), ([None], "national", False)]
            if home
            else [([None], "national", False)]
        )
    inner = [a for a in home if any(inside(a, s) for s in scope)]
    outer = [a for a in home if a not in inner and not any(inside(s, a) for s in scope)]
    stages: list[tuple[list[str | None], str, bool]] = []
    if inner:
        stages.append((list(inner), "scope", False))
    stages.append((list(scope), "scope", False))
    if outer:
        stages.append((list(outer), "within", True))
    return stages


def near_names(text: str, within: Sequence[str], typos: int) -> list[tuple[str, int]]:
    """Kecamatan and villages inside ``within`` named at most ``typos`` edits from ``text``.

    ``[(code, edits)]``, nearest first; what a caller checks before trusting a typo: a
    misspelt name is only read as one place when no other place is as near.
    """
    key = name_key(text) if isinstance(text, str) else ""
    if not key:
        return []
    best: dict[str, int] = {}
    for area in valid_areas(within):
        for code, edits in regions().near(area, key, typos):
            best[code] = min(edits, best.get(code, edits))
    return sorted(best.items(), key=lambda ce: (ce[1], ce[0]))


def find_place(text: str, within: Sequence[str] = ()) -> Resolution:
    """Resolve a place name or free-text address to a Kemendagri code.

    Searches inside the regency/province the text names, then inside ``within`` (the
    source's home area codes), then nationally (only when the text names no regency).
    A village name gives the village code (level desa; callers take its kecamatan).
    Results are cached per (text, within). Never raises on odd input.
    """
    if not isinstance(text, str):
        return NONE
    areas = tuple(c for c in within if isinstance(c, str)) if within else ()
    return _find_place_cached(text[:MAX_TEXT], areas)


@lru_cache(maxsize=8192)
def _find_place_cached(text: str, within: tuple[str, ...]) -> Resolution:
    if not text.strip():
        return NONE
    code = normalize_code(text)
    if code:
        return resolution(code, 1.0, "code")
    embedded = [c for c in embedded_codes(text) if normalize_code(c)]
    if embedded:
        best = max(embedded, key=lambda c: c.count("."))
        return resolution(best, 0.95, "code", embedded)

    home = valid_areas(within)
    parsed = split_scopes(segment_text(text), home)
    if parsed.weak:
        res = _search_stages(parsed.cut, parsed.strong + parsed.weak, home, trusted_only=True)
        if res.code:
            return res
    res = _search_stages(parsed.places, parsed.strong, home, trusted_only=False)
    if res.code:
        return res
    scopes = parsed.strong or parsed.weak
    if scopes:
        return _scope_resolution(scopes, unplaced=bool(parsed.places))
    return NONE


def _search_stages(
    places: list[Segment], scopes: list[tuple[str, float]], home: list[str], trusted_only: bool
) -> Resolution:
    """Search the stages in order; ``trusted_only``: only inside the named scopes."""
    # Street lines ("Jl. Raya Batulicin No. 5") are read only when nothing else names a place.
    named = [s for s in places if not s.street] or places
    if not named:
        return NONE
    scope_areas = _scope_areas(scopes)
    home = [a for a in home if a not in scope_areas]
    for areas, kind, conflict in _stages(scope_areas, home):
        if trusted_only and kind != "scope":
            break
        res = _search(named, areas, "weak" if trusted_only else kind, conflict)
        if res.code:
            return res
    return NONE
