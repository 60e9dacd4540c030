"""Finding places by name, as people write them: spellings, ambiguity, free text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.jurisdiction import (
    LOW_CONFIDENCE,
    find_place,
    kecamatan_of,
    level_of,
    name_key,
    near_names,
    regions,
    resolve_location,
    routing_code,
)
from shared.schemas import Level, Location
from tests.unit.jurisdiction.home_area import (
    HOME,
    HOME_KECAMATAN,
    assert_resolves,
    drop_letter,
    join_or_split,
    regency_name,
    swap_letters,
)

# --------------------------------------------------------------------------- every home kecamatan


@pytest.mark.parametrize(("code", "name"), sorted(HOME_KECAMATAN.items()))
def test_home_kecamatan_by_name(code: str, name: str) -> None:
    assert_resolves(find_place(name, within=HOME), code)
    assert_resolves(find_place(f"{name}, {regency_name(code)}"), code)
    assert_resolves(find_place(f"kecamatan {name.lower()} kab {regency_name(code)}"), code)
    assert_resolves(resolve_location(Location(kecamatan_name=name), HOME), code)
    res = resolve_location(Location(kecamatan_name=name, kabupaten_name=regency_name(code)))
    assert_resolves(res, code)


@pytest.mark.parametrize(("code", "name"), sorted(HOME_KECAMATAN.items()))
@pytest.mark.parametrize(
    "variant",
    [drop_letter, swap_letters, join_or_split, str.upper, str.lower],
    ids=["drop-letter", "swap-letters", "join-split", "upper", "lower"],
)
def test_home_kecamatan_by_misspelling(code: str, name: str, variant) -> None:
    text = variant(name)
    assert_resolves(find_place(text, within=HOME), code)
    assert_resolves(find_place(f"Kec. {text}", within=HOME), code)
    assert_resolves(find_place(f"kec {text}, kab. {regency_name(code)}"), code)


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
    assert_resolves(find_place(text, within=HOME), code)


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
            assert_resolves(res, code)


def test_ambiguous_names_resolve_inside_the_home_area() -> None:
    national = find_place("Simpang Empat")
    assert national.low_confidence
    assert {"63.10.06", "63.03.08", "12.06.12", "12.09.12"} == {
        national.code,
        *national.candidates,
    }
    assert routing_code(national) is None  # four places in two provinces: nothing certain
    assert_resolves(find_place("Simpang Empat", within=HOME), "63.10.06")
    assert_resolves(find_place("Simpang Empat", within=("63",)), "63")
    for name, code in (("Kuranji", "63.10.10"), ("Angsana", "63.10.09")):
        assert find_place(name).low_confidence
        assert_resolves(find_place(name, within=HOME), code)


def test_ambiguity_inside_one_province_resolves_to_the_province() -> None:
    res = find_place("Simpang Empat, Kalimantan Selatan")
    assert res.code == "63"
    assert not res.low_confidence
    assert set(res.candidates) == {"63.10.06", "63.03.08"}


def test_explicit_regency_wins_over_home_area() -> None:
    assert_resolves(find_place("Simpang Empat, Kab. Banjar", within=HOME), "63.03.08")
    assert_resolves(find_place("Satui, Tanah Bumbu"), "63.10.04")
    assert_resolves(find_place("tanah bumbu simpang empat"), "63.10.06")


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
    assert_resolves(find_place(text), code)


def test_village_name_finds_its_kecamatan() -> None:
    res = find_place("desa Sungai Danau")
    assert res.code == "63.10.04.2010"
    assert res.level is Level.desa
    assert kecamatan_of(res.code) == "63.10.04"
    assert_resolves(find_place("Desa Sungai Danau", within=HOME), "63.10.04.2010")
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
    assert_resolves(find_place(text, within=HOME), code)


def test_a_home_area_village_beats_a_regency_elsewhere() -> None:
    assert_resolves(find_place("Jombang"), "35.17")  # Kabupaten Jombang, East Java
    assert_resolves(find_place("Jombang", within=HOME), "63.10.04.2006")  # a Satui village
    assert_resolves(find_place("Jombang, Jawa Timur", within=HOME), "35.17")
    assert_resolves(find_place("Satui, Tanah Bumbu", within=HOME), "63.10.04")


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
