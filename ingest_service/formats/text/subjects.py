"""Who a text report is about: the head count and the nationalities named."""

from __future__ import annotations

from collections.abc import Sequence

from ingest_service import normalize as nz
from ingest_service.formats.text.tokens import Token

MAX_COUNT = 10_000

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


def is_count(tokens: Sequence[Token], i: int) -> bool:
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
        if value is not None and is_count(tokens, i):
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
