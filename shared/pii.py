"""Masking of personal data for SMS, chat, logs and the operator CLI.

Field-level masking is driven by the schema (fields declared with ``Pii``), so a new PII
field is masked everywhere without touching this module. ``PiiLogFilter`` is the last
line of defence: passport-looking tokens are scrubbed from every log line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from shared.schemas import AlertRouted, Report, ReportRejected, pii_paths

PASSPORT_TOKEN = re.compile(r"\b(?=[A-Z0-9]*\d)([A-Z]{1,2}\d{6,9}|[A-Z]\d{7,8}|\d{8,9}[A-Z]?)\b")


def mask_passport(value: str | None) -> str | None:
    """``A1234589`` → ``A12****89``: enough to tell two people apart, not to reuse."""
    if not value:
        return value
    v = re.sub(r"\s+", "", value).upper()
    if len(v) <= 5:
        return "*" * len(v)
    return f"{v[:3]}{'*' * (len(v) - 5)}{v[-2:]}"


def mask_name(value: str | None) -> str | None:
    """``Zhang Wei Ming`` → ``Z. W. M.``"""
    if not value:
        return value
    return " ".join(f"{part[0].upper()}." for part in value.split() if part)


def mask_phone(value: str | None) -> str | None:
    """``+6281200001234`` → ``+62812****34``"""
    if not value:
        return value
    return f"{value[:6]}****{value[-2:]}" if len(value) > 8 else "****"


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return "***" if value else value
    user, _, domain = value.partition("@")
    return f"{user[:1]}***@{domain}"


def mask_date(value: Any) -> Any:
    """A date of birth keeps its year only."""
    return str(value)[:4] + "-**-**" if value else value


def _mask_value(field: str, value: Any) -> Any:
    if value is None:
        return None
    if "passport" in field or "permit_number" in field:
        return mask_passport(str(value))
    if "phone" in field or field == "whatsapp":
        return mask_phone(str(value))
    if "email" in field:
        return mask_email(str(value))
    if "date" in field:
        return mask_date(value)
    return mask_name(str(value))


def _mask_path(obj: Any, parts: list[str]) -> None:
    if obj is None:
        return
    head, rest = parts[0], parts[1:]
    is_list = head.endswith("[]")
    key = head.removesuffix("[]")
    if not isinstance(obj, dict) or key not in obj:
        return
    if not rest:
        obj[key] = _mask_value(key, obj[key])
        return
    children = obj[key] if is_list and isinstance(obj[key], list) else [obj[key]]
    for child in children:
        _mask_path(child, rest)


ALL_PATHS = {
    "report": pii_paths(Report),
    "alert": pii_paths(AlertRouted),
}


def mask_json(obj: Any, paths: list[str] | None = None) -> Any:
    """Mask PII in a decoded message (a report, an alert, or anything holding one)."""
    if not isinstance(obj, dict):
        return obj
    chosen = paths
    if chosen is None:
        chosen = ALL_PATHS["alert"] if "report" in obj else ALL_PATHS["report"]
    for path in chosen:
        _mask_path(obj, path.split("."))
    if "original_b64" in obj and set(obj) >= set(ReportRejected.model_fields) - {"original_b64"}:
        obj["original_b64"] = "<original bytes hidden>"
    return obj


def mask_report(report: Report) -> Report:
    return Report.model_validate(mask_json(report.model_dump(mode="json"), ALL_PATHS["report"]))


class PiiLogFilter(logging.Filter):
    """Scrub passport-number-looking tokens from log messages and their arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = PASSPORT_TOKEN.sub(lambda m: mask_passport(m.group(0)) or "", message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True
