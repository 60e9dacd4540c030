"""CSV bulk upload: delimiter sniffing, header aliases, row-numbered reasons."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest_service.formats import MAX_BATCH, SourceContext, parse
from ingest_service.formats.lodging_csv import sniff_delimiter
from shared.schemas import Category, PermitType, SourceFormat

from .conftest import codes


def test_sample_file(ctx: SourceContext, sample: Callable[[str], bytes]) -> None:
    parsed = parse("lodging_csv", sample("lodging_bulk.csv"), ctx)
    # Header is row 1; row 4 is blank and skipped.
    assert [p.index for p in parsed] == [2, 3, 5, 6]
    first, second, bad, last = parsed

    a = first.report
    assert a is not None, first.reasons
    assert a.source_format is SourceFormat.lodging_csv
    assert a.upstream_ref == "CSV-001"
    assert a.location.place_name == "Hotel Rodhita"
    assert a.location.kecamatan_code == "63.10.06"
    assert a.subjects[0].nationality == "VNM"
    assert a.subjects[0].passport_number == "C1234567"
    assert a.subjects[0].permit_type is PermitType.visa_free
    assert a.lodging.check_in.isoformat() == "2026-01-10T12:15:00+00:00"
    assert a.category is Category.presence

    b = second.report
    assert b is not None, second.reasons
    assert b.subjects[0].nationality == "PHL"
    assert b.subjects[0].sex == "F"
    assert b.category is Category.overstay  # VOA expired 5 Jan, still checked in

    assert bad.report is None
    assert codes(bad) == ["invalid_stay"]
    assert bad.reasons[0].index == 5

    assert last.report is not None
    assert last.report.subjects[0].nationality == "BGD"


def test_comma_delimited_english_with_bom(ctx: SourceContext) -> None:
    raw = (
        "\ufefffull_name,nationality,passport_number,hotel_name,district,check_in\r\n"
        '"Smith, John",United States,AB1234567,Hotel Batulicin,Batu Licin,2026-01-11 19:00\r\n'
    ).encode()
    [item] = parse("lodging_csv", raw, ctx)
    assert item.report is not None, item.reasons
    assert item.report.subjects[0].full_name == "Smith, John"
    assert item.report.subjects[0].nationality == "USA"
    assert item.report.location.place_name == "Hotel Batulicin"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ('"x;y",b', ","), ("single", ",")],
)
def test_sniff(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header) == delimiter


def test_header_without_identity_column(ctx: SourceContext) -> None:
    [item] = parse("lodging_csv", b"hotel;kecamatan\nA;Satui\n", ctx)
    assert codes(item) == ["missing_column"]


def test_header_only(ctx: SourceContext) -> None:
    [item] = parse("lodging_csv", b"nama;kewarganegaraan\n\n", ctx)
    assert codes(item) == ["empty_batch"]


def test_row_with_too_many_cells(ctx: SourceContext) -> None:
    [item] = parse("lodging_csv", b"nama;kewarganegaraan\nA;China;extra\n", ctx)
    assert codes(item) == ["invalid_csv"]
    assert item.index == 2


def test_windows_1252_is_refused_with_hint(ctx: SourceContext) -> None:
    [item] = parse("lodging_csv", "nama;kewarganegaraan\nJosé;Spanyol\n".encode("cp1252"), ctx)
    assert codes(item) == ["invalid_utf8"]
    assert "CSV UTF-8" in item.reasons[0].message


def test_too_many_rows(ctx: SourceContext) -> None:
    raw = b"nama\n" + b"A\n" * (MAX_BATCH + 1)
    [item] = parse("lodging_csv", raw, ctx)
    assert codes(item) == ["batch_too_large"]


def test_nul_bytes(ctx: SourceContext) -> None:
    [item] = parse("lodging_csv", b"nama\x00;x\n", ctx)
    assert codes(item) == ["invalid_csv"]
