"""WhatsApp Cloud API webhooks: one Parsed per message; statuses-only → no_messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from ingest_service.formats import IGNORABLE_CODES, MAX_BATCH, SourceContext, parse
from shared.schemas import Category, SourceFormat

from .conftest import codes


def test_sample(ctx: SourceContext, sample: Callable[[str], bytes]) -> None:
    text, image, audio = parse("whatsapp", sample("whatsapp_webhook.json"), ctx)

    a = text.report
    assert a is not None, text.reasons
    assert a.source_format is SourceFormat.whatsapp
    assert a.reporter.phone == "+6281234567890"
    assert a.reporter.name == "Siti Kades Sungai Danau"
    assert a.subject_count == 3
    assert [s.nationality for s in a.subjects] == ["KOR"]
    assert a.category is Category.overstay  # "izin habis"
    assert a.occurred_at == datetime(2026, 1, 12, 6, 10, tzinfo=UTC)
    assert a.upstream_ref.startswith("wamid.")

    b = image.report
    assert b is not None, image.reasons
    assert b.category is Category.suspicious_activity
    assert b.subject_count == 2
    assert b.reporter.phone == "+6285298765432"

    assert audio.report is None
    assert codes(audio) == ["unsupported_message"]
    assert audio.index == 2


def _webhook(value: dict) -> bytes:
    return orjson.dumps(
        {"object": "whatsapp_business_account",
         "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
    )  # fmt: skip


def test_statuses_only(ctx: SourceContext) -> None:
    raw = _webhook({"messaging_product": "whatsapp", "statuses": [{"id": "x", "status": "read"}]})
    [item] = parse("whatsapp", raw, ctx)
    assert codes(item) == ["no_messages"]
    assert set(codes(item)) <= IGNORABLE_CODES


def test_wrong_shape(ctx: SourceContext) -> None:
    assert codes(parse("whatsapp", b'{"hello": 1}', ctx)[0]) == ["invalid_payload"]
    assert codes(parse("whatsapp", b"[]", ctx)[0]) == ["invalid_payload"]


def test_messages_across_entries_keep_order(ctx: SourceContext) -> None:
    def msg(i: int) -> dict:
        return {"from": "6281234567890", "id": f"wamid.{i}", "timestamp": "1768198200",
                "type": "text", "text": {"body": f"LAPOR Satui ada {i} WNA"}}  # fmt: skip

    body = {"entry": [
        {"changes": [{"value": {"messages": [msg(1), msg(2)]}}]},
        {"changes": [{"value": {"messages": [msg(3)]}}, "junk"]},
    ]}  # fmt: skip
    parsed = parse("whatsapp", orjson.dumps(body), ctx)
    assert [p.report.subject_count for p in parsed] == [1, 2, 3]
    assert [p.index for p in parsed] == [0, 1, 2]


def test_non_object_message_and_bad_timestamp(ctx: SourceContext) -> None:
    bad_ts = {"from": 6281234567890, "type": "text", "timestamp": "soon",
              "text": {"body": "LAPOR Satui WNA"}}  # fmt: skip
    first, second = parse("whatsapp", _webhook({"messages": ["x", bad_ts]}), ctx)
    assert codes(first) == ["not_an_object"]
    assert second.report is not None
    assert second.report.occurred_at is None
    assert second.report.reporter.phone == "+6281234567890"


def test_too_many_messages(ctx: SourceContext) -> None:
    messages = [{"type": "text", "text": {"body": "x"}}] * (MAX_BATCH + 1)
    assert codes(parse("whatsapp", _webhook({"messages": messages}), ctx)[0]) == ["batch_too_large"]
