"""Pure normalisation helpers: nationality, phone, dates, permits, categories, overstay."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ingest_service import normalize as nz
from shared.schemas import Category, Lodging, PermitType, Report, Severity, Subject


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Tiongkok", "CHN"),
        ("China", "CHN"),
        ("RRT", "CHN"),
        ("WN China", "CHN"),
        ("warga negara Tiongkok", "CHN"),
        ("Korea Selatan", "KOR"),
        ("Korea", "KOR"),
        ("Korea Utara", "PRK"),
        ("Amerika Serikat", "USA"),
        ("Belanda", "NLD"),
        ("Jepang", "JPN"),
        ("Malaysia", "MYS"),
        ("Filipina", "PHL"),
        ("Vietnam", "VNM"),
        ("India", "IND"),
        ("Bangladesh", "BGD"),
        ("Nigeria", "NGA"),
        ("Germany", "DEU"),
        ("KOR", "KOR"),
        ("cn", "CHN"),
        ("  inggris ", "GBR"),
    ],
)
def test_nationality_aliases(text: str, code: str) -> None:
    assert nz.nationality_to_alpha3(text) == code


def test_nationality_unknown_and_free_text_codes() -> None:
    assert nz.nationality_to_alpha3("Wakanda") is None
    # In free text two-letter words are not country codes ("PT", "di", "AS").
    assert nz.nationality_to_alpha3("PT", allow_codes=False) is None
    assert nz.nationality_to_alpha3("as", allow_codes=False) is None
    assert nz.nationality_to_alpha3("china", allow_codes=False) == "CHN"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("+62 0812 3456 7890", "+6281234567890"),
        ("0062 812 3456 7890", "+6281234567890"),
        ("0518-71234", "+6251871234"),
        ("12", None),
        ("hotline", None),
    ],
)
def test_phone_e164(raw: str, e164: str | None) -> None:
    assert nz.to_e164(raw) == e164


def test_phone_international_without_plus() -> None:
    assert nz.to_e164("447700900123", international=True) == "+447700900123"


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-12",
        "12/01/2026",
        "12-01-2026",
        "12.01.2026",
        "12 Januari 2026",
        "12 Jan 2026",
        "Senin, 12 Januari 2026",
        "January 12, 2026",
        "20260112",
        "2026-01-12T10:00:00+08:00",
    ],
)
def test_dates(text: str) -> None:
    assert nz.parse_date(text) == date(2026, 1, 12)


@pytest.mark.parametrize("text", ["31/02/2026", "12/01/26", "kemarin", "2026-13-01", "01/01/1800"])
def test_bad_dates_raise(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        nz.parse_date(text)


def test_blank_date_is_none() -> None:
    assert nz.parse_date("-") is None
    assert nz.parse_date(None) is None


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-01-12T14:30:00+08:00", datetime(2026, 1, 12, 6, 30, tzinfo=UTC)),
        ("2026-01-12T06:30:00Z", datetime(2026, 1, 12, 6, 30, tzinfo=UTC)),
        ("2026-01-12 14:30", datetime(2026, 1, 12, 6, 30, tzinfo=UTC)),  # naive → WITA
        ("12/01/2026 14.30 WIB", datetime(2026, 1, 12, 7, 30, tzinfo=UTC)),
        ("12 Januari 2026 pukul 14.30 WITA", datetime(2026, 1, 12, 6, 30, tzinfo=UTC)),
        ("12-01-2026 14:30 WIT", datetime(2026, 1, 12, 5, 30, tzinfo=UTC)),
        ("2026-01-12 14:30 +0700", datetime(2026, 1, 12, 7, 30, tzinfo=UTC)),
        ("12/01/2026 14:30:00 UTC+7", datetime(2026, 1, 12, 7, 30, tzinfo=UTC)),
        ("2026-01-12", datetime(2026, 1, 11, 16, 0, tzinfo=UTC)),  # local midnight
    ],
)
def test_datetimes(text: str, utc: datetime) -> None:
    assert nz.parse_datetime(text, "Asia/Makassar") == utc


def test_datetime_default_zone_is_the_sources() -> None:
    assert nz.parse_datetime("2026-01-12 14:30", "Asia/Jakarta") == datetime(
        2026, 1, 12, 7, 30, tzinfo=UTC
    )


def test_bad_datetime_raises() -> None:
    with pytest.raises(ValueError, match="date"):
        nz.parse_datetime("besok pagi")


def test_epoch() -> None:
    assert nz.from_epoch("1768198200") == datetime(2026, 1, 12, 6, 10, tzinfo=UTC)
    assert nz.from_epoch(1768198200000) == datetime(2026, 1, 12, 6, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="timestamp"):
        nz.from_epoch("soon")


@pytest.mark.parametrize(
    ("text", "permit"),
    [
        ("ITK", PermitType.itk),
        ("KITAS", PermitType.itas),
        ("izin tinggal tetap", PermitType.itap),
        ("BEBAS VISA", PermitType.visa_free),
        ("e-VOA", PermitType.voa),
        ("Visa on Arrival", PermitType.voa),
        ("tanpa izin", PermitType.none),
        ("diplomatik", PermitType.unknown),
        ("-", None),
    ],
)
def test_permit_types(text: str, permit: PermitType | None) -> None:
    assert nz.parse_permit_type(text) == permit


def test_sex_and_passport() -> None:
    assert [nz.parse_sex(v) for v in ("L", "P", "M", "F", "laki-laki", "Perempuan")] == [
        "M", "F", "M", "F", "M", "F",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="sex"):
        nz.parse_sex("?!")
    assert nz.normalize_passport(" e 1234-5678 ") == "E12345678"
    with pytest.raises(ValueError, match="passport"):
        nz.normalize_passport("E123/45")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ada 5 WNA kerja di tambang", Category.illegal_work),
        ("Pekerja asing tanpa izin", Category.illegal_work),
        ("Dugaan perdagangan orang", Category.human_trafficking),
        ("suspected human trafficking", Category.human_trafficking),
        ("penyelundupan narkotika lintas batas", Category.narcotics),
        ("izin tinggal sudah habis", Category.overstay),
        ("WNA overstay", Category.overstay),
        ("imigran gelap turun dari kapal", Category.illegal_entry),
        ("penyalahgunaan izin tinggal", Category.permit_misuse),
        ("WNA mencurigakan", Category.suspicious_activity),
        ("menginap di hotel", Category.presence),
        ("cuaca cerah", None),
    ],
)
def test_classify(text: str, category: Category | None) -> None:
    assert nz.classify(text) == category


def _report(**fields: object) -> Report:
    return Report(source="s", received_at=datetime(2026, 1, 12, 2, tzinfo=UTC), **fields)


def test_overstay_rule_past_expiry() -> None:
    report = _report(subjects=[Subject(permit_expiry=date(2026, 1, 11))])
    out = nz.apply_overstay_rule(report)
    assert out.category is Category.overstay
    assert out.severity is Severity.medium


def test_overstay_rule_expiry_today_is_still_valid() -> None:
    report = _report(subjects=[Subject(permit_expiry=date(2026, 1, 12))])
    assert nz.apply_overstay_rule(report).category is Category.presence


def test_overstay_rule_uses_checkout_for_past_stays() -> None:
    lodging = Lodging(
        check_in=datetime(2026, 1, 1, tzinfo=UTC), check_out=datetime(2026, 1, 3, tzinfo=UTC)
    )
    within = _report(subjects=[Subject(permit_expiry=date(2026, 1, 5))], lodging=lodging)
    assert nz.apply_overstay_rule(within).category is Category.presence
    after = _report(subjects=[Subject(permit_expiry=date(2026, 1, 2))], lodging=lodging)
    assert nz.apply_overstay_rule(after).category is Category.overstay


def test_overstay_rule_only_changes_presence_reports() -> None:
    report = _report(
        category=Category.narcotics, subjects=[Subject(permit_expiry=date(2020, 1, 1))]
    )
    assert nz.apply_overstay_rule(report).category is Category.narcotics


def test_bump_severity_caps() -> None:
    assert nz.bump_severity(Severity.high) is Severity.critical
    assert nz.bump_severity(Severity.critical) is Severity.critical
