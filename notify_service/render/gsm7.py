"""The GSM 03.38 alphabet and SMS segment counting (GSM-7 and UCS-2)."""

from __future__ import annotations

import re
import unicodedata

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # escape + char: two septets
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Typographic characters phones and word processors produce, with GSM-7 look-alikes.
GSM7_LOOKALIKES = {
    "…": "...",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "•": "-",
    "·": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "`": "'",
}


GSM7_ALL = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in the GSM 7-bit default alphabet (+ extension)."""
    return GSM7_ALL.issuperset(text)


def gsm7_friendly(text: str) -> str:
    """Replace characters that needlessly force UCS-2 by GSM-7 look-alikes.

    Typographic punctuation is swapped; an accented letter outside GSM-7 loses its
    accent (``ễ`` → ``e``); anything else (Chinese, Arabic, emoji) is kept and the SMS
    goes out in UCS-2, which is right for such text.
    """
    if is_gsm7(text):
        return text
    out = []
    for c in text:
        if c in GSM7_ALL:
            out.append(c)
        elif c in GSM7_LOOKALIKES:
            out.append(GSM7_LOOKALIKES[c])
        else:
            base = unicodedata.normalize("NFKD", c)[:1]
            out.append(base if base and base in GSM7_BASIC else c)
    return "".join(out)


GSM7_HEAVY = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENDED))) + "]")
UCS2_HEAVY = re.compile("[\U00010000-\U0010ffff]")  # a surrogate pair each


def septets_or_units(text: str, gsm: bool) -> int:
    if gsm:
        return len(text) + sum(map(text.count, GSM7_EXTENDED))
    return len(text.encode("utf-16-le")) // 2


def sms_length(text: str) -> int:
    """Length in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    return septets_or_units(text, is_gsm7(text))


def _parts(text: str, heavy: re.Pattern[str], part: int) -> int:
    """Parts of ``part`` units each, where a two-unit character is never split.

    Runs of one-unit characters fill parts arithmetically; only the (few) two-unit
    characters are visited one by one.
    """
    segments, used, previous = 1, 0, 0

    def fill(count: int) -> None:
        nonlocal segments, used
        used += count
        if used > part:
            wraps = (used - 1) // part
            segments, used = segments + wraps, used - wraps * part

    for match in heavy.finditer(text):
        fill(match.start() - previous)
        if used + 2 > part:
            segments, used = segments + 1, 0
        used += 2
        previous = match.end()
    fill(len(text) - previous)
    return segments


def sms_segments(text: str) -> tuple[int, str]:
    """``(segments, encoding)`` of ``text`` sent as one (concatenated) SMS.

    A message that fits one SMS uses the full 160/70; a longer one is split into parts
    of 153/67 where an escape pair (GSM-7) or a surrogate pair (UCS-2) is never split,
    so the count is an upper bound whichever splitter (phone, Kannel, SMSC) is used.
    """
    gsm = is_gsm7(text)
    if septets_or_units(text, gsm) <= (GSM7_SINGLE if gsm else UCS2_SINGLE):
        return 1, "GSM-7" if gsm else "UCS-2"
    if gsm:
        return _parts(text, GSM7_HEAVY, GSM7_PART), "GSM-7"
    return _parts(text, UCS2_HEAVY, UCS2_PART), "UCS-2"
