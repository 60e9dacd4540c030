"""Masking of personal data for SMS, chat, logs and the operator CLI.

Why it is shaped like this:

* Field-level masking is driven by the schema (fields declared with ``Pii`` in
  :mod:`shared.schemas`, listed by :func:`shared.schemas.pii_paths`), so a new PII field
  is masked everywhere without touching this module. How a field is masked follows from
  its name (passport, phone, email, date, name); an unknown PII field is hidden entirely.
* Masks keep just enough to tell two people apart on a phone screen (``A12****89``,
  ``Z. W. M.``) and never reveal a value's length (the star run is fixed).
* Free text written by people (an SMS report, a chat message) is not structured, so
  :func:`scrub_text` replaces passport-, phone- and email-looking tokens and any known
  name of the report's subjects.
* :class:`PiiLogFilter` is the last line of defence: whatever a log call formats, the
  record leaves the process without clear passport numbers, phone numbers or emails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from shared.schemas import AlertRouted, Member, Report, Team, pii_paths

STARS = "****"

# Passport-like: 1-2 letters + 6-9 digits (+ optional check letter), or 8-9 digits
# (+ optional letter). Bounded by non-alphanumerics so ULIDs and hashes do not match.
PASSPORT_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,2}\d{6,9}[A-Za-z]?|\d{8,9}[A-Za-z]?)(?![A-Za-z0-9])"
)
# E.164 numbers and Indonesian mobile numbers written locally (08...) or without the +.
PHONE_TOKEN = re.compile(r"(?<![\w+])(?:\+\d{8,15}|(?:62|0)8\d{7,11})(?!\w)")
EMAIL_TOKEN = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


# --------------------------------------------------------------------------- values


def mask_passport(value: str | None) -> str | None:
    """``A1234589`` → ``A12****89``: enough to tell two people apart, not to reuse.

    Values shorter than 8 characters would leave too little hidden: all stars.
    """
    if not value:
        return value
    v = re.sub(r"\s+", "", value).upper()
    if len(v) < 8:
        return STARS
    return f"{v[:3]}{STARS}{v[-2:]}"


def mask_name(value: str | None) -> str | None:
    """``Zhang Wei Ming`` → ``Z. W. M.`` (initials of every word)."""
    if not value:
        return value
    initials = []
    for part in value.split():
        letter = next((c for c in part if c.isalnum()), None)
        if letter:
            initials.append(f"{letter.upper()}.")
    return " ".join(initials) or STARS


def mask_phone(value: str | None) -> str | None:
    """``+6281200001234`` → ``+62812****34``: the operator prefix stays, the line not.

    Eight characters or fewer would show most of the number: all stars.
    """
    if not value:
        return value
    v = re.sub(r"[\s().-]", "", value)
    return f"{v[:6]}{STARS}{v[-2:]}" if len(v) > 8 else STARS


def mask_email(value: str | None) -> str | None:
    """``siti.contoh@example.org`` → ``s***@example.org`` (the domain says which office)."""
    if not value:
        return value
    user, at, domain = value.partition("@")
    if not at or not domain:
        return "***"
    return f"{user[:1]}***@{domain}"


def mask_date(value: date | str | None) -> str | None:
    """A date of birth keeps its year only: ``1985-03-02`` → ``1985-**-**``."""
    if not value:
        return value  # type: ignore[return-value]
    text = value.isoformat() if isinstance(value, date) else str(value)
    year = re.match(r"\d{4}", text)
    return f"{year.group(0)}-**-**" if year else STARS


def mask_text(value: str | None) -> str | None:
    """An unknown kind of personal data: hide it entirely."""
    return STARS if value else value


def _masker_for(field: str) -> Any:
    """How to mask a field, from its name (the schema's PII fields follow these names)."""
    name = field.lower()
    if "passport" in name or "permit_number" in name:
        return mask_passport
    if "phone" in name or "whatsapp" in name:
        return mask_phone
    if "email" in name:
        return mask_email
    if "date" in name or "birth" in name:
        return mask_date
    if "name" in name:
        return mask_name
    return mask_text


def mask_value(field: str, value: Any) -> Any:
    """Mask one value of the PII field ``field`` (``None`` stays ``None``)."""
    if value is None:
        return None
    return _masker_for(field)(value if isinstance(value, date) else str(value))


# --------------------------------------------------------------------------- free text


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
def _compile_known(words: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation, longest first (a report's names are rendered for every member)."""
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
    )


def scrub_text(text: str | None, names: Sequence[str] = (), documents: Sequence[str] = ()) -> str:
    """Mask personal data in free text: known ``names`` and ``documents`` first (the
    report's subjects), then anything that looks like a passport, phone number or email.
    """
    if not text:
        return text or ""
    if pattern := _known_pattern(documents, text):
        text = pattern.sub(lambda m: mask_passport(m.group(0)) or STARS, text)
    if pattern := _known_pattern(names, text):
        text = pattern.sub(lambda m: mask_name(m.group(0)) or STARS, text)
    text = EMAIL_TOKEN.sub(lambda m: mask_email(m.group(0)) or STARS, text)
    text = PHONE_TOKEN.sub(lambda m: mask_phone(m.group(0)) or STARS, text)
    return PASSPORT_TOKEN.sub(lambda m: mask_passport(m.group(0)) or STARS, text)


def scrub_report_text(report: Report) -> str:
    """The report's free text with its subjects' names and documents masked."""
    names: list[str] = []
    documents: list[str] = []
    for s in report.subjects:
        names += name_variants(s.full_name)
        documents += [d for d in (s.passport_number, s.permit_number) if d]
    if report.reporter:
        names += name_variants(report.reporter.name)
    return scrub_text(report.text, names, documents)


def name_variants(name: str | None) -> list[str]:
    """How a name may be written in free text: whole, any run of two or more of its
    words ("Zhang Wei"), and each word long enough not to be an everyday word."""
    words = (name or "").split()
    runs = [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 2, len(words) + 1)]
    return runs + [w for w in words if len(w) >= 4]


# --------------------------------------------------------------------------- documents


Trie = dict[tuple[str, bool], "Trie | None"]  # (key, walks every list element) -> rest


def _masked(obj: Any, trie: Trie, typed: bool) -> Any:
    """``obj`` with every path in ``trie`` masked, copy-on-write: only the dicts and lists
    on masked paths are copied (a JSON round trip of the whole message cost more)."""
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] | None = None
    for (key, each), rest in trie.items():
        value = obj.get(key)
        if value is None:
            continue
        if rest is None:
            # A typed model cannot hold "1985" in a date field: drop the date instead.
            new = None if typed and _masker_for(key) is mask_date else mask_value(key, value)
        elif each and isinstance(value, list):
            new = [_masked(child, rest, typed) for child in value]
        else:
            new = _masked(value, rest, typed)
        if out is None:
            out = dict(obj)
        out[key] = new
    return obj if out is None else out


@lru_cache(maxsize=256)
def _trie(paths: tuple[str, ...]) -> Trie:
    """``("subjects[].passport_number", "subjects[].full_name")`` as one tree to walk."""
    root: Trie = {}
    for path in paths:
        node = root
        *parents, last = path.split(".")
        for part in parents:
            child = node.setdefault((part.removesuffix("[]"), part.endswith("[]")), {})
            assert child is not None, f"{path}: a leaf cannot have children"
            node = child
        node[last.removesuffix("[]"), last.endswith("[]")] = None
    return root


ALL_PATHS: dict[str, list[str]] = {
    "report": pii_paths(Report),
    "alert": pii_paths(AlertRouted),
}
MODEL_PATHS: dict[str, list[str]] = ALL_PATHS | {
    "team": pii_paths(Team),
    "member": pii_paths(Member),
}


def paths_for(obj: dict[str, Any]) -> list[str]:
    """The PII paths of a decoded message, recognised by its identifying keys."""
    if "alert_id" in obj and isinstance(obj.get("report"), dict):
        return MODEL_PATHS["alert"]
    if "report_id" in obj and "source" in obj:
        return MODEL_PATHS["report"]
    if "team_id" in obj and "members" in obj:
        return MODEL_PATHS["team"]
    if "member_id" in obj and "name" in obj:
        return MODEL_PATHS["member"]
    return []


def _hide_rejected_original(obj: dict[str, Any]) -> None:
    """A rejection carries the original bytes, which may hold anything: hide them."""
    if "rejection_id" in obj and obj.get("original_b64"):
        obj["original_b64"] = "<original bytes hidden>"


def mask_json(
    obj: Any, paths: Iterable[str] | type[BaseModel] | None = None, *, typed: bool = False
) -> Any:
    """A masked copy of a decoded message (a report, an alert, a team...).

    ``paths`` are dotted PII paths (``subjects[].passport_number``) or a model class
    whose PII paths to use; by default the message kind is recognised from its keys.
    ``typed=True`` keeps the result valid for the model (masked dates become ``None``).
    The original is never changed; parts without personal data are shared with it, so
    treat both as read-only below the top level.
    """
    if not isinstance(obj, dict):
        return obj
    if isinstance(paths, type):
        chosen = pii_paths(paths)
    else:
        chosen = list(paths) if paths is not None else paths_for(obj)
    out = dict(_masked(obj, _trie(tuple(chosen)), typed))  # always a new top level
    _hide_rejected_original(out)
    return out


def mask_report(report: Report) -> Report:
    """The report with every PII field masked, still a valid :class:`Report`.

    A date of birth cannot be kept as a year in a ``date`` field, so it is dropped; the
    free text is scrubbed as well (it may name the subjects).
    """
    data = mask_json(report.model_dump(mode="json"), MODEL_PATHS["report"], typed=True)
    data["text"] = scrub_report_text(report) or None
    return Report.model_validate(data)


# --------------------------------------------------------------------------- logging


class PiiLogFilter(logging.Filter):
    """Scrub passport numbers, phone numbers and emails from log records.

    The formatted message, string ``extra`` fields, the exception text and the stack
    are scrubbed; the filter never drops a record.
    """

    STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in self.STANDARD and isinstance(value, str):
                setattr(record, key, scrub_text(value))
        return True
