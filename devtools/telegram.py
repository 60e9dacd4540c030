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
carries ``parameters.retry_after`` and ``Too Many Requests: retry after N``, as does a send over
the bot's ``rate_limit`` or a chat's ``chat_limit``/``group_limit`` (the Bot API FAQ's
30 per second per bot, 1 per second per chat, 20 per minute per group, when a test sets
them); ``windows`` keeps the arrival times per chat to measure the rates seen.

``POST /bot<token>/answerCallbackQuery`` with ``callback_query_id`` (required, a string)
and optional ``text`` (0-200 characters), ``show_alert``, ``url``, ``cache_time``: answers
``{"ok": true, "result": true}`` and keeps ``{"callback_query_id", "text", ...}`` in
``callback_answers`` (a toast, not a message: not in ``received``). A missing id is
``400 Bad Request: query is too old and response timeout expired or query ID is invalid``
as the Bot API says; so is answering the same query twice.

Groups: a negative ``chat_id`` is a group (``-100...``: a supergroup), answered with that
chat ``type``. ``POST /bot<token>/editMessageText`` with ``chat_id``, ``message_id``,
``text`` and optional ``reply_markup`` edits a message sent before: kept in ``edits``
(not in ``received``: nobody gets a new message) and answered with the edited Message;
``400 Bad Request: message to edit not found`` for another chat's or an unknown message,
``... message is not modified: ...`` when text and keyboard are the same as before.
:meth:`TelegramGateway.press` posts a member's button press to the service's webhook as
Telegram does (Bot API 7.x/8.x ``Update``: ``update_id`` and a ``callback_query`` with
``id``, ``from`` (the user), ``message`` (the pressed message, with its ``chat``),
``chat_instance`` and ``data``), with the ``X-Telegram-Bot-Api-Secret-Token`` header.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from typing import TYPE_CHECKING, Any

from devtools.base import OnReceive, Received
from devtools.http_server import JSON, HttpFake, Request, Response

if TYPE_CHECKING:
    import httpx

TOKEN = "123456:TEST-TOKEN"


def chat_of(chat_id: int | str) -> dict[str, Any]:
    """The ``Chat`` of a chat id as Telegram shapes it: negative ids are groups (``-100``
    and the rest: a supergroup), positive ones private chats, ``@name`` a channel."""
    text = str(chat_id)
    if text.startswith("@"):
        return {"id": chat_id, "type": "channel", "username": text[1:]}
    if text.startswith("-"):
        kind = "supergroup" if text.startswith("-100") else "group"
        return {"id": int(text), "type": kind, "title": f"Grup {text}"}
    return {"id": int(text) if text.isdigit() else chat_id, "type": "private"}


class TelegramGateway(HttpFake):
    """Bot API ``sendMessage``: token in the path, JSON body, Telegram's answer shapes."""

    channel = "telegram"
    route = re.compile(
        r"/bot(?P<token>[^/]+)/(?P<method>sendMessage|answerCallbackQuery|editMessageText)"
    )

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
        # Flood limits (None: none): (count, seconds) per private chat and per group, over
        # a sliding window per chat (``windows``, key ``chat:<id>``); the bot's own limit
        # is ``rate_limit`` (every request). Over a limit: 429 with parameters.retry_after.
        self.chat_limit: tuple[float, float] | None = None
        self.group_limit: tuple[float, float] | None = None
        self.edits: list[dict[str, Any]] = []  # editMessageText bodies that edited a message
        self.messages: dict[tuple[str, int], dict[str, Any]] = {}  # (chat, id) -> Message
        self._updates = 0

    @property
    def url(self) -> str:
        return f"{self.base_url}/bot{self.token}/sendMessage"

    def error_response(self, status: int, retry_after: float | None) -> Response:
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            wait = max(1, math.ceil(retry_after)) if retry_after is not None else 5
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
        if request.params["method"] == "editMessageText":
            return self._edit_message(body)
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(chat_id, int | str) or isinstance(chat_id, bool) or chat_id == "":
            return self._bad("Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._bad("Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._bad("Bad Request: message is too long")
        if "reply_markup" in body and (problem := self._check_markup(body["reply_markup"])):
            return self._bad(problem)
        if (wait := self._flood(str(chat_id), request.at)) is not None:
            return self.error_response(429, wait)
        message_id = self.next_id()
        self.record(Received("telegram", str(chat_id), text, meta=body))
        message = {"message_id": message_id, "chat": chat_of(chat_id), "date": int(time.time())}
        message |= {"text": text} | (
            {"reply_markup": body["reply_markup"]} if "reply_markup" in body else {}
        )
        self.messages[(str(chat_id), message_id)] = message
        return Response.json({"ok": True, "result": message})

    def _edit_message(self, body: dict[str, Any]) -> Response:
        chat_id, message_id, text = body.get("chat_id"), body.get("message_id"), body.get("text")
        message = (
            self.messages.get((str(chat_id), message_id)) if isinstance(message_id, int) else None
        )
        if message is None:
            return self._bad("Bad Request: message to edit not found")
        if not isinstance(text, str) or not text.strip():
            return self._bad("Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._bad("Bad Request: MESSAGE_TOO_LONG")
        markup = body.get("reply_markup")
        if markup is not None and (problem := self._check_markup(markup)):
            return self._bad(problem)
        if text == message["text"] and markup == message.get("reply_markup"):
            return self._bad(
                "Bad Request: message is not modified: specified new message content and reply"
                " markup are exactly the same as a current content and reply markup of the message"
            )
        message["text"], message["edit_date"] = text, int(time.time())
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        self.edits.append(body)
        return Response.json({"ok": True, "result": message})

    def callback_update(
        self, *, user_id: int, chat_id: int | str, message_id: int, data: str | None = None
    ) -> dict[str, Any]:
        """The ``Update`` Telegram posts when ``user_id`` presses the button of a message
        the bot sent to ``chat_id`` (``data``: the button's ``callback_data``, by default
        the first button's)."""
        message = self.messages.get((str(chat_id), message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        if data is None:
            data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        self._updates += 1
        bot = {"id": int(self.token.partition(":")[0]), "is_bot": True, "first_name": "Timpora"}
        query = {
            "id": f"{user_id}{self._updates:06d}",
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": "Anggota",
                "language_code": "id",
            },
            "message": {**message, "from": bot | {"username": "TimporaBot"}},
            "chat_instance": str(int(hashlib.sha256(str(chat_id).encode()).hexdigest()[:15], 16)),
            "data": data,
        }
        return {"update_id": 100000 + self._updates, "callback_query": query}

    async def press(
        self,
        client: httpx.AsyncClient,
        *,
        secret: str,
        user_id: int,
        chat_id: int | str,
        message_id: int,
        data: str | None = None,
        path: str = "/v1/webhooks/telegram",
    ) -> httpx.Response:
        """Post a button press to the service's webhook as Telegram does."""
        update = self.callback_update(
            user_id=user_id, chat_id=chat_id, message_id=message_id, data=data
        )
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        return await client.post(path, json=update, headers=headers)

    def _flood(self, chat: str, now: float) -> int | None:
        """Seconds to wait when this chat is over its limit (this send counted)."""
        key = f"chat:{chat}"
        self.windows.hit(key, now)
        group = chat.startswith(("-", "@"))
        return self.over_limit(key, self.group_limit if group else self.chat_limit, now)

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
