"""Masking of single values: how each kind of personal data is shown on a phone screen.

Masks keep just enough to tell two people apart (``A12****89``, ``Z. W. M.``) and never
reveal a value's length (the star run is fixed). How a schema field is masked follows from
its name (passport, phone, email, date, name); an unknown PII field is hidden entirely.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

STARS = "****"


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
