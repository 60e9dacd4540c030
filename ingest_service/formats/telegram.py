"""Telegram Bot API updates (webhook body, or a ``getUpdates`` response) → text reports.

A webhook delivers one ``Update``::

    {"update_id": 1001, "message": {"message_id": 42, "date": 1768198200,
      "from": {"id": 5551234, "is_bot": false, "first_name": "Budi"},
      "chat": {"id": -1001234567890, "type": "group", "title": "Timpora Satui"},
      "text": "LAPOR Satui ada 5 WNA kerja di tambang"}}

``message`` and ``channel_post`` with ``text`` (or a photo's ``caption``) are read; every
other update (edits, callback queries, stickers, joins) is answered with the ignorable
reason ``unsupported_update``: edits would duplicate a report and button presses are acks,
handled by the notify service. ``{"ok": true, "result": [...]}`` (polling) gives one item
per update. Telegram does not reveal phone numbers, so the reporter is the display name;
``upstream_ref`` is ``<chat id>:<message id>`` (message ids are per chat).
"""

from __future__ import annotations

from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import MAX_BATCH, Parsed, SourceContext, fail, load_json, reason
from ingest_service.formats.text.report import TextMessage, parse_text_report
from shared.schemas import SourceFormat

TEXT_UPDATES = ("message", "channel_post")


def parse_telegram(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    data, problem = load_json(raw)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    if isinstance(data, dict) and isinstance(data.get("result"), list):
        updates: list[Any] = data["result"]
        if not updates:
            return fail(None, "unsupported_update", "the response holds no update")
        if len(updates) > MAX_BATCH:
            return fail(None, "batch_too_large", f"at most {MAX_BATCH} updates per body")
        return [parse_update(u, i, ctx) for i, u in enumerate(updates)]
    return [parse_update(data, 0, ctx)]


def _unsupported(index: int, message: str) -> Parsed:
    return Parsed(index, None, [reason("unsupported_update", message, index=index)])


def parse_update(update: Any, index: int, ctx: SourceContext) -> Parsed:
    """One Update → a report, or ``unsupported_update`` for anything without text."""
    if not isinstance(update, dict):
        return Parsed(
            index, None, [reason("not_an_object", "an update must be an object", index=index)]
        )
    kind = next((k for k in TEXT_UPDATES if isinstance(update.get(k), dict)), None)
    if kind is None:
        other = next((k for k in update if k != "update_id"), "unknown")
        return _unsupported(index, f"update of type '{str(other)[:40]}' is not a report")
    message = update[kind]
    text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
    if not isinstance(text, str) or not text.strip():
        return _unsupported(index, "only text messages (or captions) are reports")
    return parse_text_report(_text_message(message, text), index, ctx, SourceFormat.telegram)


def _text_message(message: dict[str, Any], text: str) -> TextMessage:
    sender = message.get("from")
    sender = sender if isinstance(sender, dict) else {}
    chat = message.get("chat")
    chat = chat if isinstance(chat, dict) else {}
    name = " ".join(
        str(sender[k]) for k in ("first_name", "last_name") if isinstance(sender.get(k), str)
    ).strip() or (f"@{sender['username']}" if isinstance(sender.get("username"), str) else None)
    try:
        occurred_at = nz.from_epoch(message.get("date"))
    except ValueError:
        occurred_at = None
    chat_id, message_id = chat.get("id"), message.get("message_id")
    ref = f"{chat_id}:{message_id}" if chat_id is not None and message_id is not None else None
    who = sender.get("id") if sender.get("id") is not None else chat_id  # channel posts
    return TextMessage(
        text=text,
        sender=f"telegram:{who}" if who is not None else None,
        reporter_name=name[:200] if name else None,
        occurred_at=occurred_at,
        upstream_ref=ref[:200] if ref else None,
    )
