"""Place names in text reports as members write them: prefixes, spacing, typos.

The goal is pinned on the generated set of ``bench.bench_places`` (every kecamatan and
village of Tanah Bumbu and Kotabaru, written with and without a level word, run together
or split, with one typo): at least 98 % to the right kecamatan, no wrong kecamatan at all,
and texts that name no place placed at no kecamatan.
"""

from __future__ import annotations

import pytest

from bench.bench_places import GOAL, Outcome, generate, measure, overall
from ingest_service.formats import SourceContext
from ingest_service.formats.text.place import typos_allowed
from ingest_service.formats.text.report import TextMessage, parse_text_report
from shared.schemas import Report, SourceFormat


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    found, _ = measure(generate(seed=7))
    return found


def report_of(text: str, ctx: SourceContext) -> Report:
    parsed = parse_text_report(TextMessage(text=text), 0, ctx, SourceFormat.kannel_mo)
    assert parsed.report is not None, parsed.reasons
    return parsed.report


def routed(text: str, ctx: SourceContext) -> str | None:
    resolution = report_of(text, ctx).resolution
    return resolution.routing_code if resolution else None


def test_generated_set_reaches_the_goal(outcomes: dict[str, Outcome]) -> None:
    total = overall(outcomes)
    assert total.total > 1500  # every kecamatan and village, in several spellings
    misses = [f"{c.text!r} → {got}" for c, got in total.misses]
    assert total.accuracy >= GOAL, misses
    assert total.wrong == 0, misses  # a confident miss, never a wrong kecamatan


@pytest.mark.parametrize(
    "variant", ["kec prefix", "kec bare", "kec spacing", "desa prefix", "desa bare", "desa+kec"]
)
def test_names_spelt_right_are_all_found(outcomes: dict[str, Outcome], variant: str) -> None:
    out = outcomes[variant]
    assert out.accuracy >= 0.99, [(c.text, got) for c, got in out.misses]


def test_shared_names_and_texts_without_a_place_name_no_wrong_kecamatan(
    outcomes: dict[str, Outcome],
) -> None:
    for variant in ("ambiguous", "no place"):
        assert outcomes[variant].wrong == 0, outcomes[variant].misses


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("lapor WNA 3 org di desa sungaicuka kec satui", "63.10.04.2005"),
        ("LAPOR ada 2 WNA di Desa Sungai Cuka Kecamatan Satui Kab. Tanah Bumbu", "63.10.04.2005"),
        ("LAPOR Sei Cuka ada WNA", "63.10.04.2005"),
        ("LAPOR kel. Batulicin ada 2 WNA", "63.10.01.1007"),
        ("LAPOR Kec. Batulicin ada WNA", "63.10.01"),
        ("LAPOR kota batulicin ada WNA", "63.10.01"),
        ("LAPOR Desa Satui ada WNA", "63.10.04"),  # the wrong level word, as written today
        ("LAPOR Kec. Sungaicuka ada WNA", "63.10.04.2005"),
        ("LAPOR Pulau Laut Utara ada WNA", "63.02.06"),
        ("LAPOR kec pulaulaut sigam ada WNA", "63.02.22"),
        ("LAPOR Gunung Tinggi ada WNA", "63.10.01.1028"),
        ("lapor tolong cek ada bule di hotel batulicin", "63.10.01"),
        ("LAPOR ada 4 TKA di tambang batubara desa sungai cuka", "63.10.04.2005"),
    ],
)
def test_prefixes_and_spacing(text: str, code: str, ctx: SourceContext, regions: object) -> None:
    assert routed(text, ctx) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("LAPOR Kec. Angsna ada WNA", "63.10.09"),  # five letters after a level word
        ("LAPOR Mentewe ada 3 WNA", "63.10.08"),
        ("LAPOR hampagn ada WNA", "63.02.14"),  # a swapped pair is one typo
        ("LAPOR kusan tengha ada WNA", "63.10.11"),
        ("lapor ds Sungaicka kec satui ada WNA", "63.10.04.2005"),
        ("LAPOR Ds. Pagaryuung ada WNA", "63.10.02.2006"),
        # the village is unknown, the kecamatan written after it is certain
        ("lapor Ds Patai Baru Kec Pulau Laut Tengah 5 WNA", "63.02.16"),
    ],
)
def test_one_typo_in_longer_names(
    text: str, code: str, ctx: SourceContext, regions: object
) -> None:
    assert routed(text, ctx) == code


@pytest.mark.parametrize(
    "text",
    [
        "LAPOR Satiu ada WNA",  # five letters and no level word: too short to guess
        "LAPOR Mayan Sari ada WNA",  # one typo from Mayang Sari and from Bayan Sari
        "LAPOR ds kota pagaan ada WNA",  # one typo from Kota Pagatan and from Papaan
        "LAPOR ada 3 WNA kerja di tambang",  # one letter from the village Tamiang
        "LAPOR ada bule di pantai",  # a village is called Pantai; "di pantai" says where
        "LAPOR ada 4 WNA di tengah hutan",
        "LAPOR WNA di gunung dekat jalan",  # one letter from the village Guntung
    ],
)
def test_confident_miss_rather_than_a_wrong_hit(
    text: str, ctx: SourceContext, regions: object
) -> None:
    code = routed(text, ctx) or ""
    assert code.count(".") <= 1, code  # the kabupaten at most


def test_a_name_several_villages_share_is_their_kabupaten(
    ctx: SourceContext, regions: object
) -> None:
    report = report_of("LAPOR di Pantai Baru ada 3 WNA", ctx)  # two villages of Kotabaru
    assert report.location.kabupaten_code == "63.02"
    assert report.location.kecamatan_code is None  # not the village "Pantai"
    assert report.location.address == "Pantai Baru"
    report = report_of("LAPOR Kampung Baru ada 2 WNA", ctx)  # in both kabupaten
    assert report.location.kecamatan_code is None
    assert report.location.address == "Kampung Baru"
    assert routed("LAPOR Kampung Baru kec Simpang Empat ada WNA", ctx) == "63.10.06.1001"


def test_a_home_village_is_not_a_regency_elsewhere(ctx: SourceContext, regions: object) -> None:
    assert routed("LAPOR Jombang ada WNA", ctx) == "63.10.04.2006"  # not Kab. Jombang
    assert routed("LAPOR Tebing Tinggi ada WNA", ctx) == "63.02.09.2016"
    assert routed("LAPOR Banjarmasin ada WNA", ctx) == "63.71"


@pytest.mark.parametrize(
    ("key", "designated", "allowed"),
    [
        ("satui", False, 0),
        ("satui", True, 1),
        ("angsana", False, 1),
        ("tambang", False, 0),  # an everyday word
        ("tambang", True, 0),
        ("kusantengah", False, 1),
        ("pulaulautbarat", False, 2),
    ],
)
def test_typos_allowed(key: str, designated: bool, allowed: int) -> None:
    assert typos_allowed(key, designated) == allowed
