"""The region data and its codes: the tree, code helpers, normalisation, lookups by code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from shared.jurisdiction import (
    Region,
    ancestor_at,
    find_place,
    kabupaten_of,
    kecamatan_of,
    level_of,
    name_key,
    normalize_code,
    parent_of,
    provinsi_of,
    regions,
    resolve_location,
)
from shared.schemas import Level, Location
from tests.unit.jurisdiction.home_area import HOME_KECAMATAN, KOTABARU, TANAH_BUMBU

# --------------------------------------------------------------------------- the data


def test_national_counts() -> None:
    reg = regions()
    assert reg.provinsi_count() == 38
    assert reg.kabupaten_count() == 514
    assert reg.kecamatan_count() == 7285
    assert reg.desa_count() == 83762
    assert len(reg.children()) == 38


def test_tanah_bumbu_and_kotabaru_kecamatan_are_the_official_ones() -> None:
    reg = regions()
    assert {r.code: r.name for r in reg.children("63.10")} == TANAH_BUMBU
    assert {r.code: r.name for r in reg.children("63.02")} == KOTABARU


def test_region_tree() -> None:
    reg = regions()
    assert reg.get("63.10.06") == Region("63.10.06", "Simpang Empat", Level.kecamatan, "63.10")
    assert reg.get("63.10") == Region("63.10", "Kabupaten Tanah Bumbu", Level.kabupaten, "63")
    assert reg.get("63") == Region("63", "Kalimantan Selatan", Level.provinsi, None)
    village = reg.get("63.10.04.2010")
    assert village is not None
    assert village.level is Level.desa
    assert village.parent_code == "63.10.04"
    assert [r.code for r in reg.ancestors("63.10.04.2010")] == ["63.10.04", "63.10", "63"]
    assert reg.ancestors("63") == []
    assert all(r.level is Level.desa for r in reg.children("63.10.04"))
    assert reg.get("99.99") is None
    assert reg.get("") is None
    assert reg.get(None) is None


def test_code_helpers() -> None:
    assert level_of("63") is Level.provinsi
    assert level_of("63.10") is Level.kabupaten
    assert level_of("63.10.06") is Level.kecamatan
    assert level_of("63.10.06.2003") is Level.desa
    assert kecamatan_of("63.10.06.2003") == "63.10.06"
    assert kabupaten_of("63.10.06.2003") == "63.10"
    assert provinsi_of("63.10.06") == "63"
    assert kecamatan_of("63.10") is None
    assert parent_of("63.10.06") == "63.10"
    assert parent_of("63") is None
    assert ancestor_at("63.10.06", Level.kabupaten) == "63.10"
    assert ancestor_at("63.10", Level.kecamatan) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("631006", "63.10.06"),
        ("63.10.06", "63.10.06"),
        ("63-10-06", "63.10.06"),
        (" 63 10 06 ", "63.10.06"),
        ("63.10.06.2003", "63.10.06.2003"),
        ("6310062003", "63.10.06.2003"),
        ("6310", "63.10"),
        ("63", "63"),
        ("63.10.06.2001", None),  # well formed, but no such village
        ("63.10.99", None),
        ("99", None),
        ("6.3.1", None),
        ("abc", None),
        ("", None),
        ("63.10.06.2003.1", None),
    ],
)
def test_normalize_code(text: str, expected: str | None) -> None:
    assert normalize_code(text) == expected


def test_name_key_normalisation() -> None:
    assert name_key("Kec. Simpang 4") == name_key("Simpang Empat")
    assert name_key("Batulicin") == name_key("Batu Licin")
    assert name_key("Sei Loban") == name_key("Sungai Loban")
    assert name_key("Koto 11 Tarusan") == name_key("Koto XI Tarusan")
    assert name_key("Tjilatjap") == name_key("Cilacap")
    assert name_key("SÄTUI") == name_key("satui")


def test_importing_loads_no_data() -> None:
    code = "import shared.jurisdiction.data as d; assert d._REGIONS is None"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- every home kecamatan, by code


@pytest.mark.parametrize("code", sorted(HOME_KECAMATAN))
def test_home_kecamatan_by_code(code: str) -> None:
    for text in (code, code.replace(".", ""), code.replace(".", "-")):
        res = find_place(text)
        assert (res.code, res.method, res.confidence) == (code, "code", 1.0)
    res = resolve_location(Location(kecamatan_code=code.replace(".", "")))
    assert (res.code, res.method) == (code, "code")
