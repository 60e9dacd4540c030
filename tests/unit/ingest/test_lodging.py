"""APOA-style lodging guest reports (JSON), Indonesian and English keys."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from ingest_service.formats import SourceContext, parse
from ingest_service.formats.lodging import dotted_code
from shared.schemas import Category, PermitType, Severity, SourceFormat

from .conftest import codes, only_report


def test_sample_batch(ctx: SourceContext, sample: Callable[[str], bytes]) -> None:
    first, second, third = parse("lodging", sample("lodging_batulicin.json"), ctx)

    report = first.report
    assert report is not None, first.reasons
    assert report.source_format is SourceFormat.lodging
    assert report.upstream_ref == "APOA-6310-2026-000123"
    assert report.location.place_name == "Hotel Ebony Batulicin"
    assert report.location.kecamatan_name == "Batu Licin"
    assert report.location.kecamatan_code == "63.10.01"  # from kode_wilayah 631001
    assert report.location.kabupaten_code == "63.10"
    guest = report.subjects[0]
    assert guest.full_name == "LI WEI"
    assert guest.nationality == "CHN"
    assert guest.passport_number == "E12345678"
    assert str(guest.date_of_birth) == "1985-03-12"
    assert guest.sex == "M"
    assert guest.permit_type is PermitType.itk
    assert str(guest.permit_expiry) == "2026-01-10"
    # The ITK expired on 10 Jan; the guest is still checked in on 12 Jan → overstay.
    assert report.category is Category.overstay
    assert report.severity is Severity.medium
    assert report.lodging.check_in.isoformat() == "2026-01-11T06:30:00+00:00"
    assert report.occurred_at == report.lodging.check_in
    assert report.reporter.phone == "+6251871234"
    assert report.reporter.organisation == "Hotel Ebony"

    family = second.report
    assert family is not None, second.reasons
    assert [s.nationality for s in family.subjects] == ["KOR", "KOR"]
    assert [s.permit_type for s in family.subjects] == [PermitType.itas, PermitType.itas]
    assert family.subjects[0].employer == "PT Batubara Sejahtera"
    assert family.category is Category.presence
    assert family.location.kecamatan_name == "Simpang Empat"
    assert family.lodging.check_out.isoformat() == "2026-01-11T23:00:00+00:00"
    assert family.reporter.organisation == "Wisma Pagatan Indah"

    assert third.report is None
    assert third.index == 2
    assert set(codes(third)) == {"missing_guest", "invalid_date", "invalid_datetime"}
    paths = {r.path for r in third.reasons}
    assert "tamu.tanggal_lahir" in paths
    assert "tgl_masuk" in paths
    assert all(r.index == 2 for r in third.reasons)


def _one(ctx: SourceContext, record: dict) -> object:
    return parse("lodging", orjson.dumps(record), ctx)


def test_flat_english_record(ctx: SourceContext) -> None:
    record = {
        "lodging_name": "Hotel Kotabaru Indah",
        "district": "Pulau Laut Utara",
        "regency": "Kotabaru",
        "area_code": "63.02",
        "full_name": "Tanaka Hiroshi",
        "nationality": "Japan",
        "passport_number": "TZ1234567",
        "sex": "male",
        "permit_type": "visa on arrival",
        "check_in": "2026-01-11T20:00:00+08:00",
    }
    report = only_report(_one(ctx, record))
    assert report.location.place_name == "Hotel Kotabaru Indah"
    assert report.location.kabupaten_code == "63.02"
    assert report.subjects[0].nationality == "JPN"
    assert report.subjects[0].permit_type is PermitType.voa


def test_unknown_nationality_is_rejected_with_path(ctx: SourceContext) -> None:
    [item] = _one(ctx, {"tamu": {"nama": "X", "kewarganegaraan": "Atlantis"}})
    assert codes(item) == ["invalid_nationality"]
    assert item.reasons[0].path == "tamu.kewarganegaraan"


def test_checkout_before_checkin(ctx: SourceContext) -> None:
    record = {"tamu": {"nama": "X"}, "tgl_masuk": "2026-01-10", "tgl_keluar": "2026-01-09"}
    [item] = _one(ctx, record)
    assert codes(item) == ["invalid_stay"]


def test_unresolvable_place_never_fails(ctx: SourceContext) -> None:
    record = {"penginapan": {"nama": "Hotel Entah", "kecamatan": "Zzzyx", "kode_wilayah": "abc"},
              "tamu": {"nama": "Y"}}  # fmt: skip
    report = only_report(_one(ctx, record))
    assert report.location.kecamatan_name == "Zzzyx"
    assert report.location.kecamatan_code is None


def test_long_name_gives_validation_path(ctx: SourceContext) -> None:
    [item] = _one(ctx, {"tamu": {"nama": "A" * 300}})
    assert item.reasons[0].path == "subjects.0.full_name"


def test_non_object_guest_list(ctx: SourceContext) -> None:
    [item] = _one(ctx, {"tamu": ["LI WEI"]})
    assert codes(item) == ["invalid_field"]


def test_dotted_code_shapes() -> None:
    assert dotted_code("631006") == "63.10.06"
    assert dotted_code("63-10") == "63.10"
    assert dotted_code("6") is None
    assert dotted_code("ab") is None


def test_codes_checked_with_real_regions(regions: object) -> None:
    assert dotted_code("631006") == "63.10.06"
    assert dotted_code("63.10.99") is None  # well-formed but not a Kemendagri code


def test_kabupaten_code_plus_kecamatan_name_with_real_regions(
    ctx: SourceContext, regions: object
) -> None:
    record = {"lodging_name": "Hotel Kotabaru Indah", "district": "Pulau Laut Utara",
              "area_code": "63.02", "full_name": "Tanaka Hiroshi"}  # fmt: skip
    report = only_report(_one(ctx, record))
    assert report.location.kecamatan_code == "63.02.06"


def test_names_resolve_with_real_regions(ctx: SourceContext, regions: object) -> None:
    record = {"penginapan": {"nama": "Wisma", "kecamatan": "Simpang 4", "kabupaten": "Tanah Bumbu"},
              "tamu": {"nama": "Y"}}  # fmt: skip
    report = only_report(_one(ctx, record))
    assert report.location.kecamatan_code == "63.10.06"
    assert report.location.kecamatan_name == "Simpang Empat"
