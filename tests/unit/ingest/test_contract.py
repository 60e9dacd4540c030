"""The parser contract: ``parse`` never raises, limits hold, places degrade gracefully."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

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


@dataclass
class FakeResolution:
    code: str | None
    low_confidence: bool
    level: str = "kecamatan"
    confidence: float = 0.9
    method: str = "name"
    matched: str | None = None
    candidates: tuple = ()


def _install(monkeypatch: pytest.MonkeyPatch, module: object) -> None:
    monkeypatch.setitem(sys.modules, "shared.regions", module)


def test_locate_fills_codes_when_confident(
    ctx: SourceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(loc: Location, res: FakeResolution) -> Location:
        return loc.model_copy(update={"kecamatan_code": res.code, "kabupaten_code": "63.10"})

    fake = SimpleNamespace(
        resolve_location=lambda loc, home: FakeResolution("63.10.04", False),
        fill_location=fill,
        find_place=lambda text, within=(): FakeResolution(None, True),
    )
    _install(monkeypatch, fake)
    out = locate(Location(kecamatan_name="Satui"), ctx)
    assert out.kecamatan_code == "63.10.04"


def test_locate_keeps_names_when_low_confidence(
    ctx: SourceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = SimpleNamespace(
        resolve_location=lambda loc, home: FakeResolution("11.01.01", True),
        fill_location=lambda loc, res: pytest.fail("must not fill"),
        find_place=lambda text, within=(): FakeResolution("11.01.02", True),
    )
    _install(monkeypatch, fake)
    loc = Location(kecamatan_name="Simpang Empat")
    assert locate(loc, ctx, free_text="Simpang Empat") == loc


def test_locate_survives_a_resolver_fault(
    ctx: SourceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("resolver bug")

    _install(monkeypatch, SimpleNamespace(resolve_location=boom, find_place=boom))
    loc = Location(kecamatan_name="Satui")
    assert locate(loc, ctx) == loc
    [item] = parse("canonical", b'{"location": {"kecamatan_name": "Satui"}}', ctx)
    assert item.report is not None
    assert item.report.location.kecamatan_name == "Satui"


def test_limits_are_exported() -> None:
    assert formats.MAX_BODY == 1024 * 1024
    assert formats.MAX_BATCH == 1000
    assert formats.MAX_XML_DEPTH >= 8
