"""Telegram Bot API updates: text and captions become reports, the rest is ignorable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from ingest_service.formats import IGNORABLE_CODES, SourceContext, parse
from shared.schemas import Category, SourceFormat

from .conftest import codes, only_report


def test_sample(ctx: SourceContext, sample: Callable[[str], bytes]) -> None:
    report = only_report(parse("telegram", sample("telegram_update.json"), ctx))
    assert report.source_format is SourceFormat.telegram
    assert report.category is Category.illegal_work
    assert report.subject_count == 5
    assert [s.nationality for s in report.subjects] == ["CHN"]
    assert report.reporter.name == "Budi Santoso"
    assert report.reporter.phone is None
    assert report.upstream_ref == "-1001987654321:4521"
    assert report.occurred_at == datetime(2026, 1, 12, 6, 10, tzinfo=UTC)


def _update(**message: object) -> bytes:
    base = {"message_id": 1, "date": 1768198200, "chat": {"id": 7, "type": "private"},
            "from": {"id": 7, "is_bot": False, "first_name": "Ani"}}  # fmt: skip
    return orjson.dumps({"update_id": 1, "message": {**base, **message}})


def test_photo_caption_is_read(ctx: SourceContext) -> None:
    raw = _update(photo=[{"file_id": "x"}], caption="LAPOR Satui WNA narkoba")
    assert only_report(parse("telegram", raw, ctx)).category is Category.narcotics


def test_sticker_is_unsupported(ctx: SourceContext) -> None:
    [item] = parse("telegram", _update(sticker={"file_id": "x"}), ctx)
    assert codes(item) == ["unsupported_update"]
    assert set(codes(item)) <= IGNORABLE_CODES


def test_edits_and_callbacks_are_unsupported(ctx: SourceContext) -> None:
    edited = orjson.dumps({"update_id": 2, "edited_message": {"text": "LAPOR Satui"}})
    callback = orjson.dumps({"update_id": 3, "callback_query": {"id": "1", "data": "ack:AB12"}})
    assert codes(parse("telegram", edited, ctx)[0]) == ["unsupported_update"]
    assert codes(parse("telegram", callback, ctx)[0]) == ["unsupported_update"]


def test_chat_chatter_is_not_a_report(ctx: SourceContext) -> None:
    [item] = parse("telegram", _update(text="selamat pagi bapak ibu"), ctx)
    assert codes(item) == ["not_a_report"]


def test_get_updates_response(ctx: SourceContext) -> None:
    body = {"ok": True, "result": [
        orjson.loads(_update(text="LAPOR Satui ada WNA")),
        {"update_id": 9, "my_chat_member": {}},
    ]}  # fmt: skip
    first, second = parse("telegram", orjson.dumps(body), ctx)
    assert first.ok
    assert not second.ok
    assert second.index == 1


def test_channel_post_without_sender(ctx: SourceContext) -> None:
    raw = orjson.dumps({"update_id": 4, "channel_post": {
        "message_id": 3, "date": 1768198200, "chat": {"id": -100, "type": "channel"},
        "text": "LAPOR Angsana WNA overstay"}})  # fmt: skip
    report = only_report(parse("telegram", raw, ctx))
    assert report.reporter is None
    assert report.upstream_ref == "-100:3"


def test_garbage_shapes(ctx: SourceContext) -> None:
    assert codes(parse("telegram", b"[1,2]", ctx)[0]) == ["not_an_object"]
    assert codes(parse("telegram", b'{"message": {"text": 5}}', ctx)[0]) == ["unsupported_update"]
    assert codes(parse("telegram", b'{"ok": true, "result": [3]}', ctx)[0]) == ["not_an_object"]
    assert codes(parse("telegram", b'{"message": {"text": "LAPOR x", "date": "x"}}', ctx)[0]) == []
