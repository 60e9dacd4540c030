"""Telegram Bot API ``sendMessage`` with an inline "acknowledge" button."""

from __future__ import annotations

from notify_service.channels.base import (
    HttpChannel,
    OutgoingMessage,
    PermanentError,
    SendResult,
    TransientError,
)


class TelegramChannel(HttpChannel):
    name = "telegram"

    def __init__(self, base_url: str, token: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"

    async def send(self, msg: OutgoingMessage) -> SendResult:
        body: dict[str, object] = {"chat_id": msg.to_address, "text": msg.text}
        if msg.ack_code:
            body["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": "✅ Terima (ACK)", "callback_data": f"ack:{msg.ack_code}"}]
                ]
            }
        response = await self.request("POST", self.url, json=body)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code < 300 and data.get("ok"):
            return SendResult(provider_message_id=str(data["result"]["message_id"]))
        code = data.get("error_code", response.status_code)
        description = str(data.get("description", response.text))[:200]
        if code == 429 or code >= 500:
            retry = (data.get("parameters") or {}).get("retry_after")
            raise TransientError(f"telegram {code}: {description}", retry)
        raise PermanentError(f"telegram {code}: {description}")
