"""Tokens of a text report as typed, and the typo distances words are compared by."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA

MAX_TOKENS = 400
# Words naming an administrative level ("Kec.", "Desa"): they keep their dot as typed.
LEVEL_WORDS = frozenset(
    {"kec", "kecamatan", "desa", "ds", "kel", "kelurahan", "kab", "kabupaten", "kota", "dusun"}
)
_TRAILING_PUNCT = ",.;:!?)"


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
        if word in LEVEL_WORDS and part.rstrip(",;:!?)").endswith("."):
            stripped += "."  # keep "Kec." as typed: the resolver knows the abbreviation
        boundary = part[-1] in _TRAILING_PUNCT and word not in LEVEL_WORDS
        tokens.append(Token(stripped, word, boundary))
    return tokens


def levenshtein(a: str, b: str) -> int:
    """Edit distance between two words: how many typos apart they are."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def typos(a: str, b: str) -> int:
    """Typos between two words: like :func:`levenshtein`, but a swapped pair of letters
    ("Satiu" for "Satui") counts as one typo, the commonest slip on a phone keyboard.

    Optimal string alignment distance, computed by rapidfuzz (names are compared often).
    """
    return int(OSA.distance(a, b))
