"""Generic webhook: the (masked) alert as JSON, signed with HMAC-SHA256 of the body.

Headers: ``X-Timpora-Signature: sha256=<hex>`` (GitHub-style, so receivers can reuse
their verification code) and ``X-Timpora-Delivery: <delivery key>`` (a receiver that
saw the key before can drop the retry). The URL is the member's ``webhook_url``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

from notify_service.channels.base import (
    HttpChannel,
    OutgoingMessage,
    PermanentError,
    SendResult,
    raise_for_status,
)

SIGNATURE_HEADER = "X-Timpora-Signature"
DELIVERY_HEADER = "X-Timpora-Delivery"


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Receiver side (constant-time): does ``header`` sign ``body``?"""
    return bool(header) and hmac.compare_digest(signature(secret, body), header or "")


def fallback_body(msg: OutgoingMessage) -> bytes:
    """JSON for a message sent without an alert payload (the body must stay JSON)."""
    data = {"subject": msg.subject, "text": msg.text, "delivery_key": msg.delivery_key}
    return json.dumps(data, ensure_ascii=False).encode()


class WebhookChannel(HttpChannel):
    name = "webhook"
    provider = "webhook"

    def __init__(self, secret: str, **kw: Any) -> None:
        super().__init__(**kw)
        if not secret:
            raise ValueError("a webhook secret is required")
        self.secret = secret

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if urlsplit(msg.to_address).scheme not in ("http", "https"):
            raise PermanentError("webhook: URL must be http(s)")
        body = msg.payload if msg.payload is not None else fallback_body(msg)
        response = await self.request(
            "POST",
            msg.to_address,
            content=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(self.secret, body),
                DELIVERY_HEADER: msg.delivery_key,
            },
        )
        raise_for_status(response, self.provider)
        return SendResult(provider_message_id=msg.delivery_key)
