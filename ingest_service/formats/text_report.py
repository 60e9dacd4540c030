"""Short text reports: ``LAPOR <place> <what was seen>`` from SMS and chat.

Field officers and citizens type on small phones, so the grammar is forgiving::

    LAPOR SATUI ada 5 WNA kerja di tambang
    lapor: Simpang 4   tiga orang asing overstay
    Lpr Batu Licin
    ada WN China 2 org menginap
    /lapor@TimporaBot Kec. Angsana ada WNA mencurigakan

* the keyword is case-insensitive and tolerant of typos and abbreviations ("Lpr", "lapr",
  "laporan", "LAPOR:", a leading "/" or "#" for chat commands, an @mention before it);
* the place is the longest run of words (up to five) that the region resolver finds with
  good confidence inside the source's home area: first right after the keyword, then after
  "di"/"Kec."/"Desa"; when nothing resolves the words before the first non-place word are
  kept as the address as written, and routing retries;
* a head count ("ada 5 WNA", "5 orang asing", "lima WNA", "seorang WNA"), nationalities
  ("WN China", "warga negara Tiongkok", "Korea") and category keywords (kerja/tambang →
  illegal_work, overstay/izin habis → overstay, narkoba → narcotics...) are extracted.

This module has no parser of its own in ``PARSERS``: the SMS and chat parsers call
:func:`parse_text_report` with the message text and its envelope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import (
    Parsed,
    SourceContext,
    build_report,
    reason,
    truncate_text,
)
from shared import jurisdiction as regions
from shared.schemas import Category, Location, SourceFormat

MAX_TOKENS = 400
MAX_PLACE_WORDS = 5
MAX_COUNT = 10_000

_KEYWORDS = frozenset(
    {"lapor", "laporan", "laporkan", "lpr", "lapr", "lpor", "lapo", "lap", "lapot", "report"}
)
_NOT_KEYWORDS = frozenset({"lapar", "labor", "lampor", "layor"})  # real words one typo away
_KEYWORD_TOKEN = re.compile(r"^[/#!]?([A-Za-z]+)(?:@\w+)?[:.,;\-=]*(.*)$")

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
_LEVEL_WORDS = frozenset(
    {"kec", "kecamatan", "desa", "ds", "kel", "kelurahan", "kab", "kabupaten", "kota", "dusun"}
)
_PLACE_MARKERS = frozenset({"di", "lokasi", "daerah", "wilayah", "sekitar", "dekat"})

_PERSON_NOUNS = frozenset(
    {
        "wna", "wn", "orang", "org", "warga", "pekerja", "tka", "turis", "wisatawan", "bule",
        "imigran", "tamu", "abk", "pria", "wanita", "perempuan", "laki", "foreigner",
        "foreigners", "people", "persons", "person", "men", "women", "workers",
    }
)  # fmt: skip
_QUANTITY_MARKERS = frozenset(
    {"ada", "sebanyak", "berjumlah", "jumlah", "terdapat", "sekitar", "lebih", "kira",
     "total", "about", "approximately", "around"}
)  # fmt: skip
_UNITS = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9,
}  # fmt: skip
_SPECIAL_NUMBERS = {"sepuluh": 10, "sebelas": 11, "seratus": 100, "seorang": 1}
_ENGLISH = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "fifty": 50,
}  # fmt: skip
_NATIONALITY_MARKERS = frozenset(
    {"wn", "wna", "warga", "kewarganegaraan", "berkewarganegaraan", "kebangsaan", "asal",
     "dari", "orang", "tka", "turis", "bule", "nationality", "citizen", "citizens"}
)  # fmt: skip
_URGENT = re.compile(r"\b(?:segera|darurat|urgent|emergency|bahaya|sos)\b", re.IGNORECASE)
_TRAILING_PUNCT = ",.;:!?)"


@dataclass(frozen=True)
class TextMessage:
    """A text and its envelope as a gateway or chat platform delivered it."""

    text: str
    phone: str | None = None  # E.164 when known
    reporter_name: str | None = None
    occurred_at: datetime | None = None
    upstream_ref: str | None = None


@dataclass(frozen=True)
class Token:
    raw: str  # as typed, edge punctuation removed
    word: str  # lower-case, for matching
    boundary: bool  # the typed token ended a phrase ("Baru," "Loban.")


def tokenize(text: str) -> list[Token]:
    """Whitespace tokens (newlines and runs of spaces count once), punctuation noted."""
    tokens: list[Token] = []
    for part in text.split()[:MAX_TOKENS]:
        stripped = part.strip(_TRAILING_PUNCT + "(\"'")
        if not stripped:
            continue
        word = stripped.lower()
        if word in _LEVEL_WORDS and part.rstrip(",;:!?)").endswith("."):
            stripped += "."  # keep "Kec." as typed: the resolver knows the abbreviation
        boundary = part[-1] in _TRAILING_PUNCT and word not in _LEVEL_WORDS
        tokens.append(Token(stripped, word, boundary))
    return tokens


# --------------------------------------------------------------------------- keyword


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def is_keyword(word: str) -> bool:
    """Whether ``word`` is the LAPOR keyword, allowing abbreviations and one typo."""
    w = word.lower()
    if w in _KEYWORDS or w.startswith("lapor"):
        return True
    if w in _NOT_KEYWORDS:
        return False
    if len(w) >= 3 and w[0] == "l" and "p" in w and _is_subsequence(w, "lapor"):
        return True  # "lpr", "lapr", "lpor"
    return 4 <= len(w) <= 7 and _levenshtein(w, "lapor") <= 1


def split_keyword(text: str) -> str | None:
    """The text after the LAPOR keyword, or ``None`` when the text is not a report.

    Skips @mentions before the keyword (group chats) and accepts "LAPOR:SATUI".
    """
    parts = text.strip().split(None, 1)
    while parts and parts[0].startswith("@"):
        parts = parts[1].split(None, 1) if len(parts) > 1 else []
    if not parts:
        return None
    m = _KEYWORD_TOKEN.match(parts[0])
    if not m or not is_keyword(m[1]):
        return None
    glued = m[2]
    word = m[1].lower()
    if word.startswith("lapor") and word not in _KEYWORDS:  # "LAPORSATUI"
        glued = m[1][5:] + glued
    return (glued + " " + (parts[1] if len(parts) > 1 else "")).strip()


# --------------------------------------------------------------------------- place


def _candidate_starts(tokens: Sequence[Token]) -> list[int]:
    starts = [0]
    for i, tok in enumerate(tokens):
        if tok.word in _PLACE_MARKERS and i + 1 < len(tokens):
            starts.append(i + 1)
        elif tok.word in _LEVEL_WORDS:
            starts.append(i)
    while starts and starts[0] < len(tokens) and tokens[starts[0]].word in _PLACE_MARKERS:
        starts[0] += 1
    return list(dict.fromkeys(s for s in starts if s < len(tokens)))


def _spans(tokens: Sequence[Token], start: int) -> list[int]:
    """Candidate end positions from ``start``, longest first."""
    end = start
    while end < len(tokens) and end - start < MAX_PLACE_WORDS:
        if tokens[end].word in _NOT_PLACE or _is_count(tokens, end):
            break
        end += 1
        if tokens[end - 1].boundary:
            break
    ends = []
    for stop in range(end, start, -1):
        span = tokens[start:stop]
        if span[0].word in _PLACE_EDGE_STOP or span[-1].word in _PLACE_EDGE_STOP:
            continue
        if len(span) > 1 and span[-1].word in _LEVEL_WORDS:  # "... Kec." names nothing yet
            continue
        if all(t.word in _LEVEL_WORDS for t in span) or span[0].word.isdigit():
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
    return len(typed) >= 8 and _levenshtein(typed, matched) <= (1 if len(typed) < 12 else 2)


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
        if tok.word in _PLACE_EDGE_STOP or _is_count(tokens, stop) or nz.classify(tok.word):
            break
        stop += 1
        if tok.boundary:
            break
    if stop == start:
        return None, range(0)
    return " ".join(t.raw for t in tokens[start:stop]), range(start, stop)


# --------------------------------------------------------------------------- count


def _number_at(tokens: Sequence[Token], i: int) -> tuple[int | None, int]:
    """A number written at ``tokens[i]`` (digits or Indonesian/English words), and the end."""
    word = tokens[i].word.lstrip("±~+-")
    if word.isdigit() and len(word) <= 5:
        return int(word), i + 1
    if word in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[word], i + 1
    if word in _ENGLISH:
        return _ENGLISH[word], i + 1
    if word not in _UNITS:
        return None, i
    value, j = _UNITS[word], i + 1
    nxt = tokens[j].word if j < len(tokens) else ""
    if nxt == "belas":
        return 10 + value, j + 1
    if nxt == "puluh":
        value, j = value * 10, j + 1
        if j < len(tokens) and tokens[j].word in _UNITS:
            value, j = value + _UNITS[tokens[j].word], j + 1
    elif nxt == "ratus":
        value, j = value * 100, j + 1
    return value, j


def _is_count(tokens: Sequence[Token], i: int) -> bool:
    """Whether the number at ``i`` counts people (next to a person noun or "ada")."""
    value, end = _number_at(tokens, i)
    if value is None:
        return False
    if tokens[i].word == "seorang":
        return True
    after = tokens[end].word if end < len(tokens) else ""
    before = tokens[i - 1].word if i > 0 else ""
    return after in _PERSON_NOUNS or before in _QUANTITY_MARKERS


def extract_count(tokens: Sequence[Token]) -> int | None:
    """Head count: "ada 5 WNA" → 5; "3 WN China dan 2 WN Vietnam" → 5."""
    counts: list[tuple[int, str | None]] = []
    i = 0
    while i < len(tokens):
        value, end = _number_at(tokens, i)
        if value is not None and _is_count(tokens, i):
            following = extract_nationalities(tokens[end : end + 4])
            counts.append((value, following[0] if following else None))
            i = end
        else:
            i += 1
    if not counts:
        return None
    nationalities = [n for _, n in counts]
    if len(counts) > 1 and None not in nationalities and len(set(nationalities)) == len(counts):
        total = sum(v for v, _ in counts)
    else:
        total = counts[0][0]
    return min(total, MAX_COUNT)


# --------------------------------------------------------------------------- nationality


def extract_nationalities(tokens: Sequence[Token]) -> list[str]:
    """ISO alpha-3 codes named in the text, in order, without duplicates.

    After a marker ("WN", "warga negara", "asal", "orang") any country name counts; bare
    names only from a curated list, so ordinary words are never read as countries.
    """
    found: list[str] = []
    i = 0
    while i < len(tokens):
        after_marker = i > 0 and tokens[i - 1].word in _NATIONALITY_MARKERS | {"negara"}
        previous = tokens[i - 1].word if i > 0 else ""
        matched = 0
        for n in (3, 2, 1):
            span = tokens[i : i + n]
            if len(span) < n or previous in ("bahasa", "bhs"):
                continue
            phrase = " ".join(t.word for t in span)
            if phrase in nz.TEXT_NATIONALITY_NAMES or (after_marker and len(phrase) > 3):
                code = nz.nationality_to_alpha3(phrase, allow_codes=False)
                if code is not None:
                    if code not in found:
                        found.append(code)
                    matched = n
                    break
        i += matched or 1
    return found


# --------------------------------------------------------------------------- report


def parse_text_report(
    message: TextMessage, index: int, ctx: SourceContext, fmt: SourceFormat
) -> Parsed:
    """One text message → one report, or a reason (``not_a_report``, ``empty_report``)."""
    at = index
    body = split_keyword(message.text or "")
    if body is None:
        return Parsed(
            index,
            None,
            [
                reason(
                    "not_a_report",
                    "a text report starts with LAPOR, e.g. 'LAPOR Satui ada 5 WNA kerja di "
                    "tambang'",
                    index=at,
                )
            ],
        )
    tokens = tokenize(body)
    if not tokens:
        return Parsed(
            index,
            None,
            [reason("empty_report", "write LAPOR <place> <what you saw>", index=at)],
        )
    location, covered = find_place(tokens, ctx)
    if location is None:
        address, covered = guess_place(tokens)
        location = Location(address=address)
    rest = [t for i, t in enumerate(tokens) if i not in covered]
    return build_report(
        index,
        ctx,
        fmt,
        resolve=False,
        **_report_fields(message, body, rest, location),
    )


def _report_fields(
    message: TextMessage, body: str, rest: Sequence[Token], location: Location
) -> dict[str, Any]:
    category = nz.classify(" ".join(t.word for t in rest)) or Category.presence
    severity = nz.DEFAULT_SEVERITY[category]
    if _URGENT.search(body):
        severity = nz.bump_severity(severity)
    nationalities = extract_nationalities(rest)
    reporter = {
        k: v for k, v in {"phone": message.phone, "name": message.reporter_name}.items() if v
    }
    return {
        "upstream_ref": message.upstream_ref,
        "occurred_at": message.occurred_at,
        "category": category,
        "severity": severity,
        "location": location.model_dump(exclude_none=True),
        "subjects": [{"nationality": code} for code in nationalities],
        "subject_count": extract_count(rest),
        "reporter": reporter or None,
        "text": truncate_text(message.text),
    }
