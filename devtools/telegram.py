"""Fake Telegram Bot API: ``sendMessage`` as in Bot API 7.x (``link_preview_options``) and
``answerCallbackQuery``.

``POST /bot<token>/sendMessage`` with a JSON body: ``chat_id`` (integer or ``@channel``
string), ``text`` (1-4096 characters, counted in UTF-16 code units as Telegram does),
optional ``reply_markup`` (an ``inline_keyboard``: an array of arrays of buttons, each with
``text`` and 1-64 bytes of ``callback_data``); other fields pass unchecked. The whole
body is kept as the message's ``meta``.

Success: 200 ``{"ok": true, "result": {"message_id": N, "chat": {...}}}``. Errors as the
Bot API gives them: ``{"ok": false, "error_code": ..., "description": ...}`` (401
``Unauthorized`` for a wrong token; 400 ``Bad Request: chat_id is empty``, ``... message
text is empty``, ``... message is too long``, ``... BUTTON_DATA_INVALID``); a scripted 429
carries ``parameters.retry_after`` and ``Too Many Requests: retry after N``.

``POST /bot<token>/answerCallbackQuery`` with ``callback_query_id`` (required, a string)
and optional ``text`` (0-200 characters), ``show_alert``, ``url``, ``cache_time``: answers
``{"ok": true, "result": true}`` and keeps ``{"callback_query_id", "text", ...}`` in
``callback_answers`` (a toast, not a message: not in ``received``). A missing id is
``400 Bad Request: query is too old and response timeout expired or query ID is invalid``
as the Bot API says; so is answering the same query twice.
"""

from __future__ import annotations

import re
from typing import Any

from devtools.base import OnReceive, Received
from devtools.http_server import JSON, HttpFake, Request, Response

TOKEN = "123456:TEST-TOKEN"


class TelegramGateway(HttpFake):
    """Bot API ``sendMessage``: token in the path, JSON body, Telegram's answer shapes."""

    channel = "telegram"
    route = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>sendMessage|answerCallbackQuery)")

    def __init__(
        self,
        token: str = TOKEN,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
    ) -> None:
        super().__init__(port=port, fast=fast, on_receive=on_receive)
        self.token = token
        self.callback_answers: list[dict[str, Any]] = []  # answerCallbackQuery bodies

    @property
    def url(self) -> str:
        return f"{self.base_url}/bot{self.token}/sendMessage"

    def error_response(self, status: int, retry_after: float | None) -> Response:
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            wait = int(retry_after if retry_after is not None else 5)
            body["description"] = f"Too Many Requests: retry after {wait}"
            body["parameters"] = {"retry_after": wait}
        else:
            body["description"] = {500: "Internal Server Error", 502: "Bad Gateway"}.get(
                status, "Bad Request: scripted"
            )
        return Response.json(body, status)

    @staticmethod
    def _bad(description: str, code: int = 400) -> Response:
        return Response.json({"ok": False, "error_code": code, "description": description}, code)

    @staticmethod
    def _check_markup(markup: Any) -> str | None:
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            return "Bad Request: inline keyboard must be an array of arrays"
        for button in (b for row in rows for b in row):
            data = button.get("callback_data", "") if isinstance(button, dict) else None
            if data is None or not button.get("text") or not 1 <= len(data.encode()) <= 64:
                return "Bad Request: BUTTON_DATA_INVALID"
        return None

    def answer(self, request: Request) -> Response:
        if request.params["token"] != self.token:
            return self._bad("Unauthorized", 401)
        try:
            body = request.json()
        except ValueError:
            return self._bad("Bad Request: invalid JSON")
        if not isinstance(body, dict):
            return self._bad("Bad Request: invalid JSON")
        if request.params["method"] == "answerCallbackQuery":
            return self._answer_callback(body)
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(chat_id, int | str) or isinstance(chat_id, bool) or chat_id == "":
            return self._bad("Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._bad("Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._bad("Bad Request: message is too long")
        if "reply_markup" in body and (problem := self._check_markup(body["reply_markup"])):
            return self._bad(problem)
        message_id = self.next_id()
        self.record(Received("telegram", str(chat_id), text, meta=body))
        chat = {"id": chat_id, "type": "private"}
        return Response.json({"ok": True, "result": {"message_id": message_id, "chat": chat}})

    def _answer_callback(self, body: dict[str, Any]) -> Response:
        query_id, text = body.get("callback_query_id"), body.get("text", "")
        answered = {a["callback_query_id"] for a in self.callback_answers}
        if not isinstance(query_id, str) or not query_id or query_id in answered:
            return self._bad(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        if not isinstance(text, str) or len(text) > 200:
            return self._bad("Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(body)
        return Response.json({"ok": True, "result": True})

    def fast_answer(self, request: Request) -> Response:
        return Response(200, b'{"ok":true,"result":{"message_id":%d}}' % self.next_id(), JSON)
