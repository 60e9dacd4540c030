"""Signed ack links: an HMAC over (alert, member, expiry), URL-safe, constant-time checked."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(
    secret: str, alert_id: str, member_id: str, ttl: timedelta, now: float | None = None
) -> str:
    expires = int((now if now is not None else time.time()) + ttl.total_seconds())
    payload = f"{alert_id}.{member_id}.{expires}".encode()
    signature = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:18]
    return f"{_b64(payload)}.{_b64(signature)}"


def verify_token(secret: str, token: str, now: float | None = None) -> tuple[str, str] | None:
    """(alert_id, member_id) when the token is authentic and unexpired, else None."""
    try:
        payload_part, signature_part = token.split(".", 1)
        payload, signature = _unb64(payload_part), _unb64(signature_part)
        expected = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:18]
        if not hmac.compare_digest(signature, expected):
            return None
        alert_id, member_id, expires = payload.decode().split(".")
        if int(expires) < (now if now is not None else time.time()):
            return None
    except (ValueError, UnicodeDecodeError):
        return None
    return alert_id, member_id
