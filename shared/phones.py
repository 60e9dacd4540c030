"""Phone numbers as Indonesians write them → E.164: the one normalisation for every place a
number enters (the directory import, SMS replies, WhatsApp replies, reporters' numbers).

Matching a reply to a member compares E.164 strings, so the directory stores E.164 and
every inbound sender goes through :func:`to_e164` first. Kannel hands over ``0812...``,
``62812...``, ``+62812...`` (or `` 62812...`` when the ``+`` of a query string became a
space); WhatsApp's ``wa_id`` is the country code and number without ``+``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "ID"
E164_MAX = 16  # "+" and up to 15 digits


@lru_cache(maxsize=8192)
def to_e164(raw: str, region: str = DEFAULT_REGION, *, international: bool = False) -> str | None:
    """E.164 form of a phone number (``region`` numbering assumed); ``None`` if impossible.

    ``international``: the number always carries its country code but no ``+``
    (WhatsApp's ``wa_id``/``from``). For Indonesia ``62...`` (10+ digits) and ``8...``
    (a mobile with its trunk ``0`` dropped) are read as Indonesian numbers too.
    """
    digits = re.sub(r"[\s\-.()/]", "", raw.strip())
    if not digits:
        return None
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+620"):  # "+62 0812..." is a common way to write it
        digits = "+62" + digits[4:]
    if digits.isdigit():
        national_id = region == "ID" and digits.startswith("62") and len(digits) >= 10
        if international or national_id:
            digits = "+" + digits
        elif region == "ID" and digits.startswith("8") and 9 <= len(digits) <= 12:
            digits = "+62" + digits
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if len(e164) <= E164_MAX else None


def same_number(a: str | None, b: str | None, region: str = DEFAULT_REGION) -> bool:
    """Whether two numbers, written in any of the accepted ways, are the same number."""
    if not a or not b:
        return False
    left = to_e164(a, region)
    return left is not None and left == to_e164(b, region)
