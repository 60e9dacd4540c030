"""Phone numbers as Indonesians write them → E.164 (the shared normalisation)."""

from __future__ import annotations

from shared.phones import to_e164 as _shared_to_e164


def to_e164(text: str, *, international: bool = False) -> str | None:
    """E.164 form of a phone number, Indonesian numbering assumed; ``None`` if impossible.

    ``international`` says the number is always given with its country code but without
    "+" (WhatsApp's ``wa_id``/``from``). Kannel and forms give "+62...", "62...", "0812..."
    or even "812..." (trunk prefix dropped), all of which are Indonesian mobiles.
    """
    return _shared_to_e164(text, "ID", international=international)
