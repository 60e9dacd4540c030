"""Signed ack links and short ack codes.

A link token names the alert, the member and when it expires, and carries an
HMAC-SHA256 over exactly those (with a purpose prefix, so a MAC made for something else
with the same secret never verifies here). It has to fit in an SMS next to the message,
so it is compact: ``<payload>.<mac>``, both base64url without padding, where the payload
is binary — a format byte, the alert id (a ULID packed into its 16 bytes, any other id
as length-prefixed UTF-8), the length-prefixed member id and a 5-byte expiry — and the
MAC is the first 144 bits of the HMAC (RFC 2104 allows truncation to half the hash; a
forger gets one online guess per request). About 63 characters for a ULID alert.

Length prefixes make every (alert, member) pair encode differently, whatever characters
the ids contain. Verification re-encodes the payload and refuses any other spelling of
the same bytes, so one token has exactly one valid form.

Key rotation: the format byte carries a flag and is followed by a one-byte key id (a
fingerprint of the signing secret, never the secret), so a verifier holding the current
and the previous secrets (``TIMPORA_PREVIOUS_SECRET_KEYS``) checks the one that signed:
links sent before a rotation keep working until they expire. Tokens from before key ids
(no flag) are checked against every secret held.

Ack codes are the short codes members reply with (``OK 7KQ2M``): derived from the alert
id, from an alphabet without 0/O and 1/I; routing stamps them on the alert through
:func:`shared.schemas.ack_code_for`, which this module wraps.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Sequence
from datetime import timedelta

from shared.schemas import ACK_ALPHABET
from shared.schemas import ack_code_for as _schema_ack_code

PURPOSE = b"timpora-ack-link-v1|"
MAC_BYTES = 18  # 24 base64url characters, no padding bits
MAX_TOKEN_LENGTH = 1024
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KIND_ULID, KIND_TEXT = 1, 2
KEYED = 0x80  # the format byte's flag: a key id byte follows
ACK_CODE = re.compile(rf"^[{ACK_ALPHABET}]{{4,6}}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # non-canonical spelling (padding bits set)
        raise ValueError("non-canonical base64url")
    return data


def _text_field(value: str) -> bytes:
    data = value.encode()
    if len(data) > 255:
        raise ValueError("id longer than 255 bytes")
    return bytes([len(data)]) + data


def key_id(secret: str) -> int:
    """The one-byte id of a signing secret (a fingerprint: it reveals nothing usable)."""
    return hashlib.sha256(b"timpora-key-id|" + secret.encode()).digest()[0]


def _encode(alert_id: str, member_id: str, expires: int, kid: int) -> bytes:
    if ULID.match(alert_id):
        number = 0
        for char in alert_id:
            number = number * 32 + CROCKFORD.index(char)
        alert = bytes([KIND_ULID | KEYED, kid]) + number.to_bytes(16, "big")
    else:
        alert = bytes([KIND_TEXT | KEYED, kid]) + _text_field(alert_id)
    return alert + _text_field(member_id) + max(0, expires).to_bytes(5, "big")


def _take_text(data: bytes, at: int) -> tuple[str, int]:
    length = data[at]
    end = at + 1 + length
    if end > len(data):
        raise ValueError("truncated")
    return data[at + 1 : end].decode(), end


def _decode(data: bytes) -> tuple[str, str, int]:
    if not data:
        raise ValueError("empty")
    start = 2 if data[0] & KEYED else 1  # after the format byte (and the key id)
    kind = data[0] & ~KEYED
    if kind == KIND_ULID:
        number = int.from_bytes(data[start : start + 16], "big")
        alert_id = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in range(25, -1, -1))
        at = start + 16
    elif kind == KIND_TEXT:
        alert_id, at = _take_text(data, start)
    else:
        raise ValueError("unknown token format")
    member_id, at = _take_text(data, at)
    if len(data) != at + 5:
        raise ValueError("bad length")
    return alert_id, member_id, int.from_bytes(data[at:], "big")


def _mac(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), PURPOSE + payload, hashlib.sha256).digest()
    return _b64(digest[:MAC_BYTES])


def make_token(
    secret: str, alert_id: str, member_id: str, ttl: timedelta, now: float | None = None
) -> str:
    """A URL-safe token proving that ``member_id`` was sent ``alert_id``, valid ``ttl``
    from ``now``."""
    if not secret:
        raise ValueError("a signing secret is required")
    if ttl.total_seconds() <= 0:
        raise ValueError("ttl must be positive")
    issued = time.time() if now is None else now
    payload = _encode(alert_id, member_id, int(issued + ttl.total_seconds()), key_id(secret))
    return f"{_b64(payload)}.{_mac(secret, payload)}"


def verify_token(
    secrets_held: str | Sequence[str], token: str, now: float | None = None
) -> tuple[str, str] | None:
    """``(alert_id, member_id)`` when the token is authentic and unexpired, else ``None``.

    ``secrets_held``: the current signing secret, then any previous ones still accepted.
    The MAC is compared in constant time before the payload is trusted (the key id only
    picks which secret to try); any malformed token is simply invalid (never an exception).
    """
    held = [secrets_held] if isinstance(secrets_held, str) else list(secrets_held)
    held = [s for s in held if s]
    if not held or not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    payload_part, dot, mac = token.partition(".")
    if not dot or not mac.isascii():
        return None
    try:
        payload = _unb64(payload_part)
    except (ValueError, binascii.Error):
        return None
    if not payload:
        return None
    if payload[0] & KEYED:
        held = [s for s in held if len(payload) > 1 and key_id(s) == payload[1]]
    if not any(hmac.compare_digest(mac.encode(), _mac(s, payload).encode()) for s in held):
        return None
    try:
        alert_id, member_id, expires = _decode(payload)
    except (ValueError, UnicodeDecodeError, IndexError):
        return None
    if expires < (time.time() if now is None else now):
        return None
    return alert_id, member_id


CODE_PURPOSE = b"timpora-step-up-code-v1|"
CODE_DIGITS = 6


def new_code() -> str:
    """A one-time code: six digits (typed on a phone), from the system's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(secret: str, request_id: str, code: str) -> str:
    """The stored form of a one-time code: an HMAC bound to its request, so a leaked
    table gives no code and a code never verifies for another request."""
    message = CODE_PURPOSE + request_id.encode() + b"|" + code.strip().encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def ack_url(base_url: str, token: str) -> str:
    """The link a member opens: ``{base_url}/a/{token}``."""
    return f"{base_url.rstrip('/')}/a/{token}"


def ack_code_for(alert_id: str, length: int = 5) -> str:
    """The alert's short ack code, 4-6 characters of :data:`ACK_ALPHABET`.

    Deterministic from the alert id (routing and notify derive the same code without
    sharing state); the same function routing uses, so codes always agree.
    """
    if not 4 <= length <= 6:
        raise ValueError("ack codes are 4-6 characters long")
    return _schema_ack_code(alert_id, length)


def is_ack_code(text: str) -> bool:
    """Whether ``text`` could be an ack code (case-insensitive)."""
    return bool(ACK_CODE.match(text.strip().upper()))


__all__ = [
    "ACK_ALPHABET",
    "ack_code_for",
    "ack_url",
    "code_digest",
    "is_ack_code",
    "key_id",
    "make_token",
    "new_code",
    "verify_token",
]
