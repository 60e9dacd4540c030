"""Telegram Bot API ``sendMessage`` with an inline "acknowledge" button.

``POST {base_url}/bot{token}/sendMessage`` JSON ``{chat_id, text, reply_markup,
link_preview_options}``; the button's ``callback_data`` is ``ack:<ack code>``, which the
notify service's Telegram webhook turns into an acknowledgement. Link previews are
off: Telegram's servers would fetch the signed link (which shows full details).

A button press must be answered (``answerCallbackQuery`` with ``callback_query_id`` and a
short ``text``, shown as a toast), else the button keeps spinning on the member's phone:
:meth:`TelegramChannel.answer_callback`.

Answers are ``{"ok": true, "result": {"message_id": N}}`` or ``{"ok": false,
"error_code": N, "description": ..., "parameters": {"retry_after": s}}``: 429 and 5xx
are transient (``retry_after`` honoured), other errors (chat not found, bot blocked,
bad token) permanent.

A team group's message is edited once someone took the alert (``editMessageText`` with
``chat_id``, ``message_id``, ``text`` and the new ``reply_markup``; the answer is the
edited message): :meth:`TelegramChannel.edit_message`.
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

ACK_BUTTON = "✅ Terima (ACK)"
DEFAULT_BASE_URL = "https://api.telegram.org"


def chat_id_value(chat_id: str) -> int | str:
    """Numeric chat ids as integers (Telegram's type), ``@channel`` names as strings."""
    return int(chat_id) if re.fullmatch(r"-?\d+", chat_id.strip()) else chat_id.strip()


def ack_keyboard(ack_code: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": ACK_BUTTON, "callback_data": f"ack:{ack_code}"}]]}


class TelegramChannel(HttpChannel):
    name = "telegram"
    provider = "telegram"

    def __init__(self, base_url: str | None, token: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.api = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/bot{token}"
        self.url = f"{self.api}/sendMessage"

    async def answer_callback(self, callback_query_id: str, text: str) -> None:
        """Stop the pressed button's spinner, showing ``text`` (at most 200 characters)."""
        body = {"callback_query_id": callback_query_id, "text": text[:200]}
        response = await self.request("POST", f"{self.api}/answerCallbackQuery", json=body)
        data = json_or_none(response)
        if not (200 <= response.status_code < 300 and isinstance(data, dict) and data.get("ok")):
            raise PermanentError(f"telegram answerCallbackQuery: {short_body(response)!r}")

    async def edit_message(
        self, chat_id: str, message_id: int, text: str, reply_markup: dict[str, Any]
    ) -> None:
        """``editMessageText`` of a message we sent (a team group's, once someone took the
        alert): the same text, another keyboard. Errors raise as ``send``'s do."""
        body = {
            "chat_id": chat_id_value(chat_id),
            "message_id": message_id,
            "text": text,
            "reply_markup": reply_markup,
            "link_preview_options": {"is_disabled": True},
        }
        response = await self.request("POST", f"{self.api}/editMessageText", json=body)
        data = json_or_none(response)
        if not (200 <= response.status_code < 300 and isinstance(data, dict) and data.get("ok")):
            self._result(response)  # raises the transient or permanent error it is
            raise PermanentError(f"telegram editMessageText: {short_body(response)!r}")

    def body(self, msg: OutgoingMessage) -> dict[str, Any]:
        body: dict[str, Any] = {
            "chat_id": chat_id_value(msg.to_address),
            "text": msg.text,
            "link_preview_options": {"is_disabled": True},
        }
        if msg.ack_code:
            body["reply_markup"] = ack_keyboard(msg.ack_code)
        return body

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not msg.to_address.strip():
            raise PermanentError("telegram: empty chat id")
        response = await self.request("POST", self.url, json=self.body(msg))
        return self._result(response)

    def _result(self, response: HttpAnswer) -> SendResult:
        data = json_or_none(response)
        data = data if isinstance(data, dict) else {}
        if 200 <= response.status_code < 300:
            message_id = (data.get("result") or {}).get("message_id") if data.get("ok") else None
            if message_id is None:
                # 2xx without Telegram's answer: it may have been sent, do not resend.
                raise PermanentError(f"telegram: unexpected answer {short_body(response)!r}")
            return SendResult(provider_message_id=str(message_id))
        code = data.get("error_code")
        code = code if isinstance(code, int) else response.status_code
        description = str(data.get("description") or short_body(response))[:200]
        if is_transient_status(code):
            retry = (data.get("parameters") or {}).get("retry_after")
            if not isinstance(retry, int | float):
                retry = parse_retry_after(response.headers.get("retry-after"))
            raise TransientError(f"telegram {code}: {description}", retry, throttled=code == 429)
        raise PermanentError(f"telegram {code}: {description}")
