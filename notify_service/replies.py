"""What a member's reply says, whatever the channel (pure: no I/O).

One grammar for SMS, Telegram and WhatsApp text (and button data):

* ``OK 7KQ2M`` (also ``ok``, ``/ack``, ``ack:``, ``terima``, ``siap``, or the bare code):
  the member takes the alert (``action="ack"``);
* ``SELESAI 7KQ2M [catatan]`` (also ``selesai``, ``/selesai``, ``close``, ``tutup``): the
  alert is resolved (``action="close"``), with an optional note;
* anything else is not a reply (``None``).

Telegram commands in groups arrive as ``/ack@TimporaBot 7KQ2M``; the bot name is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from shared.phones import to_e164
from shared.schemas import ACK_ALPHABET

Action = Literal["ack", "close"]
NOTE_MAX = 500  # AlertAcknowledged.note
ACK_WORDS = frozenset({"ack", "ok", "terima", "siap"})
CLOSE_WORDS = frozenset({"selesai", "close", "tutup"})
CODE = f"[{ACK_ALPHABET}]{{4,6}}"  # no 0/O, 1/I: "terima kasih" is not code KASIH
REPLY_MAX = 2000  # longer than any reply (code + a 500-character note): the rest is ignored
# Matched on the stripped text: a leading ``\s*`` beside ``[\s:]*`` gave the engine a
# quadratic number of ways to split a run of spaces (50,000 spaces took 19 s).
REPLY = re.compile(
    r"(?:/?(?P<word>ack|ok|terima|siap|selesai|close|tutup)(?:@\w+)?)?"
    rf"[\s:]*(?P<code>{CODE})\b[\s:.,;-]*(?P<note>.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Reply:
    action: Action
    code: str  # upper case
    note: str | None = None  # closes only


def parse_reply(text: str) -> Reply | None:
    """The ack or close a reply asks for, or ``None`` (see the module docstring)."""
    text = text.strip()[:REPLY_MAX]
    found = REPLY.match(text.replace("ack:", "ack ").replace("close:", "close "))
    if found is None:
        return None
    word = (found.group("word") or "ok").lower()
    code = found.group("code").upper()
    if word in CLOSE_WORDS:
        note = " ".join(found.group("note").split())[:NOTE_MAX]
        return Reply("close", code, note or None)
    return Reply("ack", code)


@dataclass(frozen=True)
class WhatsAppMessage:
    """One inbound message of a Cloud API notification."""

    sender: str  # E.164
    text: str | None  # what may be a reply: text body, button payload/id, else its title
    at: datetime | None  # Meta's ``timestamp`` (when the member sent it)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _timestamp(value: Any) -> datetime | None:
    """Meta's ``timestamp``: Unix seconds as a string."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 2**33 else None
    except (ValueError, OverflowError, OSError):
        return None


def _reply_text(m: dict[str, Any]) -> str | None:
    """A text's body; a template quick-reply's ``button.payload`` (else its ``text``); an
    interactive reply button's ``button_reply.id`` (else its ``title``)."""
    button, reply = _obj(m.get("button")), _obj(_obj(m.get("interactive")).get("button_reply"))
    for text in (
        _obj(m.get("text")).get("body"),
        button.get("payload"),
        reply.get("id"),
        button.get("text"),
        reply.get("title"),
    ):
        if isinstance(text, str) and text:
            return text.replace("ack:", "ack ")
    return None


def whatsapp_messages(data: Any) -> list[WhatsAppMessage]:
    """Every message of a Cloud API notification with a usable sender, any type (each one
    opens the sender's 24-hour window); delivery ``statuses`` are left out. Any shape is
    tolerated. The ``from`` is the country code and number without ``+``."""
    out: list[WhatsAppMessage] = []
    for entry in _items(_obj(data).get("entry")):
        for change in _items(_obj(entry).get("changes")):
            for m in map(_obj, _items(_obj(_obj(change).get("value")).get("messages"))):
                sender = m.get("from")
                if not isinstance(sender, str | int) or isinstance(sender, bool):
                    continue
                e164 = to_e164(str(sender), international=True)
                if e164:
                    out.append(
                        WhatsAppMessage(e164, _reply_text(m), _timestamp(m.get("timestamp")))
                    )
    return out


def whatsapp_replies(data: Any) -> list[tuple[str, str]]:
    """(sender as E.164, text) of the messages that may be replies (see
    :func:`whatsapp_messages`; messages without text are left out)."""
    return [(m.sender, m.text) for m in whatsapp_messages(data) if m.text is not None]


@dataclass(frozen=True)
class TelegramUpdate:
    chat_id: str  # the presser (callback) or the chat the command came from
    text: str
    callback_query_id: str | None = None  # set for a button press: it must be answered
    group_chat_id: str | None = None  # a press on a message in a group or supergroup
    message_id: int | None = None  # ... and that message's id

    @property
    def group_press(self) -> bool:
        return bool(self.callback_query_id and self.group_chat_id and self.message_id)


GROUP_CHATS = frozenset({"group", "supergroup"})


def _group_message(callback: dict[str, Any]) -> tuple[str | None, int | None]:
    """The group chat id and message id a button press came from (Bot API
    ``callback_query.message``: ``message_id`` and ``chat{id, type}``), else ``None``s."""
    message = _obj(callback.get("message"))
    chat, message_id = _obj(message.get("chat")), message.get("message_id")
    chat_id = chat.get("id")
    if chat.get("type") not in GROUP_CHATS or not isinstance(chat_id, int | str):
        return None, None
    if not isinstance(message_id, int) or isinstance(message_id, bool) or isinstance(chat_id, bool):
        return None, None
    return str(chat_id), message_id


def telegram_update(update: Any) -> TelegramUpdate | None:
    """The sender, text and callback id of a Bot API update (``None`` for other shapes);
    for a press in a group, the group's chat id and the message's id."""
    if not isinstance(update, dict):
        return None
    callback = update.get("callback_query")
    callback = callback if isinstance(callback, dict) else {}
    message = update.get("message")
    message = message if isinstance(message, dict) else {}
    who = callback.get("from") or message.get("chat") or {}
    chat = str(who.get("id", "")) if isinstance(who, dict) else ""
    text = callback.get("data") or message.get("text") or ""
    query_id = callback.get("id")
    group, message_id = _group_message(callback)
    return TelegramUpdate(
        chat,
        str(text),
        str(query_id) if isinstance(query_id, str | int) else None,
        group,
        message_id,
    )
