"""WhatsApp Cloud API webhooks → one text report per incoming message.

The body is Meta's notification::

    {"object": "whatsapp_business_account",
     "entry": [{"id": "WABA_ID", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "1234"},
        "contacts": [{"profile": {"name": "Budi"}, "wa_id": "6281234567890"}],
        "messages": [{"from": "6281234567890", "id": "wamid.HBgM...", "timestamp": "1768198200",
                      "type": "text", "text": {"body": "LAPOR Satui ada 5 WNA kerja"}}]}}]}]}

Every message of every change becomes one :class:`Parsed` (index in reading order).
``type: text`` uses ``text.body``; an image/video/document with a caption uses the caption;
other types (audio, location, reaction, interactive...) are ``unsupported_message``.
A payload with only delivery ``statuses`` yields the single ignorable reason
``no_messages``, which a webhook must still acknowledge with 200.
"""

from __future__ import annotations

from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import MAX_BATCH, Parsed, SourceContext, fail, load_json, reason
from ingest_service.formats.text.report import TextMessage, parse_text_report
from shared.schemas import SourceFormat

CAPTIONED = ("image", "video", "document")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def collect_messages(data: Any) -> tuple[list[tuple[dict[str, Any], dict[str, str]]], bool]:
    """(message, {wa_id: profile name}) pairs in order, and whether the shape was right."""
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        return [], False
    out: list[tuple[dict[str, Any], dict[str, str]]] = []
    for entry in _list(data["entry"]):
        if not isinstance(entry, dict):
            continue
        for change in _list(entry.get("changes")):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            names = {
                str(c.get("wa_id")): str(c["profile"]["name"])
                for c in _list(value.get("contacts"))
                if isinstance(c, dict)
                and isinstance(c.get("profile"), dict)
                and isinstance(c["profile"].get("name"), str)
            }
            out.extend((m, names) for m in _list(value.get("messages")))
    return out, True


def parse_whatsapp(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    data, problem = load_json(raw)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    messages, shaped = collect_messages(data)
    if not shaped:
        return fail(None, "invalid_payload", "expected a WhatsApp webhook with 'entry'")
    if not messages:
        return fail(None, "no_messages", "the notification holds no incoming message")
    if len(messages) > MAX_BATCH:
        return fail(None, "batch_too_large", f"at most {MAX_BATCH} messages per body")
    return [parse_message(m, names, i, ctx) for i, (m, names) in enumerate(messages)]


def _message_text(message: dict[str, Any]) -> str | None:
    kind = message.get("type")
    if kind == "text" and isinstance(message.get("text"), dict):
        body = message["text"].get("body")
        return body if isinstance(body, str) else None
    if kind in CAPTIONED and isinstance(message.get(kind), dict):
        caption = message[kind].get("caption")
        return caption if isinstance(caption, str) else None
    return None


def parse_message(message: Any, names: dict[str, str], index: int, ctx: SourceContext) -> Parsed:
    """One incoming message → a report, or ``unsupported_message``."""
    if not isinstance(message, dict):
        return Parsed(
            index, None, [reason("not_an_object", "a message must be an object", index=index)]
        )
    text = _message_text(message)
    if not text or not text.strip():
        kind = str(message.get("type", "unknown"))[:30]
        return Parsed(
            index,
            None,
            [
                reason(
                    "unsupported_message",
                    f"message of type '{kind}' is not a text report",
                    index=index,
                )
            ],
        )
    sender = message.get("from")
    sender = str(sender) if isinstance(sender, str | int) and not isinstance(sender, bool) else None
    try:
        occurred_at = nz.from_epoch(message.get("timestamp"))
    except ValueError:
        occurred_at = None
    msg_id = message.get("id")
    name = names.get(sender or "")
    envelope = TextMessage(
        text=text,
        phone=nz.to_e164(sender, international=True) if sender else None,
        reporter_name=name[:200] if name else None,
        occurred_at=occurred_at,
        upstream_ref=str(msg_id)[:200] if isinstance(msg_id, str) else None,
    )
    return parse_text_report(envelope, index, ctx, SourceFormat.whatsapp)
