"""Per-sender limits on public channels and the parse budget, as the parsers apply them."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import orjson

from ingest_service.formats import SourceContext, parse
from shared.ratelimit import KeyedLimits

CTX = SourceContext(
    source="telegram-batulicin", home_area=("63.10",), received_at=datetime.now(UTC)
)


def telegram(sender: int | None, text: str, chat: int = -100123) -> bytes:
    message: dict[str, object] = {"message_id": 1, "chat": {"id": chat}, "text": text}
    if sender is not None:
        message["from"] = {"id": sender}
    return orjson.dumps({"update_id": 1, "message": message})


def test_the_sender_is_the_telegram_user_or_the_channel() -> None:
    asked: list[str] = []
    ctx = replace(CTX, sender_allowed=lambda s: asked.append(s) or True)
    parse("telegram", telegram(555, "LAPOR Satui ada WNA"), ctx)
    parse("telegram", telegram(None, "LAPOR Satui ada WNA", chat=-42), ctx)
    parse("telegram", telegram(555, "selamat pagi"), ctx)  # chatter: not asked
    assert asked == ["telegram:555", "telegram:-42"]


def test_a_limited_sender_gets_a_reason_not_a_report() -> None:
    ctx = replace(CTX, sender_allowed=lambda s: False)
    [item] = parse("telegram", telegram(555, "LAPOR Satui ada WNA"), ctx)
    assert item.report is None
    assert [r.code for r in item.reasons] == ["sender_rate_limited"]


def test_keyed_limits_per_key_and_bounded() -> None:
    now = [0.0]
    limits = KeyedLimits(2, max_keys=3, clock=lambda: now[0])
    assert [limits.allow("a") for _ in range(3)] == [True, True, False]
    assert limits.allow("b")  # another sender is not held back
    now[0] += 30  # half a minute: one report back
    assert [limits.allow("a"), limits.allow("a")] == [True, False]
    for key in ("c", "d", "e"):
        limits.allow(key)
    assert len(limits._buckets) == 3  # the least recently used went


def test_items_past_the_budget_are_rejected_not_read() -> None:
    body = orjson.dumps([{"category": "presence", "location": {"kecamatan_code": "63.10.04"}}] * 3)
    spent = replace(CTX, budget_s=1.0, deadline=time.monotonic() - 1)
    items = parse("canonical", body, spent)
    assert [r.code for i in items for r in i.reasons] == ["parse_budget_exceeded"] * 3
    fresh = parse("canonical", body, replace(CTX, budget_s=5.0))
    assert all(i.report is not None for i in fresh)
