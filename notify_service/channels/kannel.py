"""SMS through Kannel's ``sendsms`` HTTP interface (GET /cgi-bin/sendsms)."""

from __future__ import annotations

from notify_service.channels.base import (
    HttpChannel,
    OutgoingMessage,
    SendResult,
    TransientError,
    raise_for_status,
)
from notify_service.render import is_gsm7


class KannelChannel(HttpChannel):
    name = "sms"

    def __init__(self, url: str, username: str, password: str, sender: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.url, self.username, self.password, self.sender = url, username, password, sender

    async def send(self, msg: OutgoingMessage) -> SendResult:
        params = {
            "username": self.username,
            "password": self.password,
            "from": self.sender,
            "to": msg.to_address,
            "text": msg.text,
            "charset": "UTF-8",
        }
        if not is_gsm7(msg.text):
            params["coding"] = "2"  # UCS-2
        response = await self.request("GET", self.url, params=params)
        raise_for_status(response, "kannel")
        # "0: Accepted for delivery" or "3: Queued for later delivery"
        if not response.text.startswith(("0:", "3:")):
            raise TransientError(f"kannel: unexpected answer {response.text[:100]!r}")
        return SendResult(provider_message_id=msg.delivery_key)
