"""Blank placeholders and folding: the text clean-up every other normaliser starts from."""

from __future__ import annotations

import re
import unicodedata

_BLANKS = frozenset({"", "-", "--", "n/a", "na", "null", "none", "tidak ada data", "?"})


def clean(value: object) -> str | None:
    """Stripped text of a scalar value, or ``None`` for blanks and non-scalars.

    Why: JSON/CSV inputs put numbers, ``null`` and placeholders where text belongs.
    """
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return None if text.lower() in _BLANKS else text


def is_blank(value: object) -> bool:
    return clean(value) is None


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text for table look-ups."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\s_\-./,()]+", " ", text.lower())
    return text.strip()
