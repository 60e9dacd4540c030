"""Coordinates → the nearest kecamatan centroids, and how sure the nearest one is.

The centroids (``shared/data/kecamatan_centroids.csv``, loaded by
:mod:`shared.jurisdiction.data`) are put in a grid of 0.25° cells; a lookup searches the
cells ring by ring, so it touches a few dozen points, not 7,285.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_GRID = 0.25  # degrees per centroid grid cell (~28 km)


class CentroidGrid:
    """Kecamatan centroids ``{code: (lat, lon)}`` indexed for nearest-point lookups."""

    def __init__(self, points: dict[str, tuple[float, float]]) -> None:
        self.points = points
        self._grid: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
        for code, (lat, lon) in points.items():
            cell = (math.floor(lat / _GRID), math.floor(lon / _GRID))
            self._grid.setdefault(cell, []).append((lat, lon, code))

    def __bool__(self) -> bool:
        return bool(self._grid)

    def nearest(self, lat: float, lon: float, k: int = 2) -> list[tuple[str, float]]:
        """The ``k`` nearest kecamatan centroids as ``[(code, km)]``, nearest first.

        A grid of 0.25° cells is searched ring by ring until no unseen cell can hold a
        nearer centroid, so a lookup touches a few dozen points, not 7,285.
        """
        grid = self._grid
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
        points = self.points
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


def coordinate_confidence(d1: float, d2: float | None) -> float:
    """Near a centroid and clearly nearer than the next one → sure; near a border → not.

    Centroids are not boundaries: the nearest centroid is the right kecamatan when the
    point is well inside its Voronoi cell; the margin to the next centroid measures that.
    ``d1``/``d2``: km to the nearest and the second nearest centroid.
    """
    margin = 1.0 if d2 is None else (d2 - d1) / max(d1 + d2, 1e-9)
    confidence = 0.5 + 0.45 * min(1.0, margin * 2.5)
    if d1 > 30:  # far from every centroid: at sea, abroad, or a huge kecamatan
        confidence *= math.exp(-(d1 - 30) / 60)
    return confidence
