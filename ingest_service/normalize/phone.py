"""Phone numbers as Indonesians write them → E.164."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=8192)
def to_e164(text: str, *, international: bool = False) -> str | None:
    """E.164 form of a phone number, Indonesian numbering assumed; ``None`` if impossible.

    ``international`` says the number is always given with its country code but without
    "+" (WhatsApp's ``wa_id``/``from``). Kannel and forms give "+62...", "62...", "0812..."
    or even "812..." (trunk prefix dropped), all of which are Indonesian mobiles.
    """
    raw = re.sub(r"[\s\-.()/]", "", text.strip())
    if not raw:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+620"):  # "+62 0812..." is a common way to write it
        raw = "+62" + raw[4:]
    if raw.isdigit():
        if international or (raw.startswith("62") and len(raw) >= 10):
            raw = "+" + raw
        elif raw.startswith("8") and 9 <= len(raw) <= 12:
            raw = "+62" + raw
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if len(e164) <= 16 else None
