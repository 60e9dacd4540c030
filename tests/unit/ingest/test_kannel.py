"""Kannel MO callbacks: query string or form body → text report with the sender's phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote_from_bytes

import pytest

from ingest_service.formats import SourceContext, parse
from ingest_service.formats.kannel import decode_text, parse_form
from shared.schemas import Category, SourceFormat

from .conftest import codes, only_report


def test_sample(ctx: SourceContext, sample: Callable[[str], bytes]) -> None:
    report = only_report(parse("kannel_mo", sample("kannel_mo.txt"), ctx))
    assert report.source_format is SourceFormat.kannel_mo
    assert report.reporter.phone == "+6281234567890"
    assert report.text == "LAPOR SATUI ada 5 WNA kerja di tambang"
    assert report.category is Category.illegal_work
    assert report.subject_count == 5
    # Kannel's %t is UTC ("2026-01-12 01:10:00").
    assert report.occurred_at == datetime(2026, 1, 12, 1, 10, tzinfo=UTC)
    assert report.upstream_ref == "1f0c3a52-8e2b-4c55-9d7e-5b8d2f1a9c01"


def test_whole_url_alias_names_and_epoch(ctx: SourceContext) -> None:
    raw = (
        b"/sms/mo?sender=081234567890&receiver=1717&message=lpr+Angsana+WNA+overstay&ts=1768198200"
    )
    report = only_report(parse("kannel_mo", raw, ctx))
    assert report.reporter.phone == "+6281234567890"
    assert report.category is Category.overstay
    assert report.occurred_at == datetime(2026, 1, 12, 6, 10, tzinfo=UTC)


def test_ucs2_text(ctx: SourceContext) -> None:
    text = quote_from_bytes("LAPOR Satui ada WNA – tolong".encode("utf-16-be"))
    raw = f"from=%2B6281234567890&text={text}&coding=2".encode()
    assert only_report(parse("kannel_mo", raw, ctx)).text == "LAPOR Satui ada WNA – tolong"


def test_bad_utf8_is_replaced_not_rejected(ctx: SourceContext) -> None:
    raw = b"from=081234567890&text=LAPOR+Satui+%FF+WNA"
    assert "\ufffd" in only_report(parse("kannel_mo", raw, ctx)).text


def test_missing_fields(ctx: SourceContext) -> None:
    [item] = parse("kannel_mo", b"to=1717&smsc=x", ctx)
    assert set(codes(item)) == {"missing_field"}
    assert {r.path for r in item.reasons} == {"from", "text"}


def test_not_a_form(ctx: SourceContext) -> None:
    assert codes(parse("kannel_mo", b"&&&", ctx)[0]) == ["invalid_form"]


def test_not_a_report(ctx: SourceContext) -> None:
    [item] = parse("kannel_mo", b"from=081234567890&text=REG+NAMA", ctx)
    assert codes(item) == ["not_a_report"]


def test_alphanumeric_sender_has_no_phone(ctx: SourceContext) -> None:
    report = only_report(parse("kannel_mo", b"from=TELKOMSEL&text=LAPOR+Satui", ctx))
    assert report.reporter is None


def test_bad_timestamp_is_ignored(ctx: SourceContext) -> None:
    report = only_report(parse("kannel_mo", b"from=0812345678&text=LAPOR+Satui&ts=nanti", ctx))
    assert report.occurred_at is None


def test_parse_form_first_value_wins() -> None:
    assert parse_form(b"a=1&a=2&b=%41+B") == {"a": b"1", "b": b"A B"}


@pytest.mark.parametrize(
    ("value", "coding", "charset", "text"),
    [
        (b"abc", None, None, "abc"),
        ("é".encode("cp1252"), "0", "ISO-8859-1", "é"),
        ("é".encode("utf-16-be"), "2", None, "é"),
        (b"\x00a\x00", "2", None, "\x00a\x00"),  # odd length: not UTF-16
    ],
)
def test_decode_text(value: bytes, coding: str | None, charset: str | None, text: str) -> None:
    assert decode_text(value, coding, charset) == text
