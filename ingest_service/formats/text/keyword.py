"""The LAPOR keyword: recognising it (abbreviations, one typo) and splitting it off."""

from __future__ import annotations

import re

from ingest_service.formats.text.tokens import levenshtein

_KEYWORDS = frozenset(
    {"lapor", "laporan", "laporkan", "lpr", "lapr", "lpor", "lapo", "lap", "lapot", "report"}
)
_NOT_KEYWORDS = frozenset({"lapar", "labor", "lampor", "layor"})  # real words one typo away
_KEYWORD_TOKEN = re.compile(r"^[/#!]?([A-Za-z]+)(?:@\w+)?[:.,;\-=]*(.*)$")


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
    return 4 <= len(w) <= 7 and levenshtein(w, "lapor") <= 1


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
