"""Fitting a message to its channel: the free text shortened on a word boundary, then fewer
subjects, until an SMS fits ``max_sms_segments`` and a chat text 4096 UTF-16 units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notify_service.render.context import SMS_STRINGS, subject_masked
from notify_service.render.gsm7 import (
    GSM7_ALL,
    GSM7_BASIC,
    GSM7_EXTENDED,
    GSM7_PART,
    GSM7_SINGLE,
    gsm7_friendly,
    septets_or_units,
    sms_segments,
)
from notify_service.render.templates import render_template
from shared.schemas import AlertRouted

CHAT_LIMIT = 4096  # Telegram and WhatsApp text limit (counted here in UTF-16 units)
SMS_ELLIPSIS = "..."  # "…" is not GSM-7: it would turn the whole SMS into UCS-2
CHAT_ELLIPSIS = "…"
TEXT_MARK = "\x00text\x00"  # stands for the free text while fitting (never in a message)
SMS_SUBJECTS = 2
CHAT_SUBJECTS = 10


def one_line(text: str) -> str:
    return " ".join(text.split())


def shorten(text: str, limit: int, ellipsis: str) -> str:
    """``text`` cut to at most ``limit`` characters plus ``ellipsis``, on a word boundary
    when one is near (an ellipsis after half a word reads like a typo)."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > 0 and space >= limit - 15:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + ellipsis


def _longest_fitting_text(
    build: Callable[[str], str],
    fits: Callable[[str], bool],
    text: str,
    ellipsis: str,
    room: Callable[[str, str, str], int | None] | None = None,
) -> str | None:
    """The message with the longest shortening of ``text`` that fits (binary search over
    the cut; more text never makes a message shorter), or ``None``. The caller tried the
    whole text already.

    The template is rendered once around a marker; candidates are the text between the
    rendered prefix and suffix (the text is inserted verbatim), so the ~11 steps of the
    search cost string joins, not template renders. When fitting is a plain count of
    characters for every candidate (``room(prefix, text, suffix)`` gives the most
    characters the cut may have, or ``None``), each step compares a length instead of
    counting segments: the same steps, the same result.
    """
    if not text:
        return None
    framed = build(TEXT_MARK)
    limit = None
    if framed.count(TEXT_MARK) == 1:
        prefix, suffix = framed.split(TEXT_MARK)
        build_text = build

        def build(cut: str) -> str:
            return prefix + cut + suffix if cut else build_text(cut)

        if room is not None:
            limit = room(prefix, text, suffix)

    def fitting(cut: str) -> bool:  # ``cut`` is never empty: shorten() adds the ellipsis
        return len(cut) <= limit if limit is not None else fits(build(cut))

    lo, hi, best = 1, len(text) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        cut = shorten(text, mid, ellipsis)
        if fitting(cut):
            best, lo = cut, mid + 1
        else:
            hi = mid - 1
    return None if best is None else build(best)


def _fit(
    render_with: Callable[..., str],
    fits: Callable[[str], bool],
    text: str,
    subjects: list[str],
    ellipsis: str,
    hidden: int = 0,
    room: Callable[[str, str, str], int | None] | None = None,
) -> str:
    """Shorten until ``fits``: the free text, then the subjects shown (``hidden``
    subjects were never shown and count as "+N"), finally the head count.

    The ack code and link are template constants: never touched.
    """

    def build(shown: int, text: str) -> str:
        rest = hidden + len(subjects) - shown
        return render_with(subjects=subjects[:shown], more=rest, text=text)

    whole = build(len(subjects), text)
    if fits(whole):
        return whole
    found = _longest_fitting_text(lambda t: build(len(subjects), t), fits, text, ellipsis, room)
    if found is not None:
        return found
    for shown in range(len(subjects) - 1, -1, -1):
        message = build(shown, "")
        if fits(message):
            return message
    return render_with(subjects=[], more=0, text="", count=None)


def fit_sms(
    alert: AlertRouted, language: str, ctx: dict[str, Any], max_segments: int, scrubbed: str
) -> tuple[str, int, str]:
    """The fitted SMS with its ``(segments, encoding)``."""
    shown = alert.report.subjects[:SMS_SUBJECTS]
    subjects = [gsm7_friendly(subject_masked(s)) for s in shown]
    text = one_line(gsm7_friendly(one_line(scrubbed)))  # look-alikes may be spaces
    safe = ctx | {k: gsm7_friendly(ctx[k]) for k in SMS_STRINGS}

    def render_with(**changes: Any) -> str:
        return one_line(render_template("sms", language, safe | changes))

    counted: dict[str, tuple[int, str]] = {}

    def fits(message: str) -> bool:
        counted[message] = sms_segments(message)
        return counted[message][0] <= max_segments

    def room(prefix: str, text: str, suffix: str) -> int | None:
        """Septets left for the cut when the text and what follows it are basic GSM-7
        and the head's escape pairs (``[TIMPORA]``) all lie in the first part, so none
        can straddle two: then segments are plain arithmetic on the length."""
        if not GSM7_ALL.issuperset(prefix):
            return None
        last_pair = max(map(prefix.rfind, GSM7_EXTENDED))  # -1: none
        if septets_or_units(prefix[: last_pair + 1], gsm=True) > GSM7_PART:
            return None
        head = septets_or_units(prefix, gsm=True)
        if not (GSM7_BASIC.issuperset(text) and GSM7_BASIC.issuperset(suffix)):
            return None
        most = GSM7_SINGLE if max_segments == 1 else GSM7_PART * max_segments
        return most - head - len(suffix)

    hidden = len(alert.report.subjects) - len(shown)
    message = _fit(render_with, fits, text, subjects, SMS_ELLIPSIS, hidden, room)
    segments, encoding = counted.get(message) or sms_segments(message)
    return message, segments, encoding


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_chat(alert: AlertRouted, language: str, ctx: dict[str, Any], scrubbed: str) -> str:
    """The fitted chat text."""
    shown = alert.report.subjects[:CHAT_SUBJECTS]
    subjects = [subject_masked(s) for s in shown]
    text = scrubbed.strip()

    def render_with(**changes: Any) -> str:
        return render_template("chat", language, ctx | changes).strip()

    def fits(message: str) -> bool:
        return utf16_length(message) <= CHAT_LIMIT

    def room(prefix: str, text: str, suffix: str) -> int | None:  # no surrogate pairs
        if any(len(part) != utf16_length(part) for part in (prefix, text, suffix)):
            return None
        return CHAT_LIMIT - len(prefix) - len(suffix)

    hidden = len(alert.report.subjects) - len(shown)
    message = _fit(render_with, fits, text, subjects, CHAT_ELLIPSIS, hidden, room)
    if fits(message):
        return message
    # Even the bare message is too long (absurdly long place names): cut what precedes the
    # last line, which carries the ack code and the link.
    head, _, tail = message.rpartition("\n")
    space = CHAT_LIMIT - utf16_length(tail) - utf16_length(CHAT_ELLIPSIS) - 1
    while utf16_length(head) > space:
        head = head[: max(0, len(head) - max(1, (utf16_length(head) - space) // 2))]
    return f"{head}{CHAT_ELLIPSIS}\n{tail}"
