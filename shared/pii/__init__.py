"""Masking of personal data for SMS, chat, webhooks, logs and the operator CLI.

Why it is shaped like this:

* Field-level masking is driven by the schema (fields declared with ``Pii`` in
  :mod:`shared.schemas`, listed by :func:`shared.schemas.pii_paths`), so a new PII field
  is masked everywhere without touching this package (:mod:`shared.pii.documents`).
* Masks keep just enough to tell two people apart on a phone screen (``A12****89``,
  ``Z. W. M.``) and never reveal a value's length (:mod:`shared.pii.values`).
* Free text written by people is not structured, so :func:`scrub_text` masks what looks
  like personal data (passport-like tokens, grouped numbers, phones, emails, names after
  a cue) and the report's known names and documents (:mod:`shared.pii.text`; a best
  effort, which is why channels show structured fields masked, never in clear).
* :class:`PiiLogFilter` is the last line of defence: whatever a log call formats, the
  record leaves the process without clear passport numbers, phone numbers, emails or the
  names it marks as personal (:mod:`shared.pii.logs`).
"""

from shared.pii.documents import (
    ALL_PATHS,
    MODEL_PATHS,
    erase_alert,
    mask_json,
    mask_original,
    mask_report,
    mask_unknown_json,
    paths_for,
)
from shared.pii.logs import PiiLogFilter
from shared.pii.text import (
    EMAIL_TOKEN,
    PASSPORT_TOKEN,
    PHONE_TOKEN,
    _compile_known,
    _known_pattern,
    name_variants,
    report_people,
    scrub_report_text,
    scrub_text,
)
from shared.pii.values import (
    STARS,
    mask_date,
    mask_email,
    mask_name,
    mask_passport,
    mask_phone,
    mask_text,
    mask_value,
)

__all__ = [
    "ALL_PATHS",
    "EMAIL_TOKEN",
    "MODEL_PATHS",
    "PASSPORT_TOKEN",
    "PHONE_TOKEN",
    "STARS",
    "PiiLogFilter",
    "_compile_known",
    "_known_pattern",
    "erase_alert",
    "mask_date",
    "mask_email",
    "mask_json",
    "mask_name",
    "mask_original",
    "mask_passport",
    "mask_phone",
    "mask_report",
    "mask_text",
    "mask_unknown_json",
    "mask_value",
    "name_variants",
    "paths_for",
    "report_people",
    "scrub_report_text",
    "scrub_text",
]
