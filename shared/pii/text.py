"""Scrubbing of free text written by people (an SMS report, a chat message, an address,
a dead letter's bytes): personal data found by its shape or by a known value is masked.

What is masked, in this order (each step sees the output of the one before):

1. the report's own documents (passport and permit numbers), however long;
2. email addresses;
3. the report's people: every subject's and the reporter's name, whole, any run of two or
   more of its words, and each word. Words of four letters or more match in any case;
   shorter words ("Li", "An", "Wei") only as written or in capitals, since "ada" or "van"
   in lower case are ordinary words;
4. names of people nobody listed, after a cue: ``bernama``, ``atas nama``, ``a.n.``,
   ``nama:``, ``Mr``/``Mrs``/``Ms``, ``Tuan``, ``Nyonya``, ``Sdr``, ``Bpk``, ``Pak``,
   ``Ibu``... followed by one to four capitalised words (initials and ``bin``/``van``
   may sit between them). A capitalised word that is a place, a role or an everyday word
   (``Kota``, ``Camat``, ``Di``, ``WNA``) ends the name, so "Ibu Kota" and "Pak Camat"
   stay. Capitalised words without a cue are left alone: in Indonesian reports most of
   them are places (Satui, Angsana, Kotabaru), companies and offices;
5. phone numbers in every common Indonesian and international format (``phonenumbers``'
   matcher, region ID, valid numbers only: codes like ``63.10.06.2001`` and dates are not
   numbers), then any ``+``/``08`` digit run it did not accept;
6. numbers written in groups with spaces or hyphens ("E 1234 5678", "6310 0412 3456 0001")
   with eight digits or more, dates excepted;
7. passport-like tokens: 6-12 letters and digits mixed with at least four digits
   (``C01X00T47``, ``ab1234567``), or eight digits or more. Ids stay: ULIDs are longer,
   ack codes shorter, Kemendagri codes have dots.

This is a best effort. A name with no cue that is not one of the report's people cannot be
told from a place name by its shape, so SMS and chat show the free text scrubbed *and* the
structured fields masked by the schema, never the structured fields in clear; full details
are only behind the member's authenticated link.

Cost: one pass per rule over the text; the phone matcher runs only on digit runs long
enough to be a number (it costs ~15 µs a number), and the known names compile once per
set of names (cached: a report's names are rendered for every member).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from phonenumbers import Leniency, PhoneNumberMatcher

from shared.pii.values import STARS, mask_email, mask_name, mask_passport, mask_phone
from shared.schemas import Report

# Letters and digits mixed (6-12, at least four digits and a letter), or eight digits and
# more (+ an optional check letter). Bounded by non-word characters: ids stay whole.
PASSPORT_TOKEN = re.compile(
    r"(?<!\w)(?:(?=[A-Za-z0-9]{6,12}(?!\w))(?=(?:[A-Za-z]*\d){4})(?=\d*[A-Za-z])[A-Za-z0-9]{6,12}"
    r"|\d{8,}[A-Za-z]?)(?!\w)"
)
# E.164 numbers and Indonesian mobile numbers written locally (08...) or without the +.
PHONE_TOKEN = re.compile(r"(?<![\w+])(?:\+\d{8,15}|(?:62|0)8\d{7,11})(?!\w)")
EMAIL_TOKEN = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Where a phone number may be: a run of digits and separators with 8+ characters. Its
# digits (separators dropped) in a shape only phones have are masked without parsing.
PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-]{6,24}\d(?!\w)")
PHONE_SHAPE = re.compile(r"\+\d{8,15}|62\d{8,13}|0[1-9]\d{7,12}")
SEPARATORS = re.compile(r"[ ().\-/]")
KEMENDAGRI_CODE = re.compile(r"\d{2}(?:\.\d{2}){1,2}(?:\.\d{4})?")
# Digit groups joined by single spaces or hyphens, optionally after a one- or two-letter
# series ("E 1234 5678"); a date is matched first so that it is left as it is.
DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}"
NUMBER_GROUPS = re.compile(
    rf"(?<![\w+\-])(?:(?P<date>{DATE})|(?:[A-Z]{{1,2}}[ -])?\d{{1,6}}(?:[ -]\d{{1,6}}){{1,5}})"
    r"(?![\w\-])"
)
DIGIT = re.compile(r"\d")
DIGIT_WORD = re.compile(r"\d\w*")  # from a word's first digit to its end (a fast scan)
GROUPED = re.compile(r"\d[ -]\d")

_CUES = (
    r"bernama|atas\s+nama|a\.\s?n\.|nama\s*:|mr|mrs|ms|miss|tuan|tn|nyonya|ny|nona|nn"
    r"|sdr|sdri|saudara|saudari|bpk|bapak|pak|ibu|bu"
)
_UPPER, _LOWER = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_WORD = rf"[{_UPPER}][{_UPPER}{_LOWER}'’\-]+"
_INITIALS = rf"(?:[{_UPPER}]\.\s*)*"
_JOIN = r"\s+(?:(?:bin|binti|van|von|der|de|da|al|el)\s+)?"
CUE_NAME = re.compile(
    rf"(?<!\w)(?P<cue>(?ai:{_CUES}))(?:[.:]\s*|\s+)"
    rf"(?P<name>{_INITIALS}{_WORD}(?:{_JOIN}{_INITIALS}{_WORD}){{0,3}})"
)
CUE = re.compile(rf"(?<!\w)(?:{_CUES})")  # on the lower-cased text: a cheap pre-check
# Capitalised words that end a name found after a cue: places, roles, everyday words.
NOT_NAMES = frozenset(
    """kota kabupaten kab kecamatan kec desa kelurahan kampung dusun jalan jl camat lurah
    kades kepala kapolsek kapolres danramil kasi bupati gubernur rt rw hotel pt cv ud
    di ke dari dan yang ada dengan wna wni asal kerja bekerja tinggal menginap sedang saat
    pada umur usia paspor passport no nomor hp telp warga negara lapor laporan tambang
    mess kantor imigrasi polsek koramil bersama juga sudah belum tidak tanpa izin untuk
    the and at in from was is who with""".split()  # noqa: SIM905
)


def _known_pattern(values: Iterable[str], text: str) -> re.Pattern[str] | None:
    """An alternation of the ``values`` that may occur in ``text``.

    Compiling costs ~0.6 ms per report and most free text names nobody, so in ASCII text
    an ASCII value is only compiled when it occurs (case-insensitively). Anything else is
    always compiled: Unicode case-insensitive matching has cases (``İ``, ``ſ``, the Kelvin
    sign) that no simple containment test reproduces.
    """
    ascii_text = text.isascii()
    lowered = text.lower() if ascii_text else ""
    words = sorted(
        {
            w
            for v in values
            if v
            and len(w := v.strip()) >= 3
            and (not ascii_text or not w.isascii() or w.lower() in lowered)
        },
        key=len,
        reverse=True,
    )
    return _compile_known(tuple(words)) if words else None


@lru_cache(maxsize=4096)
def _compile_known(words: tuple[str, ...], ignore_case: bool = True) -> re.Pattern[str]:
    """One alternation, longest first (a report's names are rendered for every member)."""
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)",
        re.IGNORECASE if ignore_case else 0,
    )


def _short_words_pattern(words: Sequence[str], text: str) -> re.Pattern[str] | None:
    """Name words under four letters, matched as written or in capitals only."""
    forms = sorted(
        {f for w in words if len(w) >= 2 and w.isalpha() for f in (w, w.upper()) if f in text},
        key=len,
        reverse=True,
    )
    return _compile_known(tuple(forms), False) if forms else None


def _mask_cued(match: re.Match[str]) -> str:
    """``bernama Li Wei`` → ``bernama L. W.``; the name ends at a place, role or word."""
    name = match.group("name")
    kept: list[str] = []
    for word in re.split(r"(\s+)", name):
        if word.strip() and word.strip(".").lower() in NOT_NAMES:
            break
        kept.append(word)
    person = "".join(kept).rstrip()
    if not person:
        return match.group(0)
    start = match.start("name") - match.start()
    whole = match.group(0)
    return whole[:start] + (mask_name(person) or STARS) + whole[start + len(person) :]


def _mask_phones(text: str) -> str:
    """Phone numbers in any format, masked: the shapes every Indonesian writes (``+62...``,
    ``62...``, ``08...``, ``(0518) ...``) directly, anything else only when
    ``phonenumbers``' matcher (region ID) finds a valid number in it."""
    out: list[str] = []
    last = 0
    for candidate in PHONE_CANDIDATE.finditer(text):
        span, offset = candidate.group(0), candidate.start()
        if span.startswith("(") and ")" not in span:  # "(E12345678)": the bracket stays
            span, offset = span[1:], offset + 1
        if KEMENDAGRI_CODE.fullmatch(span):
            continue
        compact = SEPARATORS.sub("", span)
        if len(compact) < 8:
            continue
        if PHONE_SHAPE.fullmatch(compact):
            found = [(0, len(span), span)]
        else:
            found = [
                (m.start, m.end, m.raw_string)
                for m in PhoneNumberMatcher(span, "ID", leniency=Leniency.VALID)
            ]
        for start, end, raw in found:
            out += [text[last : offset + start], mask_phone(raw) or STARS]
            last = offset + end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _mask_cued_names(text: str) -> str:
    """:data:`CUE_NAME` applied where the lower-cased text has a cue (a case-insensitive
    search at every position costs five times more than this one on lower case)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lengthen in lower case: the slow way
        return CUE_NAME.sub(_mask_cued, text)
    out: list[str] = []
    last = 0
    for cue in CUE.finditer(lowered):
        if cue.start() < last:
            continue
        if found := CUE_NAME.match(text, cue.start()):
            out += [text[last : found.start()], _mask_cued(found)]
            last = found.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"  # what ``\w`` matches


def _mask_tokens(text: str) -> str:
    """:data:`PASSPORT_TOKEN` masked, found from the digits: every match is a whole word
    with a digit, so only words with a digit are tested (a scan for digits is fast, a
    pattern with look-arounds tries every position)."""
    out: list[str] = []
    last = 0
    for digits in DIGIT_WORD.finditer(text):
        start = first = digits.start()
        while start > 0 and first - start <= 12 and _is_word(text[start - 1]):
            start -= 1
        if start > 0 and _is_word(text[start - 1]):
            continue  # longer than any token
        token = text[start : digits.end()]
        if PASSPORT_TOKEN.fullmatch(token):
            out += [text[last:start], mask_passport(token) or STARS]
            last = digits.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _mask_groups(match: re.Match[str]) -> str:
    if match.group("date"):
        return match.group(0)
    whole = match.group(0)
    if sum(c.isdigit() for c in whole) < 8:
        return whole
    return mask_passport(re.sub(r"[\s-]", "", whole)) or STARS


def scrub_text(text: str | None, names: Sequence[str] = (), documents: Sequence[str] = ()) -> str:
    """Mask personal data in free text: known ``names`` and ``documents`` first (the
    report's subjects), then names after a cue, and anything that looks like an email,
    a phone number, a passport or an identity number (see the module's docstring).
    """
    if not text:
        return text or ""
    if documents and (pattern := _known_pattern(documents, text)):
        text = pattern.sub(lambda m: mask_passport(m.group(0)) or STARS, text)
    if "@" in text:
        text = EMAIL_TOKEN.sub(lambda m: mask_email(m.group(0)) or STARS, text)
    if names:
        words = [w for n in names if (w := n.strip())]
        short = [w for w in words if len(w) < 4 and " " not in w]
        if pattern := _known_pattern([w for w in words if len(w) >= 4 or " " in w], text):
            text = pattern.sub(lambda m: mask_name(m.group(0)) or STARS, text)
        if short and (pattern := _short_words_pattern(short, text)):
            text = pattern.sub(lambda m: mask_name(m.group(0)) or STARS, text)
    text = _mask_cued_names(text)
    if DIGIT.search(text) is None:
        return text
    text = _mask_phones(text)
    if GROUPED.search(text):
        text = NUMBER_GROUPS.sub(_mask_groups, text)
    return _mask_tokens(text)


def report_people(report: Report) -> tuple[list[str], list[str]]:
    """The name variants and document numbers of a report's subjects and reporter."""
    names: list[str] = []
    documents: list[str] = []
    for s in report.subjects:
        names += name_variants(s.full_name)
        documents += [d for d in (s.passport_number, s.permit_number) if d]
    if report.reporter:
        names += name_variants(report.reporter.name)
    return names, documents


def scrub_report_text(report: Report, text: str | None = None) -> str:
    """The report's free text (or ``text``, another free-text field of the report) with
    its people's names and documents and anything personal-looking masked."""
    names, documents = report_people(report)
    return scrub_text(report.text if text is None else text, names, documents)


def name_variants(name: str | None) -> list[str]:
    """How a name may be written in free text: whole, any run of two or more of its
    words ("Zhang Wei"), and each word ("Zhang", "Wei"; :func:`scrub_text` matches the
    words under four letters in their written case only)."""
    words = (name or "").split()
    runs = [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 2, len(words) + 1)]
    return runs + words
