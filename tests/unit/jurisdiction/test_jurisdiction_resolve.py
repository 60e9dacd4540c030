"""Resolving a report's location: coordinates, precedence, fallbacks, routing, filling in."""

from __future__ import annotations

import pytest

from shared.jurisdiction import (
    Resolution,
    fill_location,
    regions,
    resolve_location,
    routing_code,
)
from shared.schemas import Level, Location
from tests.unit.jurisdiction.home_area import HOME, HOME_KECAMATAN, assert_resolves

# --------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize("code", sorted(HOME_KECAMATAN))
def test_home_kecamatan_by_coordinates(code: str) -> None:
    centroid = regions().centroid(code)
    assert centroid is not None, f"no centroid for {code}"
    lat, lon = centroid
    for dlat, dlon in ((0.0, 0.0), (0.01, -0.01), (-0.01, 0.005)):
        res = resolve_location(Location(latitude=lat + dlat, longitude=lon + dlon))
        assert res.method == "coordinates"
        assert_resolves(res, code)


def test_every_centroid_is_nearest_to_itself() -> None:
    reg = regions()
    assert reg.has_centroids()
    for code in reg.codes(Level.kecamatan):
        centroid = reg.centroid(code)
        assert centroid is not None
        (nearest, km), *_ = reg.nearest(*centroid, k=1)
        assert nearest == code
        assert km < 0.01


# --------------------------------------------------------------------------- locations


def test_resolve_location_precedence() -> None:
    # A valid code wins, the most precise one.
    loc = Location(kabupaten_code="63.10", kecamatan_code="631004", kecamatan_name="Angsana")
    assert resolve_location(loc).code == "63.10.04"
    # An invalid code is ignored; the name is used.
    res = resolve_location(Location(kecamatan_code="99.99.99", kecamatan_name="Satui"), HOME)
    assert_resolves(res, "63.10.04")
    assert res.method == "name"
    # A kabupaten code scopes the name search.
    res = resolve_location(Location(kabupaten_code="63.03", kecamatan_name="Simpang Empat"))
    assert_resolves(res, "63.03.08")
    # A kabupaten code with an unknown kecamatan name: the kabupaten, sure.
    res = resolve_location(Location(kabupaten_code="63.10", kecamatan_name="Nowhere"))
    assert (res.code, res.method, res.low_confidence) == ("63.10", "code", False)
    # Coordinates before names.
    loc = Location(latitude=-3.45, longitude=115.95, kecamatan_name="Satui")
    assert resolve_location(loc).method == "coordinates"
    # Structured names beat the free-text place name.
    loc = Location(kecamatan_name="Satui", place_name="Hotel Batulicin Indah")
    assert_resolves(resolve_location(loc, HOME), "63.10.04")


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
