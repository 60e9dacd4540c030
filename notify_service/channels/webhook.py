"""Generic webhook: the (masked) alert as JSON, signed with HMAC-SHA256 of the body."""

from __future__ import annotations

import hashlib
import hmac

from notify_service.channels.base import HttpChannel, OutgoingMessage, SendResult, raise_for_status


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel(HttpChannel):
    name = "webhook"

    def __init__(self, secret: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.secret = secret

    async def send(self, msg: OutgoingMessage) -> SendResult:
        body = msg.payload or msg.text.encode()
        response = await self.request(
            "POST",
            msg.to_address,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Timpora-Signature": signature(self.secret, body),
                "X-Timpora-Delivery": msg.delivery_key,
            },
        )
        raise_for_status(response, "webhook")
        return SendResult(provider_message_id=msg.delivery_key)
