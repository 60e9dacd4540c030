"""A generic HTTP SMS provider: ``POST {url}`` JSON ``{to, message, reference}`` with a
Bearer token, answering ``{"id": ...}``.

Most Indonesian SMS aggregators' APIs have this shape; the delivery key goes in
``reference`` and the ``Idempotency-Key`` header, so a provider that honours either
drops a retried duplicate.
"""

from __future__ import annotations

from typing import Any

from notify_service.channels.base import (
    HttpChannel,
    OutgoingMessage,
    PermanentError,
    SendResult,
    json_or_none,
    raise_for_status,
)


class HttpSmsChannel(HttpChannel):
    name = "sms"
    provider = "http-sms"

    def __init__(self, url: str, token: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.url, self.token = url, token

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not msg.to_address.strip():
            raise PermanentError("http-sms: empty receiver number")
        response = await self.request(
            "POST",
            self.url,
            json={"to": msg.to_address, "message": msg.text, "reference": msg.delivery_key},
            headers={
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": msg.delivery_key,
            },
        )
        raise_for_status(response, self.provider)
        data = json_or_none(response)
        message_id = data.get("id") if isinstance(data, dict) else None
        return SendResult(provider_message_id=str(message_id) if message_id else msg.delivery_key)
