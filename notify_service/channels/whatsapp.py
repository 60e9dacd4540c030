"""WhatsApp Cloud API: ``POST {base_url}/{api_version}/{phone_number_id}/messages``.

Bearer token; JSON ``{"messaging_product": "whatsapp", "recipient_type": "individual",
"to": <digits>, "type": "text", "text": {"body": ..., "preview_url": false}}``; answer
``{"messages": [{"id": "wamid..."}]}``. Errors are ``{"error": {"code": N, "message":
...}}``: HTTP 429/5xx and the throttling codes are transient; the rest (bad token,
unknown number, outside the 24-hour customer-service window, which needs an approved
template) is permanent, so the engine falls back to the member's next channel (SMS).
Link previews are off (the signed link shows full details).
"""

from __future__ import annotations

import re
from typing import Any

from notify_service.channels.base import (
    HttpAnswer,
    HttpChannel,
    OutgoingMessage,
    PermanentError,
    SendResult,
    TransientError,
    is_transient_status,
    json_or_none,
    parse_retry_after,
    short_body,
)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
# Graph API throttling / temporary errors: 4 app rate limit, 80007 account rate limit,
# 130429 throughput reached, 131048 spam rate limit, 131056 pair rate limit,
# 131000 something went wrong, 131016 service unavailable, 2 temporary API error.
TRANSIENT_CODES = frozenset({2, 4, 80007, 130429, 131000, 131016, 131048, 131056})


def wa_number(address: str) -> str:
    """The recipient as the Cloud API wants it: country code and number, digits only."""
    return re.sub(r"\D", "", address)


class WhatsAppChannel(HttpChannel):
    name = "whatsapp"
    provider = "whatsapp"

    def __init__(
        self,
        base_url: str | None,
        token: str,
        phone_number_id: str,
        api_version: str = DEFAULT_API_VERSION,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        base = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.url = f"{base}/{api_version}/{phone_number_id}/messages"
        self.token = token

    def body(self, msg: OutgoingMessage) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": wa_number(msg.to_address),
            "type": "text",
            "text": {"body": msg.text, "preview_url": False},
        }

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not wa_number(msg.to_address):
            raise PermanentError("whatsapp: no phone number")
        response = await self.request(
            "POST", self.url, json=self.body(msg), headers={"Authorization": f"Bearer {self.token}"}
        )
        return self._result(response)

    def _result(self, response: HttpAnswer) -> SendResult:
        data = json_or_none(response)
        data = data if isinstance(data, dict) else {}
        if 200 <= response.status_code < 300:
            messages = data.get("messages")
            if isinstance(messages, list) and messages and isinstance(messages[0], dict):
                return SendResult(provider_message_id=str(messages[0].get("id") or "") or None)
            raise PermanentError(f"whatsapp: unexpected answer {short_body(response)!r}")
        error = data.get("error")
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        detail = error.get("message") or short_body(response)
        message = f"whatsapp HTTP {response.status_code} code {code}: {detail}"
        if is_transient_status(response.status_code) or code in TRANSIENT_CODES:
            raise TransientError(message, parse_retry_after(response.headers.get("retry-after")))
        raise PermanentError(message)
