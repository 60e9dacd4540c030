"""WhatsApp Cloud API: POST /{version}/{phone_number_id}/messages (text message)."""

from __future__ import annotations

from notify_service.channels.base import HttpChannel, OutgoingMessage, SendResult, raise_for_status


class WhatsAppChannel(HttpChannel):
    name = "whatsapp"

    def __init__(
        self,
        base_url: str,
        token: str,
        phone_number_id: str,
        api_version: str = "v21.0",
        **kw: object,
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.url = f"{base_url.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self.token = token

    async def send(self, msg: OutgoingMessage) -> SendResult:
        response = await self.request(
            "POST",
            self.url,
            json={
                "messaging_product": "whatsapp",
                "to": msg.to_address.lstrip("+"),
                "type": "text",
                "text": {"body": msg.text, "preview_url": False},
            },
            headers={"Authorization": f"Bearer {self.token}"},
        )
        raise_for_status(response, "whatsapp")
        return SendResult(provider_message_id=response.json()["messages"][0]["id"])
