"""WhatsApp Cloud API: ``POST {base_url}/{api_version}/{phone_number_id}/messages``.

Bearer token; JSON ``{"messaging_product": "whatsapp", "recipient_type": "individual",
"to": <digits>, "type": ...}``; answer ``{"messages": [{"id": "wamid..."}]}``.

What goes out depends on the member's 24-hour customer-service window
(:func:`notify_service.whatsapp_window.whatsapp_mode` on ``msg.last_inbound_at``):

* inside it, the chat text as an ``interactive`` message with one reply button
  (``{"type": "reply", "reply": {"id": "ack:<code>", "title": "Terima"}}``) when the text
  fits its 1,024-character body, else as ``text`` (the member replies ``OK <code>``);
  a message without an ack code (a notice, a one-time code) is ``text``;
* outside it, an alert is the approved template (``type: template``: name, language,
  the body parameters of ``msg.template``, and the quick-reply button's payload
  ``ack:<code>``; :mod:`notify_service.whatsapp_templates`); a one-time code is the
  authentication template (the code as the body's parameter and as the copy-code
  button's, ``sub_type: url``) unless none is configured. Anything else (a notice: no
  template is registered for those) is refused here, without a request: Meta would
  accept it and then fail it with 131047.

Errors are ``{"error": {"code": N, "message": ...}}``: HTTP 429/5xx and the throttling
codes are transient; the rest (bad token, unknown number, unknown template 132001,
parameter count 132000, parameter format 132018) is permanent, so the engine falls back
to the member's next channel (SMS). Link previews are off (the signed link shows full
details).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
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
from notify_service.whatsapp_templates import (
    ACK_PAYLOAD,
    ALERT_TEMPLATE,
    CODE_TEMPLATE,
    INTERACTIVE_BODY_MAX,
    alert_template,
    code_template,
)
from notify_service.whatsapp_window import Mode, whatsapp_mode
from shared.schemas import utcnow

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
# Graph API throttling / temporary errors: 4 app rate limit, 80007 account rate limit,
# 130429 throughput reached, 131048 spam rate limit, 131056 pair rate limit,
# 131000 something went wrong, 131016 service unavailable, 2 temporary API error.
TRANSIENT_CODES = frozenset({2, 4, 80007, 130429, 131000, 131016, 131048, 131056})
THROTTLED_CODES = frozenset({80007, 130429})  # the account's throughput: every instance waits


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
        *,
        template_name: str = ALERT_TEMPLATE,
        code_template_name: str = CODE_TEMPLATE,
        clock: Callable[[], datetime] = utcnow,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        base = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.url = f"{base}/{api_version}/{phone_number_id}/messages"
        self.token = token
        self.template_name = template_name
        self.code_template_name = code_template_name
        self.clock = clock

    def mode(self, msg: OutgoingMessage) -> Mode:
        return whatsapp_mode(msg.last_inbound_at, self.clock())

    def body(self, msg: OutgoingMessage, mode: Mode) -> dict[str, Any]:
        """The request body for ``msg`` in ``mode`` (see the module docstring)."""
        head: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": wa_number(msg.to_address),
        }
        if mode == "template" and msg.one_time_code and self.code_template_name:
            return head | {"type": "template", "template": self._code(msg, msg.one_time_code)}
        if mode == "template":
            if msg.template is None or not msg.ack_code:
                raise PermanentError(
                    "whatsapp: outside the 24-hour window, and no template for this message"
                )
            return head | {"type": "template", "template": self._template(msg, msg.ack_code)}
        if msg.ack_code and len(msg.text) <= INTERACTIVE_BODY_MAX:
            return head | {"type": "interactive", "interactive": self._buttons(msg, msg.ack_code)}
        return head | {"type": "text", "text": {"body": msg.text, "preview_url": False}}

    def _template(self, msg: OutgoingMessage, code: str) -> dict[str, Any]:
        assert msg.template is not None
        language, values = msg.template
        button = {"type": "payload", "payload": ACK_PAYLOAD.format(code=code)}
        return {
            "name": self.template_name,
            "language": {"code": language},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]},
                {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [button]},
            ],
        }

    def _code(self, msg: OutgoingMessage, code: str) -> dict[str, Any]:
        language = code_template(msg.language, self.code_template_name).language
        value = [{"type": "text", "text": code}]
        return {
            "name": self.code_template_name,
            "language": {"code": language},
            "components": [
                {"type": "body", "parameters": value},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": value},
            ],
        }

    @staticmethod
    def _buttons(msg: OutgoingMessage, code: str) -> dict[str, Any]:
        language = msg.template[0] if msg.template else "id"
        title = alert_template(language).button
        reply = {"id": ACK_PAYLOAD.format(code=code), "title": title}
        return {
            "type": "button",
            "body": {"text": msg.text},
            "action": {"buttons": [{"type": "reply", "reply": reply}]},
        }

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not wa_number(msg.to_address):
            raise PermanentError("whatsapp: no phone number")
        response = await self.request(
            "POST",
            self.url,
            json=self.body(msg, self.mode(msg)),
            headers={"Authorization": f"Bearer {self.token}"},
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
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            throttled = response.status_code == 429 or code in THROTTLED_CODES
            raise TransientError(message, retry_after, throttled=throttled)
        raise PermanentError(message)
