"""The parser contract: ``parse`` never raises, limits hold, places degrade gracefully."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest_service import formats
from ingest_service.formats import (
    MAX_BODY,
    PARSERS,
    Parsed,
    SourceContext,
    locate,
    parse,
)
from shared.schemas import Location, Reason, SourceFormat

from .conftest import codes


def test_every_format_has_a_parser() -> None:
    assert set(PARSERS) == set(SourceFormat)


def test_unknown_format(ctx: SourceContext) -> None:
    [item] = parse("fax", b"x", ctx)
    assert codes(item) == ["unsupported_format"]


@pytest.mark.parametrize("fmt", list(SourceFormat))
def test_oversized_body_is_refused_before_parsing(fmt: SourceFormat, ctx: SourceContext) -> None:
    [item] = parse(fmt, b" " * (MAX_BODY + 1), ctx)
    assert codes(item) == ["body_too_large"]


@pytest.mark.parametrize("fmt", list(SourceFormat))
def test_empty_body(fmt: SourceFormat, ctx: SourceContext) -> None:
    [item] = parse(fmt, b"  \n", ctx)
    assert codes(item) == ["empty_body"]


def test_unexpected_exception_becomes_parser_error(
    ctx: SourceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(raw: bytes, ctx: SourceContext) -> list[Parsed]:
        raise KeyError("LI WEI E12345678")  # PII must not leak into the reason

    monkeypatch.setitem(PARSERS, SourceFormat.canonical, broken)
    [item] = parse("canonical", b"{}", ctx)
    assert codes(item) == ["parser_error"]
    assert "LI WEI" not in item.reasons[0].message
    assert "KeyError" in item.reasons[0].message


def test_recursion_error_is_too_deep(ctx: SourceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(raw: bytes, ctx: SourceContext) -> list[Parsed]:
        raise RecursionError

    monkeypatch.setitem(PARSERS, SourceFormat.cap, deep)
    assert codes(parse("cap", b"<a/>", ctx)[0]) == ["too_deep"]


def test_source_context_requires_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SourceContext("s", (), datetime(2026, 1, 12))
    with pytest.raises(ValueError, match="time zone"):
        SourceContext("s", (), datetime(2026, 1, 12, tzinfo=UTC), default_tz="Mars/Base")


def test_parsed_holds_exactly_one_outcome() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Parsed(0)
    assert not Parsed(0, None, [Reason(code="x", message="y")]).ok


def test_locate_fills_codes_when_confident(ctx: SourceContext) -> None:
    loc, res = locate(Location(kecamatan_name="Satui"), ctx)
    assert (loc.kecamatan_code, loc.kabupaten_code) == ("63.10.04", "63.10")
    assert (res.code, res.routing_code, res.method) == ("63.10.04", "63.10.04", "name")
    assert not res.low_confidence


def test_locate_keeps_names_when_the_place_is_unsure() -> None:
    nowhere = SourceContext("s", (), datetime(2026, 1, 12, tzinfo=UTC))
    loc = Location(kecamatan_name="Simpang Empat")  # a kecamatan in several provinces
    out, res = locate(loc, nowhere)
    assert res.low_confidence
    assert out.kecamatan_code is None
    assert out.kecamatan_name == "Simpang Empat"


def test_every_normalised_report_carries_its_resolution(ctx: SourceContext) -> None:
    [item] = parse("canonical", b'{"text": "ada WNA"}', ctx)  # no place at all
    assert item.report is not None
    res = item.report.resolution
    assert res is not None
    assert (res.method, res.routing_code) == ("home_area", "63.10")
    assert item.report.location.kabupaten_code == "63.10"
    [item] = parse("canonical", b'{"location": {"kecamatan_name": "Satui"}}', ctx)
    assert item.report is not None
    assert item.report.resolution is not None
    assert item.report.resolution.routing_code == "63.10.04"


def test_limits_are_exported() -> None:
    assert formats.MAX_BODY == 1024 * 1024
    assert formats.MAX_BATCH == 1000
    assert formats.MAX_XML_DEPTH >= 8
