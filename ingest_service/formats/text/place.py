"""The place of a text report: the longest words that resolve plausibly, else a guess."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import SourceContext
from ingest_service.formats.text.subjects import is_count
from ingest_service.formats.text.tokens import LEVEL_WORDS, Token, levenshtein
from shared import jurisdiction as regions
from shared.schemas import Location

MAX_PLACE_WORDS = 5

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


def _candidate_starts(tokens: Sequence[Token]) -> list[int]:
    starts = [0]
    for i, tok in enumerate(tokens):
        if tok.word in _PLACE_MARKERS and i + 1 < len(tokens):
            starts.append(i + 1)
        elif tok.word in LEVEL_WORDS:
            starts.append(i)
    while starts and starts[0] < len(tokens) and tokens[starts[0]].word in _PLACE_MARKERS:
        starts[0] += 1
    return list(dict.fromkeys(s for s in starts if s < len(tokens)))


def _spans(tokens: Sequence[Token], start: int) -> list[int]:
    """Candidate end positions from ``start``, longest first."""
    end = start
    while end < len(tokens) and end - start < MAX_PLACE_WORDS:
        if tokens[end].word in _NOT_PLACE or is_count(tokens, end):
            break
        end += 1
        if tokens[end - 1].boundary:
            break
    ends = []
    for stop in range(end, start, -1):
        span = tokens[start:stop]
        if span[0].word in _PLACE_EDGE_STOP or span[-1].word in _PLACE_EDGE_STOP:
            continue
        if len(span) > 1 and span[-1].word in LEVEL_WORDS:  # "... Kec." names nothing yet
            continue
        if all(t.word in LEVEL_WORDS for t in span) or span[0].word.isdigit():
            continue
        ends.append(stop)
    return ends


def _keys_match(typed: str, matched: str) -> bool:
    """Whether the resolver matched the whole typed name (one typo allowed in long names).

    The resolver answers for any words; "Kampung Entah" must not become the village
    "Kampung" because one of its words is a place somewhere in Indonesia, and short
    everyday words must match exactly ("tambang", a mine, is one letter from "Tamiang").
    """
    if not typed or not matched:
        return False
    if typed == matched or matched == "kota" + typed:
        return True
    return len(typed) >= 8 and levenshtein(typed, matched) <= (1 if len(typed) < 12 else 2)


def _in_home_area(code: str, home_area: Sequence[str]) -> bool:
    return not home_area or any(code == a or code.startswith(a + ".") for a in home_area)


def plausible(text: str, res: Any, ctx: SourceContext) -> bool:
    """Whether a resolution of free SMS/chat words can be trusted without a human.

    Confident, matching the words as typed, and either inside the source's home area or
    a kabupaten/kecamatan with a distinctive name: generic words ("Pelabuhan", "Kebun")
    are village names somewhere, and "Batu" typed in Batulicin does not mean Kota Batu.
    """
    if res is None or not res.code or res.low_confidence:
        return False
    typed = regions.name_key(text)
    if not _keys_match(typed, regions.name_key(res.matched or "")):
        return False
    if _in_home_area(res.code, ctx.home_area):
        return True
    level = getattr(res.level, "value", res.level)
    return (
        level in ("provinsi", "kabupaten", "kecamatan")
        and res.confidence >= 0.9
        and len(typed) >= 6
    )


def find_place(tokens: Sequence[Token], ctx: SourceContext) -> tuple[Location | None, range]:
    """The longest plausibly resolved place and the tokens it covers.

    ``(None, range(0))`` when nothing resolves plausibly.
    """
    for start in _candidate_starts(tokens):
        for stop in _spans(tokens, start):
            text = " ".join(t.raw for t in tokens[start:stop])
            res = regions.find_place(text, within=ctx.home_area)
            if plausible(text, res, ctx):
                return regions.fill_location(Location(address=text), res), range(start, stop)
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
