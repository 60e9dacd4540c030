"""A generic HTTP SMS provider: JSON POST {to, message, reference}, Bearer token."""

from __future__ import annotations

from notify_service.channels.base import HttpChannel, OutgoingMessage, SendResult, raise_for_status


class HttpSmsChannel(HttpChannel):
    name = "sms"

    def __init__(self, url: str, token: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.url, self.token = url, token

    async def send(self, msg: OutgoingMessage) -> SendResult:
        response = await self.request(
            "POST",
            self.url,
            json={"to": msg.to_address, "message": msg.text, "reference": msg.delivery_key},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        raise_for_status(response, "http-sms")
        return SendResult(provider_message_id=str(response.json().get("id") or msg.delivery_key))
