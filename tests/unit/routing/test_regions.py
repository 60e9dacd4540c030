"""The region resolver: codes, names as people write them, coordinates, fallbacks."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.jurisdiction import (
    LOW_CONFIDENCE,
    Region,
    Resolution,
    ancestor_at,
    fill_location,
    find_place,
    kabupaten_of,
    kecamatan_of,
    level_of,
    name_key,
    near_names,
    normalize_code,
    parent_of,
    provinsi_of,
    regions,
    resolve_location,
    routing_code,
)
from shared.schemas import Level, Location

HOME = ("63.10", "63.02")  # Kantor Imigrasi Batulicin: Tanah Bumbu and Kotabaru

TANAH_BUMBU = {
    "63.10.01": "Batu Licin",
    "63.10.02": "Kusan Hilir",
    "63.10.03": "Sungai Loban",
    "63.10.04": "Satui",
    "63.10.05": "Kusan Hulu",
    "63.10.06": "Simpang Empat",
    "63.10.07": "Karang Bintang",
    "63.10.08": "Mantewe",
    "63.10.09": "Angsana",
    "63.10.10": "Kuranji",
    "63.10.11": "Kusan Tengah",
    "63.10.12": "Teluk Kepayang",
}
KOTABARU = {
    "63.02.01": "Pulau Sembilan",
    "63.02.02": "Pulau Laut Barat",
    "63.02.03": "Pulau Laut Selatan",
    "63.02.04": "Pulau Laut Timur",
    "63.02.05": "Pulau Sebuku",
    "63.02.06": "Pulaulaut Utara",
    "63.02.07": "Kelumpang Selatan",
    "63.02.08": "Kelumpang Hulu",
    "63.02.09": "Kelumpang Tengah",
    "63.02.10": "Kelumpang Utara",
    "63.02.11": "Pamukan Selatan",
    "63.02.12": "Sampanahan",
    "63.02.13": "Pamukan Utara",
    "63.02.14": "Hampang",
    "63.02.15": "Sungai Durian",
    "63.02.16": "Pulau Laut Tengah",
    "63.02.17": "Kelumpang Hilir",
    "63.02.18": "Kelumpang Barat",
    "63.02.19": "Pamukan Barat",
    "63.02.20": "Pulau Laut Kepulauan",
    "63.02.21": "Pulau Laut Tanjung Selayar",
    "63.02.22": "Pulaulaut Sigam",
}
HOME_KECAMATAN = {**TANAH_BUMBU, **KOTABARU}
KAB_NAME = {"63.10": "Tanah Bumbu", "63.02": "Kotabaru"}


def _kab(code: str) -> str:
    return KAB_NAME[code[:5]]


def _drop_letter(name: str) -> str:
    """Drop a letter from the middle of the longest word ("Simpang" → "Simang")."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    words[i] = w[: len(w) // 2] + w[len(w) // 2 + 1 :]
    return " ".join(words)


def _swap_letters(name: str) -> str:
    """Swap two adjacent letters in the middle of the longest word ("Satui" → "Satiu")."""
    words = name.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    j = max(1, len(w) // 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _join_or_split(name: str) -> str:
    """Join words ("Batu Licin" → "BatuLicin") or split one ("Satui" → "Sat ui")."""
    if " " in name:
        return name.replace(" ", "")
    half = len(name) // 2
    return f"{name[:half]} {name[half:]}"


def _assert_resolves(res: Resolution, code: str) -> None:
    assert res.code == code, res
    assert not res.low_confidence, res
    assert res.confidence >= LOW_CONFIDENCE


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


# --------------------------------------------------------------------------- every home kecamatan


@pytest.mark.parametrize("code", sorted(HOME_KECAMATAN))
def test_home_kecamatan_by_code(code: str) -> None:
    for text in (code, code.replace(".", ""), code.replace(".", "-")):
        res = find_place(text)
        assert (res.code, res.method, res.confidence) == (code, "code", 1.0)
    res = resolve_location(Location(kecamatan_code=code.replace(".", "")))
    assert (res.code, res.method) == (code, "code")


@pytest.mark.parametrize(("code", "name"), sorted(HOME_KECAMATAN.items()))
def test_home_kecamatan_by_name(code: str, name: str) -> None:
    _assert_resolves(find_place(name, within=HOME), code)
    _assert_resolves(find_place(f"{name}, {_kab(code)}"), code)
    _assert_resolves(find_place(f"kecamatan {name.lower()} kab {_kab(code)}"), code)
    _assert_resolves(resolve_location(Location(kecamatan_name=name), HOME), code)
    res = resolve_location(Location(kecamatan_name=name, kabupaten_name=_kab(code)))
    _assert_resolves(res, code)


@pytest.mark.parametrize(("code", "name"), sorted(HOME_KECAMATAN.items()))
@pytest.mark.parametrize(
    "variant",
    [_drop_letter, _swap_letters, _join_or_split, str.upper, str.lower],
    ids=["drop-letter", "swap-letters", "join-split", "upper", "lower"],
)
def test_home_kecamatan_by_misspelling(code: str, name: str, variant) -> None:
    text = variant(name)
    _assert_resolves(find_place(text, within=HOME), code)
    _assert_resolves(find_place(f"Kec. {text}", within=HOME), code)
    _assert_resolves(find_place(f"kec {text}, kab. {_kab(code)}"), code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kec. Simpang 4", "63.10.06"),
        ("simpang 4", "63.10.06"),
        ("Simpang IV", "63.10.06"),
        ("Pulau 9", "63.02.01"),
        ("Kec. P. Sembilan", "63.02.01"),
        ("Batulicin", "63.10.01"),
        ("Batu Licin", "63.10.01"),
        ("Sei Loban", "63.10.03"),
        ("Sungailoban", "63.10.03"),
        ("Pulau Laut Utara", "63.02.06"),
        ("P. Laut Sigam", "63.02.22"),
        ("Kecamatan Kusan Hilir", "63.10.02"),
        ("KUSAN HULU", "63.10.05"),
        ("teluk kepayng", "63.10.12"),
        ("Kelumpang Hlir", "63.02.17"),
    ],
)
def test_common_spellings(text: str, code: str) -> None:
    _assert_resolves(find_place(text, within=HOME), code)


@pytest.mark.parametrize("code", sorted(HOME_KECAMATAN))
def test_home_kecamatan_by_coordinates(code: str) -> None:
    centroid = regions().centroid(code)
    assert centroid is not None, f"no centroid for {code}"
    lat, lon = centroid
    for dlat, dlon in ((0.0, 0.0), (0.01, -0.01), (-0.01, 0.005)):
        res = resolve_location(Location(latitude=lat + dlat, longitude=lon + dlon))
        assert res.method == "coordinates"
        _assert_resolves(res, code)


# --------------------------------------------------------------------------- national


def _named_like(name: str, code: str | None) -> bool:
    """``code`` is a kabupaten/kota/province called ``name`` (with or without Kota/Kab.)."""
    if code is None or code.count(".") > 1:
        return False
    official = regions().name(code) or ""
    return name_key(name) in (name_key(official), name_key(official.split(" ", 1)[-1]))


def test_every_kecamatan_name_resolves_nationally() -> None:
    """A unique name resolves with confidence; a repeated one names all its places."""
    reg = regions()
    names: dict[str, list[str]] = {}
    for code in reg.codes(Level.kecamatan):
        names.setdefault(name_key(reg.name(code) or ""), []).append(code)
    for code in reg.codes(Level.kecamatan):
        name = reg.name(code) or ""
        res = find_place(name)
        same_name = names[name_key(name)]
        if any(_named_like(name, c) for c in (res.code, *res.candidates)):
            continue  # named like a kabupaten/kota/province ("Binjai"): that is meant first
        if len(same_name) > 1:  # every reading is offered, or their common parent
            assert code in (res.code, *res.candidates), (name, res)
        else:
            _assert_resolves(res, code)


def test_every_centroid_is_nearest_to_itself() -> None:
    reg = regions()
    assert reg.has_centroids()
    for code in reg.codes(Level.kecamatan):
        centroid = reg.centroid(code)
        assert centroid is not None
        (nearest, km), *_ = reg.nearest(*centroid, k=1)
        assert nearest == code
        assert km < 0.01


def test_ambiguous_names_resolve_inside_the_home_area() -> None:
    national = find_place("Simpang Empat")
    assert national.low_confidence
    assert {"63.10.06", "63.03.08", "12.06.12", "12.09.12"} == {
        national.code,
        *national.candidates,
    }
    assert routing_code(national) is None  # four places in two provinces: nothing certain
    _assert_resolves(find_place("Simpang Empat", within=HOME), "63.10.06")
    _assert_resolves(find_place("Simpang Empat", within=("63",)), "63")
    for name, code in (("Kuranji", "63.10.10"), ("Angsana", "63.10.09")):
        assert find_place(name).low_confidence
        _assert_resolves(find_place(name, within=HOME), code)


def test_ambiguity_inside_one_province_resolves_to_the_province() -> None:
    res = find_place("Simpang Empat, Kalimantan Selatan")
    assert res.code == "63"
    assert not res.low_confidence
    assert set(res.candidates) == {"63.10.06", "63.03.08"}


def test_explicit_regency_wins_over_home_area() -> None:
    _assert_resolves(find_place("Simpang Empat, Kab. Banjar", within=HOME), "63.03.08")
    _assert_resolves(find_place("Satui, Tanah Bumbu"), "63.10.04")
    _assert_resolves(find_place("tanah bumbu simpang empat"), "63.10.06")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Tanah Bumbu", "63.10"),
        ("Kab. Tanah Bumbu", "63.10"),
        ("kabupaten tanah bumbo", "63.10"),
        ("Kotabaru", "63.02"),
        ("Kabupaten Kota Baru", "63.02"),
        ("Kota Banjarbaru", "63.72"),
        ("Kalimantan Selatan", "63"),
        ("Kalsel", "63"),
        ("Provinsi Kalimantan Selatan", "63"),
    ],
)
def test_regency_and_province_names(text: str, code: str) -> None:
    _assert_resolves(find_place(text), code)


def test_village_name_finds_its_kecamatan() -> None:
    res = find_place("desa Sungai Danau")
    assert res.code == "63.10.04.2010"
    assert res.level is Level.desa
    assert kecamatan_of(res.code) == "63.10.04"
    _assert_resolves(find_place("Desa Sungai Danau", within=HOME), "63.10.04.2010")
    # A kecamatan and a village in it agree: the village, more sure than either alone.
    both = find_place("Satui, Sungai Danau")
    assert both.code == "63.10.04.2010"
    assert both.confidence > res.confidence


def test_kecamatan_named_like_its_village_prefers_the_kecamatan() -> None:
    res = find_place("Batulicin", within=HOME)  # also a kelurahan inside Batu Licin
    assert res.code == "63.10.01"
    assert res.level is Level.kecamatan
    village = find_place("kelurahan Batulicin", within=HOME)
    assert village.code == "63.10.01.1007"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("LAPOR SATUI ada 5 WNA kerja di tambang", "63.10.04"),
        ("Jl. Raya Batulicin No. 5, Simpang Empat, Tanah Bumbu", "63.10.06"),
        ("Jl. Provinsi Km 164, Sungai Danau", "63.10.04.2010"),
        ("ada orang asing di desa sungai danau kec satui", "63.10.04.2010"),
        ("Kemendagri 63.10.04", "63.10.04"),
    ],
)
def test_free_text(text: str, code: str) -> None:
    _assert_resolves(find_place(text, within=HOME), code)


def test_a_home_area_village_beats_a_regency_elsewhere() -> None:
    _assert_resolves(find_place("Jombang"), "35.17")  # Kabupaten Jombang, East Java
    _assert_resolves(find_place("Jombang", within=HOME), "63.10.04.2006")  # a Satui village
    _assert_resolves(find_place("Jombang, Jawa Timur", within=HOME), "35.17")
    _assert_resolves(find_place("Satui, Tanah Bumbu", within=HOME), "63.10.04")


def test_near_names() -> None:
    assert near_names("Sungaicka", HOME, 1) == [("63.10.04.2005", 1)]
    assert near_names("Sungai Cuka", HOME, 0) == [("63.10.04.2005", 0)]
    assert {c for c, _ in near_names("Mayan Sari", HOME, 1)} == {"63.02.19.2002", "63.10.09.2007"}
    assert near_names("Satui", ("63.02",), 1) == []  # only inside the areas given
    assert near_names("", HOME, 1) == []


def test_nothing_found() -> None:
    for text in ("", "   ", "xyzzy qwerty", "12345", "!!!"):
        res = find_place(text, within=HOME)
        assert res.code is None
        assert res.method == "none"
        assert res.low_confidence


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=300),
    within=st.lists(st.sampled_from(["63.10", "63.02", "63", "xx", "", "63.10.06", "99"])),
)
def test_find_place_never_raises(text: str, within: list[str]) -> None:
    res = find_place(text, within=within)
    assert 0.0 <= res.confidence <= 1.0
    assert res.low_confidence == (res.confidence < LOW_CONFIDENCE)
    if res.code is not None:
        assert regions().get(res.code) is not None
        assert res.level is level_of(res.code)


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="ascii"), max_size=5000))
def test_find_place_handles_long_ascii(text: str) -> None:
    find_place(text)


# --------------------------------------------------------------------------- locations


def test_resolve_location_precedence() -> None:
    # A valid code wins, the most precise one.
    loc = Location(kabupaten_code="63.10", kecamatan_code="631004", kecamatan_name="Angsana")
    assert resolve_location(loc).code == "63.10.04"
    # An invalid code is ignored; the name is used.
    res = resolve_location(Location(kecamatan_code="99.99.99", kecamatan_name="Satui"), HOME)
    _assert_resolves(res, "63.10.04")
    assert res.method == "name"
    # A kabupaten code scopes the name search.
    res = resolve_location(Location(kabupaten_code="63.03", kecamatan_name="Simpang Empat"))
    _assert_resolves(res, "63.03.08")
    # A kabupaten code with an unknown kecamatan name: the kabupaten, sure.
    res = resolve_location(Location(kabupaten_code="63.10", kecamatan_name="Nowhere"))
    assert (res.code, res.method, res.low_confidence) == ("63.10", "code", False)
    # Coordinates before names.
    loc = Location(latitude=-3.45, longitude=115.95, kecamatan_name="Satui")
    assert resolve_location(loc).method == "coordinates"
    # Structured names beat the free-text place name.
    loc = Location(kecamatan_name="Satui", place_name="Hotel Batulicin Indah")
    _assert_resolves(resolve_location(loc, HOME), "63.10.04")


def test_resolve_location_conflicting_codes_lower_confidence() -> None:
    res = resolve_location(Location(desa_code="63.10.04.2010", kecamatan_code="63.02.01"))
    assert res.code == "63.10.04.2010"
    assert res.confidence < 1.0
    assert "63.02.01" in res.candidates


def test_resolve_location_fallbacks() -> None:
    res = resolve_location(Location(), HOME)
    assert (res.code, res.method, res.low_confidence) == ("63.10", "home_area", True)
    assert routing_code(res) == "63.10"
    res = resolve_location(Location(latitude=0.0, longitude=0.0), HOME)  # Gulf of Guinea
    assert res.method == "home_area"
    res = resolve_location(Location(place_name="somewhere"), ())
    assert (res.code, res.method) == (None, "none")
    assert routing_code(res) is None


def test_coordinates_near_a_border_are_less_sure() -> None:
    batu_licin = resolve_location(Location(latitude=-3.4522, longitude=115.9427))
    a = regions().centroid("63.10.01")
    b = regions().centroid("63.10.11")
    assert a
    assert b
    between = Location(latitude=(a[0] + b[0]) / 2, longitude=(a[1] + b[1]) / 2)
    border = resolve_location(between)
    assert border.confidence < batu_licin.confidence
    assert border.low_confidence
    assert routing_code(border) == "63.10"  # both readings are in Tanah Bumbu


def test_routing_code() -> None:
    sure = Resolution("63.10.06", Level.kecamatan, 0.9, "name", "Simpang Empat", False)
    assert routing_code(sure) == "63.10.06"
    unsure = Resolution("63.10.06", Level.kecamatan, 0.4, "coordinates", None, True)
    assert routing_code(unsure) == "63.10"
    split = Resolution("63.10.06", Level.kecamatan, 0.4, "name", None, True, ("63.02.01",))
    assert routing_code(split) == "63"
    unsure_kab = Resolution("63.10", Level.kabupaten, 0.4, "name", None, True)
    assert routing_code(unsure_kab) == "63"
    home = Resolution("63.10", Level.kabupaten, 0.3, "home_area", None, True)
    assert routing_code(home) == "63.10"


def test_fill_location() -> None:
    loc = Location(kecamatan_name="Simpang 4", kabupaten_name="Tanah Bumbu")
    res = resolve_location(loc)
    filled = fill_location(loc, res)
    assert filled.provinsi_code == "63"
    assert filled.provinsi_name == "Kalimantan Selatan"
    assert filled.kabupaten_code == "63.10"
    assert filled.kabupaten_name == "Kabupaten Tanah Bumbu"
    assert filled.kecamatan_code == "63.10.06"
    assert filled.kecamatan_name == "Simpang Empat"
    assert filled.desa_code is None
    assert filled.address == "Simpang 4"  # the spelling that differed is kept
    assert loc.kecamatan_code is None  # the original is untouched


def test_fill_location_village_and_kept_address() -> None:
    loc = Location(address="Jl. Provinsi Km 164, Sungai Danau")
    filled = fill_location(loc, resolve_location(loc, HOME))
    assert filled.desa_code == "63.10.04.2010"
    assert filled.kecamatan_code == "63.10.04"
    assert filled.kecamatan_name == "Satui"
    assert filled.address == "Jl. Provinsi Km 164, Sungai Danau"


def test_fill_location_low_confidence_fills_only_what_is_sure() -> None:
    loc = Location(kecamatan_name="Simpang Empat", kecamatan_code="bogus")
    unsure = Resolution("63.10.06", Level.kecamatan, 0.4, "coordinates", None, True)
    filled = fill_location(loc, unsure)
    assert filled.kabupaten_code == "63.10"
    assert filled.kecamatan_code is None  # "bogus" cleared, not replaced by a guess
    assert filled.kecamatan_name == "Simpang Empat"
    none = Resolution(None, None, 0.0, "none", None, True)
    assert fill_location(loc, none) == loc
