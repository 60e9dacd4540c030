"""``LAPOR <place> <text>``: keyword tolerance, place prefixes, counts, nationalities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from ingest_service.formats import SourceContext
from ingest_service.formats.lodging import code_fields
from ingest_service.formats.text import place
from ingest_service.formats.text.keyword import is_keyword, split_keyword
from ingest_service.formats.text.report import TextMessage, parse_text_report
from ingest_service.formats.text.subjects import extract_count, extract_nationalities
from ingest_service.formats.text.tokens import tokenize
from shared.schemas import Category, Location, Report, Severity, SourceFormat


def report_of(text: str, ctx: SourceContext, **envelope: object) -> Report:
    parsed = parse_text_report(TextMessage(text=text, **envelope), 0, ctx, SourceFormat.kannel_mo)
    assert parsed.report is not None, parsed.reasons
    return parsed.report


# --------------------------------------------------------------------------- keyword


@pytest.mark.parametrize(
    "text",
    ["LAPOR Satui", "lapor satui", "LAPOR: Satui", "LAPOR:Satui", "Lpr Satui", "lapr Satui",
     "LAPOOR Satui", "lapo Satui", "Laporan Satui", "  \n LAPOR   Satui", "/lapor Satui",
     "/lapor@TimporaBot Satui", "@TimporaBot LAPOR Satui", "#lapor Satui", "LAPORSatui",
     "lapor, Satui", "Lapor- Satui"],
)  # fmt: skip
def test_keyword_variants(text: str) -> None:
    assert (split_keyword(text) or "").lower() == "satui"


@pytest.mark.parametrize("text", ["halo pak", "lapar sekali", "/start", "", "   ", "Satui LAPOR"])
def test_not_a_report(text: str) -> None:
    assert split_keyword(text) is None


def test_keyword_rules() -> None:
    assert is_keyword("LPR")
    assert is_keyword("lpor")
    assert not is_keyword("lar")
    assert not is_keyword("lapar")
    assert not is_keyword("pak")


def test_not_a_report_reason(ctx: SourceContext) -> None:
    parsed = parse_text_report(TextMessage(text="selamat pagi"), 0, ctx, SourceFormat.telegram)
    assert [r.code for r in parsed.reasons] == ["not_a_report"]


def test_keyword_alone_is_empty_report(ctx: SourceContext) -> None:
    parsed = parse_text_report(TextMessage(text="LAPOR:"), 0, ctx, SourceFormat.telegram)
    assert [r.code for r in parsed.reasons] == ["empty_report"]


# --------------------------------------------------------------------------- extraction


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("ada 5 WNA kerja", 5),
        ("5 orang asing", 5),
        ("lima WNA", 5),
        ("seorang WNA", 1),
        ("dua puluh tiga pekerja asing", 23),
        ("tiga belas orang", 13),
        ("sebanyak 12", 12),
        ("3 WN China dan 2 WN Vietnam", 5),
        ("ada WNA di km 5", None),
        ("WNA menginap", None),
    ],
)
def test_count(text: str, count: int | None) -> None:
    assert extract_count(tokenize(text)) == count


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("ada WN China 2 orang", ["CHN"]),
        ("warga negara Tiongkok", ["CHN"]),
        ("pekerja Korea", ["KOR"]),
        ("WNA asal Korea Selatan dan Jepang", ["KOR", "JPN"]),
        ("3 WN China dan 2 WN Vietnam", ["CHN", "VNM"]),
        ("WN Ethiopia", ["ETH"]),  # any country name after a marker
        ("bisa bahasa Inggris", []),
        ("dari PT Maju ada 5 orang asing", []),
        ("orang asing", []),
    ],
)
def test_nationalities(text: str, codes: list[str]) -> None:
    assert extract_nationalities(tokenize(text)) == codes


def test_report_fields(ctx: SourceContext, fake_regions: list) -> None:
    at = datetime(2026, 1, 12, 1, 10, tzinfo=UTC)
    report = report_of(
        "LAPOR SATUI ada 5 WNA kerja di tambang", ctx, phone="+6281234567890", occurred_at=at,
        upstream_ref="sms-1",
    )  # fmt: skip
    assert report.category is Category.illegal_work
    assert report.severity is Severity.medium
    assert report.subject_count == 5
    assert report.location.address == "SATUI"
    assert report.location.kecamatan_code == "63.10.04"
    assert report.reporter.phone == "+6281234567890"
    assert report.text == "LAPOR SATUI ada 5 WNA kerja di tambang"
    assert report.occurred_at == at
    assert report.upstream_ref == "sms-1"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("lapor: Simpang 4   tiga orang asing", "Simpang 4"),
        ("LAPOR Batu Licin\nada WNA", "Batu Licin"),
        ("LAPOR Satui 5 WNA", "Satui"),
        ("LAPOR ada 5 WNA", None),
        ("LAPOR di Angsana ada WNA", "Angsana"),
        ("LAPOR Desa Sebamban Baru, ada 2 WNA", "Desa Sebamban Baru"),
    ],
)
def test_place_guess_when_nothing_resolves(
    text: str, address: str | None, ctx: SourceContext, nowhere: None
) -> None:
    assert report_of(text, ctx).location.address == address


@pytest.mark.parametrize(
    ("text", "category", "severity"),
    [
        ("LAPOR Satui WNA overstay", Category.overstay, Severity.medium),
        ("LAPOR Satui izin habis", Category.overstay, Severity.medium),
        ("LAPOR Satui narkoba", Category.narcotics, Severity.high),
        ("LAPOR Satui WNA menginap", Category.presence, Severity.info),
        ("LAPOR Satui ada WNA", Category.presence, Severity.info),
        ("LAPOR Satui perdagangan orang SEGERA", Category.human_trafficking, Severity.critical),
        ("LAPOR Satui WNA mencurigakan darurat", Category.suspicious_activity, Severity.medium),
    ],
)
def test_categories(text: str, category: Category, severity: Severity, ctx: SourceContext) -> None:
    report = report_of(text, ctx)
    assert (report.category, report.severity) == (category, severity)


def test_long_text_is_truncated(ctx: SourceContext) -> None:
    report = report_of("LAPOR Satui " + "x" * 6000, ctx)
    assert len(report.text) == 5000


# --------------------------------------------------------------------------- with a resolver


@dataclass
class Res:
    code: str | None
    low_confidence: bool
    level: str = "kecamatan"
    confidence: float = 0.95
    method: str = "name"
    matched: str | None = None
    candidates: list = field(default_factory=list)


PLACES = {
    "satui": "63.10.04",
    "simpang 4": "63.10.06",
    "simpang empat": "63.10.06",
    "batu licin": "63.10.01",
    "angsana": "63.10.09",
    "kec. angsana": "63.10.09",
    "desa sebamban baru": "63.10.03.2005",
}


@pytest.fixture
def fake_regions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """A resolver that knows a few Tanah Bumbu names; records what it was asked."""
    calls: list[tuple[str, tuple[str, ...]]] = []

    def find_place(text: str, within: tuple[str, ...] = ()) -> Res:
        calls.append((text, tuple(within)))
        code = PLACES.get(text.lower())
        if code is None and text.lower() in ("batu", "simpang"):
            return Res("11.01.01", True)  # ambiguous prefix, low confidence
        if text.lower().startswith("kampung"):
            return Res("34.03.13.2004", False, level="desa", matched="Kampung")  # partial
        official = re.sub(r"^(?:kec\.|desa) ", "", text, flags=re.IGNORECASE)  # names, not "Kec."
        return Res(code, code is None, matched=official)

    def fill_location(loc: Location, res: Res) -> Location:
        return loc.model_copy(update=code_fields(res.code))

    def name_key(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    tree = SimpleNamespace(ancestors=lambda code: [], name=lambda code: None)
    module = SimpleNamespace(
        find_place=find_place,
        fill_location=fill_location,
        name_key=name_key,
        regions=lambda: tree,
        near_names=lambda text, within, typos: [],
    )
    monkeypatch.setattr(place, "regions", module)
    return calls


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolver that finds no place in the words."""
    module = SimpleNamespace(find_place=lambda text, within=(): Res(None, True))
    monkeypatch.setattr(place, "regions", module)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("LAPOR SATUI ada 5 WNA kerja di tambang", "63.10.04"),
        ("lapor: Simpang 4   tiga orang asing overstay", "63.10.06"),
        ("Lpr Batu Licin 2 WNA", "63.10.01"),
        ("LAPOR ada WNA mencurigakan di Kec. Angsana", "63.10.09"),
        ("LAPOR ada 2 WNA bekerja di kebun Desa Sebamban Baru", "63.10.03.2005"),
    ],
)
def test_longest_confident_prefix(
    text: str, code: str, ctx: SourceContext, fake_regions: list
) -> None:
    report = report_of(text, ctx)
    assert report.location.most_precise_code() == code
    assert all(within == ("63.10", "63.02") for _, within in fake_regions)


def test_place_words_do_not_count(ctx: SourceContext, fake_regions: list) -> None:
    report = report_of("LAPOR Simpang 4 ada WNA", ctx)
    assert report.subject_count is None  # the "4" belongs to the place


def test_partial_match_is_not_trusted(ctx: SourceContext, fake_regions: list) -> None:
    report = report_of("LAPOR Kampung Entah ada 2 WNA", ctx)
    assert report.location.kecamatan_code is None
    assert report.location.address == "Kampung Entah"


def test_unresolved_place_keeps_address(ctx: SourceContext, fake_regions: list) -> None:
    report = report_of("LAPOR Kampung Entah ada 2 WNA", ctx)
    assert report.location.kecamatan_code is None
    assert report.location.address == "Kampung Entah"


@pytest.mark.parametrize(
    "text",
    [
        "LAPOR Kampung Entah ada 2 WNA",  # "Kampung" is a village in Yogyakarta
        "LAPOR Pelabuhan ada WNA",  # a generic word that is a village elsewhere
        "LAPOR Sungai ada WNA",
        "LAPOR Batu ada WNA",  # Kota Batu is in East Java; too short to trust outside home
    ],
)
def test_generic_words_do_not_resolve_with_real_regions(
    text: str, ctx: SourceContext, regions: object
) -> None:
    report = report_of(text, ctx)
    assert report.location.kecamatan_code is None
    assert report.location.address is not None  # kept as written for routing to retry


def test_everyday_word_is_not_a_fuzzy_place_with_real_regions(
    ctx: SourceContext, regions: object
) -> None:
    report = report_of("LAPOR Tambang ada WNA", ctx)  # one letter from the village "Tamiang"
    assert report.location.kecamatan_code is None
    assert report.category is Category.illegal_work


def test_outside_home_area_kabupaten_with_real_regions(ctx: SourceContext, regions: object) -> None:
    assert report_of("LAPOR Banjarmasin ada WNA", ctx).location.kabupaten_code == "63.71"


def test_village_and_count_with_real_regions(ctx: SourceContext, regions: object) -> None:
    report = report_of("LAPOR ada 4 TKA China di tambang Desa Sebamban Baru Kec. Sungai Loban", ctx)
    assert report.location.kecamatan_code == "63.10.03"
    assert report.subject_count == 4
    assert [s.nationality for s in report.subjects] == ["CHN"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("LAPOR SATUI ada 5 WNA kerja di tambang", "63.10.04"),
        ("lapor Simpang 4 ada 3 WNA", "63.10.06"),
        ("LAPOR Batulicn ada WNA", "63.10.01"),  # one typo in a long name
        ("LAPOR Pulau Laut Utara WNA overstay", "63.02.06"),
        ("lpr Batu Licin 2 orang asing", "63.10.01"),
        ("LAPOR Batulicin ada WNA", "63.10.01"),
        ("LAPOR Batu Licin ada WNA", "63.10.01"),
        ("lpr angsana 2 orang asing kerja tambang", "63.10.09"),
    ],
)
def test_places_with_real_regions(
    text: str, code: str, ctx: SourceContext, regions: object
) -> None:
    assert report_of(text, ctx).location.kecamatan_code == code
