"""Pure normalisation helpers shared by every ingest parser.

Upstream systems in Indonesia write the same fact many ways: "Tiongkok", "RRT" and
"China" are one nationality; "0812-3456-7890" and "+62 812 3456 7890" are one phone;
"12 Januari 2026 pukul 14.30 WITA" and "2026-01-12T06:30:00Z" are one instant. These
functions turn such values into the canonical forms of :mod:`shared.schemas` (ISO alpha-3,
E.164, aware UTC datetimes, :class:`PermitType`). They never do I/O and never log, because
their inputs are personal data.

Functions that parse a value return ``None`` for an empty/placeholder value ("", "-",
"n/a") and raise :class:`ValueError` with an English message when a value is present but
unreadable, so structured parsers can reject with a precise reason while tolerant parsers
(SMS, chat) can simply skip the value.

One module per kind of value: ``text`` (blanks, folding), ``nationality``, ``phone``,
``dates`` (zones, dates, datetimes, epochs), ``subject`` (permit, sex, passport) and
``category`` (keyword classification, severity, the overstay rule). Parsers use them
through this package (``from ingest_service import normalize as nz``).
"""

from __future__ import annotations

from ingest_service.normalize.category import (
    DEFAULT_SEVERITY,
    apply_overstay_rule,
    bump_severity,
    classify,
)
from ingest_service.normalize.dates import from_epoch, get_tz, parse_date, parse_datetime
from ingest_service.normalize.nationality import TEXT_NATIONALITY_NAMES, nationality_to_alpha3
from ingest_service.normalize.phone import to_e164
from ingest_service.normalize.subject import normalize_passport, parse_permit_type, parse_sex
from ingest_service.normalize.text import clean, is_blank

__all__ = [
    "DEFAULT_SEVERITY",
    "TEXT_NATIONALITY_NAMES",
    "apply_overstay_rule",
    "bump_severity",
    "classify",
    "clean",
    "from_epoch",
    "get_tz",
    "is_blank",
    "nationality_to_alpha3",
    "normalize_passport",
    "parse_date",
    "parse_datetime",
    "parse_permit_type",
    "parse_sex",
    "to_e164",
]
