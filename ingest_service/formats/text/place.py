"""The place of a text report: the longest words that name a place as typed, else a guess.

A run of words is the place when the region resolver finds it with good confidence inside
the source's home area (or it is a distinctive kabupaten/kecamatan elsewhere) and every
name in it, as typed, spells the place found or one of its parents: "desa sungaicuka kec
satui" is the village Sungaicuka and its kecamatan Satui. Names are compared without
spaces and level words ("Sungai Cuka" == "Sungaicuka"; "Desa", "Kel.", "Kec.", "Kab.",
"Kota" before a name), with the typos :func:`typos_allowed` grants a name of its length,
and a misspelt name is only read as a place when no other place of the home area is as
near. A name that several places share exactly ("Pantai Baru") is their common kabupaten
or nothing, never a shorter name inside it ("Pantai").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import SourceContext
from ingest_service.formats.text.subjects import is_count
from ingest_service.formats.text.tokens import LEVEL_WORDS, Token, typos
from ingest_service.formats.text.vocabulary import EVERYDAY_WORDS
from shared import jurisdiction as regions
from shared.schemas import Location

MAX_NAME_WORDS = 5  # words of one name ("Pulau Laut Tanjung Selayar" has four)
MAX_NAMES = 3  # names in one place: a village, its kecamatan, its kabupaten
MAX_LOOKUPS = 40  # resolver calls per report (a real one needs a few; bounds hostile text)

# Words that are never part of a place name: a candidate place may not contain them.
_NOT_PLACE = frozenset(
    {
        "ada", "terdapat", "ditemukan", "sebanyak", "wna", "wn", "orang", "org", "di", "yang",
        "dan", "kerja", "bekerja", "seorang", "beberapa", "banyak", "asing", "warga",
    }
)  # fmt: skip
# Words that may not begin or end a place (but may sit inside one).
_PLACE_EDGE_STOP = _NOT_PLACE | frozenset(
    {
        "sedang", "lagi", "telah", "sudah", "ini", "itu", "tinggal", "menginap", "dengan",
        "tanpa", "mencurigakan", "overstay", "narkoba", "ke", "dari", "untuk", "tolong",
        "mohon", "segera", "pak", "bu", "info", "pekerja", "tka", "lokasi", "daerah",
        "wilayah", "sekitar", "dekat", "izin", "ijin", "visa", "paspor", "habis", "ilegal",
        "illegal", "perdagangan", "narkotika", "sabu", "kapal", "perahu", "wni",
    }
)  # fmt: skip
_PLACE_MARKERS = frozenset({"di", "lokasi", "daerah", "wilayah", "sekitar", "dekat"})
# The code depth a level word names (desa 3, kecamatan 2, kabupaten 1); "Kota" any:
# "Kota Banjarbaru" is a kota, "kota Batulicin" the town, "Kota Pagatan" a village.
_LEVEL_DEPTH: dict[str, int | None] = {
    "desa": 3, "ds": 3, "kel": 3, "kelurahan": 3, "kec": 2, "kecamatan": 2, "kab": 1,
    "kabupaten": 1, "kota": None,
}  # fmt: skip


@dataclass(frozen=True)
class _Name:
    """One name inside the typed words, with the level word written before it."""

    text: str  # the words as typed
    key: str  # their name key ("Sungai Cuka" → "sungaicuka")
    depth: int | None  # the level its level word names; None: no level word, or "Kota"
    designated: bool  # a level word was written before it
    tokens: tuple[Token, ...]  # its level word and words


@dataclass(frozen=True)
class _Unit:
    """The resolved place or one of its parents."""

    code: str
    key: str


def _candidate_starts(tokens: Sequence[Token]) -> list[int]:
    starts = [0]
    for i, tok in enumerate(tokens):
        if tok.word in _PLACE_MARKERS and i + 1 < len(tokens):
            starts.append(i + 1)
        elif tok.word in LEVEL_WORDS:
            starts.append(i)
    while starts and starts[0] < len(tokens) and tokens[starts[0]].word in _PLACE_MARKERS:
        starts[0] += 1
    out: list[int] = []
    for start in starts:  # "di hotel Batulicin": the hotel is where, Batulicin the place
        out.append(start)
        while start < len(tokens) and tokens[start].word in EVERYDAY_WORDS:
            start += 1
        out.append(start)
    return list(dict.fromkeys(s for s in out if s < len(tokens)))


def _span_end(tokens: Sequence[Token], start: int) -> int:
    """How far a place starting at ``start`` may reach: up to :data:`MAX_NAMES` names of
    :data:`MAX_NAME_WORDS` words, each after a level word ("desa X, kec. Y")."""
    end, names, words = start, 1, 0
    while end < len(tokens):
        tok = tokens[end]
        if tok.word in _NOT_PLACE or is_count(tokens, end):
            break
        if tok.word in _LEVEL_DEPTH and words:
            names, words = names + 1, 0
            if names > MAX_NAMES:
                break
        elif tok.word not in _LEVEL_DEPTH:
            words += 1
            if words > MAX_NAME_WORDS:
                break
        end += 1
        after = tokens[end].word if end < len(tokens) else ""
        if tok.boundary and after not in _LEVEL_DEPTH:  # "Desa Batuah, Kec. Kusan Hilir"
            break
    return end


def _spans(tokens: Sequence[Token], start: int) -> list[int]:
    """Candidate end positions from ``start``, longest first."""
    ends = []
    for stop in range(_span_end(tokens, start), start, -1):
        span = tokens[start:stop]
        if span[0].word in _PLACE_EDGE_STOP or span[-1].word in _PLACE_EDGE_STOP:
            continue
        if len(span) > 1 and span[-1].word in LEVEL_WORDS:  # "... Kec." names nothing yet
            continue
        if all(t.word in LEVEL_WORDS for t in span) or span[0].word.isdigit():
            continue
        ends.append(stop)
    return ends


def _names(span: Sequence[Token]) -> list[_Name]:
    """The typed words split at level words: "desa sungaicuka kec satui" → two names."""
    out: list[_Name] = []
    part: list[Token] = []  # the level word (if any) and the name's words

    def close() -> None:
        words = [t.raw for t in part if t.word not in _LEVEL_DEPTH]
        if words:
            text = " ".join(words)
            level = part[0].word if part[0].word in _LEVEL_DEPTH else None
            depth = _LEVEL_DEPTH[level] if level else None
            out.append(_Name(text, regions.name_key(text), depth, level is not None, tuple(part)))

    for tok in span:
        if tok.word in _LEVEL_DEPTH and any(t.word not in _LEVEL_DEPTH for t in part):
            close()
            part = []
        part.append(tok)
    close()
    return out


def typos_allowed(key: str, designated: bool) -> int:
    """Typos a typed name may carry and still be read as a place.

    None in short names, everyday words and words that say what happened ("tambang" is
    one letter from the village Tamiang, "liburan" from Laburan); one from six letters,
    or five after a level word ("Kec. Angsna"); two from twelve ("Pulau Laut Tenga").
    """
    if key in EVERYDAY_WORDS or nz.classify(key) is not None:
        return 0
    if len(key) >= 12:
        return 2
    return 1 if len(key) >= (5 if designated else 6) else 0


def _spelling_typos(typed: str, official: str) -> int:
    """Typos between typed and official name keys; a leading "Kota" may be left out."""
    found = typos(typed, official)
    if found and official.startswith("kota") and len(official) > 4:
        found = min(found, typos(typed, official[4:]))
    return found


def _lineage(res: Any) -> list[_Unit]:
    """The resolved place (by its official name) and its parents."""
    units = [_Unit(res.code, regions.name_key(res.matched or ""))]
    for parent in regions.regions().ancestors(res.code):
        units.append(_Unit(parent.code, regions.name_key(parent.name)))
    return units


def _spells(name: _Name, unit: _Unit, ctx: SourceContext, whole: bool) -> bool:
    """Whether ``name`` as typed is the unit's name (exactly, or misspelt but unmistakable).

    ``whole``: the name is not cut short by the span (a misspelt "Ds Patai" of "Ds Patai
    Baru" is not the village Pantai).
    """
    if not unit.key:  # the level word may be wrong ("Desa Satui"): the resolver weighs it
        return False
    found = _spelling_typos(name.key, unit.key)
    if found == 0:
        return name.designated or name.key not in EVERYDAY_WORDS  # "di pantai" says where
    if not whole or found > typos_allowed(name.key, name.designated):
        return False
    rivals = regions.near_names(name.text, ctx.home_area, found)
    return not any(not _related(code, unit.code) for code, _ in rivals)


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _names_the_place(span: Sequence[Token], res: Any, ctx: SourceContext, cut: bool) -> bool:
    """Every name typed spells the resolved place or one of its parents, one the place.

    A name given a level below the place found may be unknown: in "desa Patai Baru kec.
    Pulau Laut Tengah" the kecamatan is certain even when the village is not.
    ``cut``: the span stops inside the last name's words.
    """
    units = _lineage(res)
    depth = res.code.count(".")
    names = _names(span)
    itself = False
    for i, name in enumerate(names):
        whole = not (cut and i == len(names) - 1)
        unit = next((u for u in units if _spells(name, u, ctx, whole)), None)
        if unit is None:
            if name.depth is not None and name.depth > depth and len(names) > 1:
                continue
            return False
        itself = itself or unit.code == res.code
    return itself


def _in_home_area(code: str, home_area: Sequence[str]) -> bool:
    return not home_area or any(code == a or code.startswith(a + ".") for a in home_area)


def plausible(span: Sequence[Token], res: Any, ctx: SourceContext, cut: bool = False) -> bool:
    """Whether a resolution of free SMS/chat words can be trusted without a human.

    Confident, spelling the words as typed, and either inside the source's home area or
    a kabupaten/kecamatan with a distinctive name: generic words ("Pelabuhan", "Kebun")
    are village names somewhere, and "Batu" typed in Batulicin does not mean Kota Batu.
    """
    if res is None or not res.code or res.low_confidence:
        return False
    if not _names_the_place(span, res, ctx, cut):
        return False
    if _in_home_area(res.code, ctx.home_area):
        return True
    typed = regions.name_key(" ".join(t.raw for t in span))
    return res.code.count(".") <= 2 and res.confidence >= 0.9 and len(typed) >= 6


def _village_inside(span: Sequence[Token], res: Any, ctx: SourceContext) -> Any:
    """A kecamatan found for "ds Sungaicka kec Satui": the misspelt village, looked for
    inside that kecamatan, when it is found there as typed; else the kecamatan."""
    if res.code.count(".") != 2:
        return res
    for name in _names(span):
        if name.depth == 3:
            village = regions.find_place(name.text, within=(res.code,))
            found = village.code or ""
            if found.startswith(res.code + ".") and plausible(name.tokens, village, ctx):
                return village
    return res


def _shared_name(span: Sequence[Token], res: Any) -> bool:
    """The words are exactly the name of several places the resolver offers."""
    if res is None or not res.code or not res.candidates:
        return False
    names = _names(span)
    if len(names) != 1:
        return False
    tree = regions.regions()
    spelt = [
        code
        for code in (res.code, *res.candidates)
        if _spelling_typos(names[0].key, regions.name_key(tree.name(code) or "")) == 0
    ]
    return len(spelt) > 1


def _parent_at_home(res: Any, ctx: SourceContext) -> bool:
    """The resolver's common parent of places sharing a name is a sure unit of the home
    area (a kabupaten, not the whole province)."""
    code = res.code or ""
    return not res.low_confidence and code.count(".") >= 1 and _in_home_area(code, ctx.home_area)


def find_place(tokens: Sequence[Token], ctx: SourceContext) -> tuple[Location | None, range]:
    """The longest plausibly resolved place and the tokens it covers.

    A name several places share is their common kabupaten when that lies in the home
    area ("Pantai Baru": two villages of Kotabaru); its shorter words are never tried.
    ``(None, range(0))`` when nothing resolves plausibly.
    """
    lookups = 0
    for start in _candidate_starts(tokens):
        end = _span_end(tokens, start)
        for stop in _spans(tokens, start):
            lookups += 1
            if lookups > MAX_LOOKUPS:
                return None, range(0)
            span = tokens[start:stop]
            text = " ".join(t.raw for t in span)
            res = regions.find_place(text, within=ctx.home_area)
            cut = stop < end and tokens[stop].word not in _LEVEL_DEPTH
            if plausible(span, res, ctx, cut):
                res = _village_inside(span, res, ctx)
                return regions.fill_location(Location(address=text), res), range(start, stop)
            if _shared_name(span, res):
                if _parent_at_home(res, ctx):
                    return regions.fill_location(Location(address=text), res), range(start, stop)
                break
    return None, range(0)


def guess_place(tokens: Sequence[Token]) -> tuple[str | None, range]:
    """The place as written when nothing resolved: the first words before a non-place word.

    Keeps "Simpang 4" but not the "5" of "Satui 5 WNA" (a number before a person noun).
    """
    start = _candidate_starts(tokens)[0] if tokens else 0
    stop = start
    while stop < len(tokens) and stop - start < 4:
        tok = tokens[stop]
        if tok.word in _PLACE_EDGE_STOP or is_count(tokens, stop) or nz.classify(tok.word):
            break
        stop += 1
        if tok.boundary:
            break
    if stop == start:
        return None, range(0)
    return " ".join(t.raw for t in tokens[start:stop]), range(start, stop)
