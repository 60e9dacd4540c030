"""Benchmark the region resolver: resolutions per second and per-call latency.

Three workloads over all 7,285 kecamatan:

* ``code``: a Kemendagri code in one of its written forms (``631006``, ``63.10.06``...);
* ``coordinates``: a point near each kecamatan centroid (``resolve_location``);
* ``name``: each kecamatan name with an injected typo (a dropped, swapped or doubled
  letter, or words joined), searched inside its own kabupaten as a source's home area
  (the normal case), and ``name-national`` with no home area at all.

``find_place``'s result cache is bypassed so every call does the full work. Accuracy
(share resolved to the right kecamatan with confidence) is printed next to the speed.

    python -m bench.bench_resolver            # all workloads
    python -m bench.bench_resolver --only name --limit 2000 --json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from shared import jurisdiction as R
from shared.jurisdiction import search
from shared.schemas import Level, Location

WORKLOADS = ("code", "coordinates", "name", "name-national")


@dataclass
class Result:
    workload: str
    calls: int
    per_second: float
    p50_us: float
    p99_us: float
    accuracy: float


def inject_typo(name: str, rng: random.Random) -> str:
    """One realistic typo: drop, swap or double a letter, or join the words."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 4:
        return name.lower()
    kind = rng.choice(("drop", "swap", "double", "join"))
    if kind == "join" and " " in name:
        return name.replace(" ", "")
    i = rng.choice(letters[1:-1])
    if kind == "swap" and name[i + 1].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1 :]


def code_form(code: str, rng: random.Random) -> str:
    return rng.choice((code, code.replace(".", ""), code.replace(".", "-")))


def run(workload: str, cases: Sequence[tuple[Callable[[], R.Resolution], str]]) -> Result:
    """Time each call; accuracy = right kecamatan (or village in it) and not low confidence."""
    latencies: list[float] = []
    right = 0
    start = time.perf_counter()
    for call, expected in cases:
        t = time.perf_counter()
        res = call()
        latencies.append(time.perf_counter() - t)
        right += bool(res.code and res.code.startswith(expected) and not res.low_confidence)
    total = time.perf_counter() - start
    latencies.sort()
    return Result(
        workload=workload,
        calls=len(cases),
        per_second=len(cases) / total if total else float("inf"),
        p50_us=statistics.median(latencies) * 1e6,
        p99_us=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1e6,
        accuracy=right / len(cases) if cases else 0.0,
    )


def build_cases(
    workload: str, codes: list[str], rng: random.Random
) -> list[tuple[Callable[[], R.Resolution], str]]:
    reg = R.regions()
    find = search._find_place_cached.__wrapped__  # bypass the LRU cache: measure real work
    cases: list[tuple[Callable[[], R.Resolution], str]] = []
    for code in codes:
        if workload == "code":
            text = code_form(code, rng)
            cases.append((lambda text=text: find(text, ()), code))
        elif workload == "coordinates":
            lat, lon = reg.centroid(code) or (0.0, 0.0)
            loc = Location(
                latitude=lat + rng.uniform(-0.01, 0.01), longitude=lon + rng.uniform(-0.01, 0.01)
            )
            cases.append((lambda loc=loc: R.resolve_location(loc), code))
        else:
            text = inject_typo(reg.name(code) or "", rng)
            within = (code[:5],) if workload == "name" else ()
            cases.append((lambda text=text, within=within: find(text, within), code))
    return cases


def measure_first_use() -> dict[str, float]:
    """Seconds to load names, villages and centroids on first use (fresh process only)."""
    out = {}
    t = time.perf_counter()
    reg = R.regions()
    out["names_s"] = time.perf_counter() - t
    t = time.perf_counter()
    reg.count(Level.desa)
    out["villages_s"] = time.perf_counter() - t
    t = time.perf_counter()
    reg.has_centroids()
    out["centroids_s"] = time.perf_counter() - t
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_resolver",
        description="Resolutions per second and p50/p99 latency of shared.jurisdiction "
        "by code, by coordinates and by fuzzy name over all 7,285 kecamatan.",
    )
    parser.add_argument(
        "--only", choices=WORKLOADS, action="append", help="run one workload (repeatable)"
    )
    parser.add_argument(
        "--limit", type=int, default=0, help="use only the first N kecamatan (0: all)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for typos and code forms")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    load = measure_first_use()
    rng = random.Random(args.seed)
    codes = R.regions().codes(Level.kecamatan)
    if args.limit:
        codes = codes[: args.limit]
    for area in {c[:5] for c in codes}:  # warm the per-kabupaten name lists once
        R.regions().fuzzy_in(area, "warm", 100)
    results = [run(w, build_cases(w, codes, rng)) for w in (args.only or WORKLOADS)]

    if args.json:
        print(json.dumps({"first_use": load, "results": [asdict(r) for r in results]}, indent=2))
        return 0
    print(
        "first use: names {names_s:.3f} s, villages {villages_s:.3f} s, "
        "centroids {centroids_s:.3f} s".format(**load)
    )
    print(
        f"{'workload':<14} {'calls':>6} {'res/s':>10} {'p50 µs':>9} {'p99 µs':>9} {'accuracy':>9}"
    )
    for r in results:
        print(
            f"{r.workload:<14} {r.calls:>6} {r.per_second:>10,.0f} {r.p50_us:>9.1f} "
            f"{r.p99_us:>9.1f} {r.accuracy:>8.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
