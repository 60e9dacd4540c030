"""Place names as members write them: accuracy of text reports to the right kecamatan.

The set is generated from the regions data for every kecamatan and village of the home
area of Kantor Imigrasi Batulicin (Tanah Bumbu ``63.10`` and Kotabaru ``63.02``), each
name in the ways people write it:

* ``prefix``: with a level word ("Desa", "Ds.", "Kel.", "Kelurahan", "Kec.", "Kecamatan");
* ``bare``: the name alone;
* ``spacing``: run together or split ("Sungai Cuka" ↔ "Sungaicuka", "Batulicin");
* ``typo``: one edit (a letter dropped, doubled, swapped or a vowel changed) in a name of
  six letters or more, with or without a prefix;
* ``desa+kec``: the village and its kecamatan ("desa sungaicuka kec satui"), the village
  sometimes misspelt.

Each becomes a text report as a member would send it ("LAPOR WNA 3 org di desa
sungaicuka kec satui"), parsed by the real ingest text parser and placed as ingest
places it. A case is *right* when the report's routing code lies in the expected
kecamatan, *wrong* when it names another kecamatan (a wrong hit, worse than a miss),
else a *miss*. Village names that repeat inside the home area cannot name one kecamatan
alone: those cases are counted apart (``ambiguous``), right when they name no wrong
kecamatan; so are texts that name no place at all (``no place``: "kerja di tambang", "di
pantai"), right when they are placed at no kecamatan. Neither counts toward the goal.
Deterministic for a seed; ``find_place``'s cache is cleared before every report (after a
short warm-up), so the time per report is the full work.

    uv run --frozen python -m bench.bench_places
    uv run --frozen python -m bench.bench_places --misses 100 --seed 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest_service.formats import SourceContext
from ingest_service.formats.text.report import TextMessage, parse_text_report
from shared import jurisdiction as R
from shared.jurisdiction import search
from shared.schemas import Level, SourceFormat

HOME_AREA = ("63.10", "63.02")
GOAL = 0.98
CTX = SourceContext(
    source="kanim-batulicin",
    home_area=HOME_AREA,
    received_at=datetime(2026, 1, 12, 2, 0, tzinfo=UTC),
)
TYPO_MIN_LETTERS = 6

_DESA_PREFIXES = ("Desa", "desa", "Ds.", "ds", "Kel.", "kel", "Kelurahan", "DESA")
_KEC_PREFIXES = ("Kec.", "kec", "Kecamatan", "kec.", "KEC", "Kec")
# Words a name is often split after when it is written run together ("Sungaicuka").
_SPLIT_HEADS = (
    "sungai", "gunung", "pulau", "batu", "tanjung", "teluk", "danau", "kota", "karang",
    "muara", "rantau", "tanah", "sido", "sari", "rejo", "suka", "bumi", "kotabaru",
)  # fmt: skip
_TEMPLATES = (
    "LAPOR {place} ada {n} WNA kerja di tambang",
    "lapor WNA {n} org di {place}",
    "Lpr di {place} ada {n} orang asing menginap",
    "LAPOR ada {n} TKA China bekerja di {place}",
    "lapor: {place}, {n} WNA overstay",
    "LAPOR {n} bule mencurigakan di {place}",
    "lapor {place} {n} warga negara asing tinggal di mess",
)
# Texts that name no place, in the words members use for where they saw someone.
_NO_PLACE = (
    "LAPOR ada {n} WNA kerja di tambang",
    "lapor {n} orang asing menginap di mess perusahaan",
    "LAPOR ada bule {n} org di pantai",
    "lpr TKA {n} org kerja di pabrik smelter",
    "LAPOR WNA {n} orang di kebun sawit",
    "lapor ada {n} turis di pelabuhan",
    "LAPOR {n} WNA naik kapal tongkang di dermaga",
    "lapor orang asing {n} org tinggal di kontrakan dekat pasar",
    "LAPOR ada {n} WNA di tengah hutan",
    "lapor {n} warga negara asing di galian tambang emas",
    "LAPOR WNA {n} org di gunung dekat jalan",
    "lapor ada {n} tenaga kerja asing di proyek jembatan",
    "LAPOR {n} ekspatriat di lokasi site mining",
    "lapor ada orang asing mencurigakan di warung",
)
_VOWEL_SWAPS = {"a": "e", "e": "a", "i": "e", "u": "o", "o": "u", "y": "i"}


@dataclass(frozen=True)
class Case:
    variant: str
    text: str
    expected: str | None  # kecamatan code; None: the text names no place
    name: str  # the official name the text was made from
    ambiguous: bool = False  # the name alone does not tell the kecamatan


@dataclass
class Outcome:
    right: int = 0
    wrong: int = 0
    miss: int = 0
    misses: list[tuple[Case, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.miss

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


# --------------------------------------------------------------------------- generating


def _letters(name: str) -> int:
    return sum(c.isalpha() for c in name)


def respace(name: str) -> str | None:
    """The name run together ("Sungai Cuka" → "Sungaicuka") or split ("Sungaicuka" →
    "Sungai Cuka"); None when it has neither form."""
    if " " in name:
        return name.replace(" ", "")
    lower = name.lower()
    for head in _SPLIT_HEADS:
        if lower.startswith(head) and len(lower) - len(head) >= 3:
            return name[: len(head)] + " " + name[len(head)].upper() + name[len(head) + 1 :]
    return None


def typo(name: str, rng: random.Random) -> str:
    """One edit inside the name (never its first letter): drop, double, swap, vowel."""
    positions = [i for i, c in enumerate(name) if c.isalpha() and i > 0]
    i = rng.choice(positions[:-1] or positions)
    kind = rng.choice(("drop", "double", "swap", "vowel"))
    if kind == "swap" and i + 1 < len(name) and name[i + 1].isalpha() and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == "vowel" and name[i].lower() in _VOWEL_SWAPS:
        return name[:i] + _VOWEL_SWAPS[name[i].lower()] + name[i + 1 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1 :]


def _case(text: str, rng: random.Random) -> str:
    return rng.choice((text, text.lower(), text.lower(), text.upper(), text.title()))


def _home_names() -> tuple[dict[str, str], list[tuple[str, str]], dict[str, set[str]]]:
    """Home-area kecamatan {code: name}, villages [(name, kecamatan code)] and the
    kecamatan each village name key is found in ("Sido Mulyo" and "Sidomulyo" are one)."""
    reg = R.regions()
    kecamatan: dict[str, str] = {}
    villages: list[tuple[str, str]] = []
    where: dict[str, set[str]] = defaultdict(set)
    for kab in HOME_AREA:
        for kec in reg.children(kab):
            kecamatan[kec.code] = kec.name
            for desa in reg.children(kec.code):
                villages.append((desa.name, kec.code))
                where[R.name_key(desa.name)].add(kec.code)
    return kecamatan, villages, where


def _typo_form(name: str, taken: set[str], rng: random.Random) -> str | None:
    """A misspelling of ``name`` that is not itself another home-area name."""
    for _ in range(6):
        form = typo(name, rng)
        if R.name_key(form) not in taken and R.name_key(form) != R.name_key(name):
            return form
    return None


def generate(seed: int = 7) -> list[Case]:
    """Every kecamatan and village of the home area in every variant, as texts."""
    rng = random.Random(seed)
    kecamatan, villages, where = _home_names()
    taken = {R.name_key(n) for n in kecamatan.values()} | set(where)
    cases: list[Case] = []

    def add(variant: str, place: str, expected: str, name: str, ambiguous: bool = False) -> None:
        template = rng.choice(_TEMPLATES)
        text = template.format(place=place, n=rng.randint(1, 12))
        cases.append(Case(variant, text, expected, name, ambiguous))

    for code, name in kecamatan.items():
        forms = _forms(name, _KEC_PREFIXES, taken, rng)
        for variant, place in forms:
            add(f"kec {variant}", place, code, name)
    for name, code in villages:
        ambiguous = len(where[R.name_key(name)]) > 1
        for variant, place in _forms(name, _DESA_PREFIXES, taken, rng):
            add(f"desa {variant}", place, code, name, ambiguous)
        kec = _case(rng.choice(_KEC_PREFIXES) + " " + kecamatan[code], rng)
        desa = name if rng.random() < 0.5 else rng.choice(_DESA_PREFIXES) + " " + name
        sep = rng.choice((" ", ", ", " "))
        add("desa+kec", _case(desa, rng) + sep + kec, code, name)
        if _letters(name) >= TYPO_MIN_LETTERS and (bad := _typo_form(name, taken, rng)):
            desa = rng.choice(_DESA_PREFIXES) + " " + bad
            add("desa+kec typo", _case(desa, rng) + sep + kec, code, name)
    for template in _NO_PLACE:
        for _ in range(3):
            text = _case(template.format(n=rng.randint(1, 12)), rng)
            cases.append(Case("no place", text, None, "-"))
    return cases


def _forms(
    name: str, prefixes: tuple[str, ...], taken: set[str], rng: random.Random
) -> list[tuple[str, str]]:
    """(variant, place as written) for one name."""
    out = [("prefix", _case(rng.choice(prefixes) + " " + name, rng)), ("bare", _case(name, rng))]
    spaced = respace(name)
    if spaced and R.name_key(spaced) == R.name_key(name):
        with_prefix = rng.random() < 0.5
        out.append(("spacing", (rng.choice(prefixes) + " " if with_prefix else "") + spaced))
    if _letters(name) >= TYPO_MIN_LETTERS and (bad := _typo_form(name, taken, rng)):
        with_prefix = rng.random() < 0.5
        out.append(("typo", _case((rng.choice(prefixes) + " " if with_prefix else "") + bad, rng)))
    return out


# --------------------------------------------------------------------------- measuring


def place_of(text: str) -> str | None:
    """The routing code ingest gives a text report (the real parser and placing)."""
    parsed = parse_text_report(TextMessage(text=text), 0, CTX, SourceFormat.kannel_mo)
    if parsed.report is None or parsed.report.resolution is None:
        return None
    return parsed.report.resolution.routing_code


def judge(case: Case, code: str | None) -> str:
    """``right``, ``wrong`` (another kecamatan) or ``miss`` (not placed at kecamatan)."""
    kec = R.kecamatan_of(code) if code else None
    if case.expected is None:
        return "wrong" if kec else "right"
    if case.ambiguous:
        return "wrong" if kec and kec != case.expected and not _shares_name(case, kec) else "right"
    if kec == case.expected:
        return "right"
    return "wrong" if kec else "miss"


def _shares_name(case: Case, kec: str) -> bool:
    """The ambiguous village name is also a village of ``kec``."""
    return any(R.name_key(d.name) == R.name_key(case.name) for d in R.regions().children(kec))


def measure(cases: Iterable[Case], repeat: int = 1) -> tuple[dict[str, Outcome], list[float]]:
    """Outcomes per variant and seconds per report (the best of ``repeat`` runs: the
    machine's noise only ever adds time)."""
    outcomes: dict[str, Outcome] = defaultdict(Outcome)
    seconds: list[float] = []
    for case in cases:
        best = float("inf")
        for _ in range(max(1, repeat)):
            search._find_place_cached.cache_clear()  # every report does the full work
            t = time.perf_counter()
            code = place_of(case.text)
            best = min(best, time.perf_counter() - t)
        seconds.append(best)
        verdict = judge(case, code)
        out = outcomes["ambiguous" if case.ambiguous else case.variant]
        setattr(out, verdict, getattr(out, verdict) + 1)
        if verdict != "right":
            out.misses.append((case, f"{verdict}: {code or '-'} {R.regions().name(code or '')}"))
    return dict(outcomes), seconds


def overall(outcomes: dict[str, Outcome]) -> Outcome:
    """All cases that name one kecamatan together: what the goal is measured on."""
    total = Outcome()
    for variant, out in outcomes.items():
        if variant not in ("ambiguous", "no place"):
            total.right += out.right
            total.wrong += out.wrong
            total.miss += out.miss
            total.misses += out.misses
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_places",
        description="Accuracy of text reports to the right kecamatan over every kecamatan "
        "and village of Tanah Bumbu and Kotabaru, written with and without prefixes, run "
        "together or split and with one typo; misses listed; time per report.",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the generated set")
    parser.add_argument("--misses", type=int, default=40, help="misses to list (0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per report (best kept)")
    args = parser.parse_args(argv)

    R.regions().count(Level.desa)  # load the villages before timing
    cases = generate(args.seed)
    for case in cases[:: max(1, len(cases) // 50)]:  # warm the per-area lists and caches
        place_of(case.text)
    outcomes, seconds = measure(cases, args.repeat)
    total = overall(outcomes)
    print(f"{'variant':<16} {'cases':>6} {'right':>6} {'miss':>5} {'wrong':>6} {'accuracy':>9}")
    for variant in sorted(outcomes):
        out = outcomes[variant]
        print(
            f"{variant:<16} {out.total:>6} {out.right:>6} {out.miss:>5} {out.wrong:>6} "
            f"{out.accuracy:>8.1%}"
        )
    print(
        f"{'all (goal ' + format(GOAL, '.0%') + ')':<16} {total.total:>6} {total.right:>6} "
        f"{total.miss:>5} {total.wrong:>6} {total.accuracy:>8.1%}"
    )
    seconds.sort()
    print(
        f"time per report: mean {statistics.fmean(seconds) * 1e3:.2f} ms, "
        f"p50 {statistics.median(seconds) * 1e3:.2f} ms, "
        f"p99 {seconds[int(len(seconds) * 0.99)] * 1e3:.2f} ms ({len(seconds)} reports, "
        f"best of {args.repeat})"
    )
    listed = [m for o in outcomes.values() for m in o.misses][: args.misses]
    if listed:
        kinds = Counter(m[1].split(":")[0] for o in outcomes.values() for m in o.misses)
        print(f"\nmisses ({dict(kinds)}; first {len(listed)}):")
        for case, got in listed:
            print(f"  [{case.variant}] {case.text!r} → {got} (want {case.expected} {case.name})")
    return 0 if total.accuracy >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
