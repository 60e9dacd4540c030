"""How members write about foreigners: accuracy of the text report category and nationality.

The set is generated from two tables: the ways people name foreigners (``SUBJECTS``:
"WNA", "warga negara asing", "orang asing", "TKA", "tenaga kerja asing", "bule", "turis",
"ekspatriat", "orang Cina", "warga Korea"...) and what they say the foreigners do
(``ACTIVITIES``, per category: "kerja di tambang", "izin tinggal sdh habis", "masuk
lewat jalur tikus", "tidak bekerja, hanya liburan"...). Every subject is combined with
every activity in one of a few message shapes ("LAPOR Satui ada 3 WNA kerja di tambang",
"lapor: kerja di tambang, 3 WNA, di Satui") and parsed by the real ingest text parser.

The expected category is what today's rules intend: the activity's category, or the
subject's when that is more serious (a "TKA" is reported for suspected work without a
permit: illegal work unless the text says something graver), in the classifier's order
of seriousness; no activity named is a presence report. The expected nationalities are
the subject's. Deterministic for a seed.

    uv run --frozen python -m bench.bench_classify
    uv run --frozen python -m bench.bench_classify --misses 100 --seed 3
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

from bench.bench_places import CTX
from ingest_service.formats.text.report import TextMessage, parse_text_report
from shared.schemas import Category, SourceFormat

GOAL = 0.98
C = Category
# The order of seriousness the classifier's rules follow (the first match wins).
SERIOUSNESS = (
    C.human_trafficking, C.narcotics, C.illegal_entry, C.permit_misuse, C.illegal_work,
    C.overstay, C.suspicious_activity, C.presence,
)  # fmt: skip

# (how the foreigners are named, their nationality, the category the words imply alone)
SUBJECTS: tuple[tuple[str, str | None, Category], ...] = (
    ("WNA", None, C.presence), ("wna", None, C.presence),
    ("warga negara asing", None, C.presence), ("warganegara asing", None, C.presence),
    ("orang asing", None, C.presence), ("org asing", None, C.presence),
    ("orang luar negeri", None, C.presence), ("foreigner", None, C.presence),
    ("bule", None, C.presence), ("bule Australia", "AUS", C.presence),
    ("bule Rusia", "RUS", C.presence), ("turis", None, C.presence),
    ("turis asing", None, C.presence), ("wisatawan asing", None, C.presence),
    ("turis Jepang", "JPN", C.presence), ("ekspatriat", None, C.presence),
    ("expat", None, C.presence), ("orang Cina", "CHN", C.presence),
    ("orang Tiongkok", "CHN", C.presence), ("warga Korea", "KOR", C.presence),
    ("WN China", "CHN", C.presence), ("WN RRT", "CHN", C.presence),
    ("WNA asal Vietnam", "VNM", C.presence), ("warga negara Filipina", "PHL", C.presence),
    ("orang India", "IND", C.presence), ("warga Malaysia", "MYS", C.presence),
    ("WNA Korsel", "KOR", C.presence), ("warga Amerika", "USA", C.presence),
    ("ABK asing", None, C.presence), ("TKA", None, C.illegal_work),
    ("tenaga kerja asing", None, C.illegal_work), ("pekerja asing", None, C.illegal_work),
    ("TKA China", "CHN", C.illegal_work), ("pekerja Tiongkok", "CHN", C.illegal_work),
    ("buruh asing", None, C.illegal_work),
)  # fmt: skip

# What they are said to do, per category ("" : nothing said beyond being there).
ACTIVITIES: dict[Category, tuple[str, ...]] = {
    C.human_trafficking: (
        "diduga korban perdagangan orang", "terkait TPPO", "dipaksa kerja di kapal",
        "jadi korban kerja paksa", "dijual ke tempat hiburan", "korban eksploitasi seksual",
        "korban perdagangan manusia", "dipaksa jadi PSK",
    ),
    C.narcotics: (
        "membawa narkoba", "pakai sabu", "kedapatan sabu-sabu", "jual ganja",
        "pesta narkoba", "kurir narkotika", "nyabu di kos", "bawa pil ekstasi",
    ),
    C.illegal_entry: (
        "masuk tanpa paspor", "imigran gelap", "masuk lewat jalur tikus",
        "tidak punya paspor", "tanpa dokumen", "masuk secara ilegal",
        "diselundupkan lewat laut", "turun dari kapal tanpa dokumen", "pendatang gelap",
        "tdk ada paspor",
    ),
    C.permit_misuse: (
        "penyalahgunaan izin tinggal", "pakai visa turis tapi kerja",
        "visa kunjungan dipakai bekerja", "kegiatan tidak sesuai izin", "menyalahgunakan visa",
        "izin tinggal tidak sesuai kegiatannya", "visa wisata tapi bekerja",
    ),
    C.illegal_work: (
        "kerja di tambang", "bekerja tanpa izin", "jadi buruh di kebun sawit",
        "kerja proyek smelter", "dipekerjakan di PT", "kerja tanpa IMTA",
        "tidak punya izin kerja", "jadi operator alat berat", "krj di tambang batubara",
        "berjualan di pasar", "kerja2 di pelabuhan", "jadi karyawan perusahaan",
        "menambang emas", "bekerja sebagai mandor", "berdagang tanpa izin",
    ),
    C.overstay: (
        "overstay", "izin tinggal habis", "visa sudah habis", "ijin tinggal sdh habis",
        "KITAS sudah mati", "visa expired", "melebihi izin tinggal", "izinnya sudah habis",
        "lewat masa berlaku visa", "tinggal melebihi batas waktu",
        "izin tinggal tidak berlaku lagi", "over stay 2 bulan", "visanya udah habis",
        "kitas kadaluarsa",
    ),
    C.suspicious_activity: (
        "mencurigakan", "gerak-geriknya mencurigakan", "kegiatannya tidak jelas",
        "memotret objek vital", "dicurigai", "meresahkan warga", "perilakunya aneh",
        "sering mondar-mandir malam hari",
    ),
    C.presence: (
        "menginap di hotel", "tinggal di mess", "nginap di penginapan", "datang berkunjung",
        "jalan-jalan", "liburan", "baru tiba", "sewa rumah", "ngekos", "kontrak rumah",
        "tinggal di rumah warga", "", "terlihat", "tidak bekerja, hanya liburan",
        "izin tinggal masih berlaku", "izin tinggalnya belum habis",
        "tidak mencurigakan, menginap", "bukan pekerja, hanya berkunjung",
    ),
}  # fmt: skip

_PLACES = ("Satui", "Angsana", "Simpang Empat", "desa Sungai Cuka", "Kec. Kusan Hilir")
_SHAPES = (
    "LAPOR {place} ada {n} {subject} {activity}",
    "lapor {subject} {n} org {activity} di {place}",
    "Lpr di {place} {n} {subject} {activity}",
    "lapor: {activity}, {n} {subject}, di {place}",
    "LAPOR {place} {subject} {activity}",
)


@dataclass(frozen=True)
class Case:
    text: str
    subject: str
    activity: str
    category: Category  # expected
    nationalities: tuple[str, ...]  # expected


def expected_category(activity: Category, subject: Category) -> Category:
    """The graver of the two in the classifier's order (most serious first)."""
    return min(activity, subject, key=SERIOUSNESS.index)


def generate(seed: int = 7) -> list[Case]:
    """Every subject with every activity, each in one message shape (seeded)."""
    rng = random.Random(seed)
    cases = []
    for subject, nationality, implied in SUBJECTS:
        for category, activities in ACTIVITIES.items():
            for activity in activities:
                shape = rng.choice(_SHAPES[:3] if not activity else _SHAPES)
                text = shape.format(
                    place=rng.choice(_PLACES), n=rng.randint(2, 9), subject=subject,
                    activity=activity,
                )  # fmt: skip
                text = " ".join(text.replace(" ,", ",").split())
                cases.append(
                    Case(
                        text, subject, activity or "(nothing)",
                        expected_category(category, implied),
                        (nationality,) if nationality else (),
                    )
                )  # fmt: skip
    return cases


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.total += 1
        self.right += ok

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


@dataclass
class Result:
    category: Tally = field(default_factory=Tally)
    nationality: Tally = field(default_factory=Tally)
    by_category: dict[Category, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_subject: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[tuple[Case, str]] = field(default_factory=list)
    us_per_report: float = 0.0


def measure(cases: list[Case]) -> Result:
    """Category and nationality accuracy, per expected category and per subject."""
    result = Result()
    start = time.perf_counter()
    for case in cases:
        parsed = parse_text_report(TextMessage(text=case.text), 0, CTX, SourceFormat.kannel_mo)
        report = parsed.report
        got = report.category if report else None
        found = tuple(s.nationality for s in report.subjects if s.nationality) if report else ()
        ok = got is case.category
        for tally in (result.category, result.by_category[case.category]):
            tally.add(ok)
        result.by_subject[case.subject].add(ok)
        result.nationality.add(found == case.nationalities)
        if not ok:
            result.misses.append((case, f"category {getattr(got, 'value', got)}"))
        elif found != case.nationalities:
            result.misses.append((case, f"nationalities {list(found)}"))
    result.us_per_report = (time.perf_counter() - start) / max(1, len(cases)) * 1e6
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_classify",
        description="Category and nationality accuracy of text reports over generated "
        "phrasings: every way of naming foreigners with every kind of activity.",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for message shapes")
    parser.add_argument("--misses", type=int, default=40, help="misses to list (0: none)")
    args = parser.parse_args(argv)

    result = measure(generate(args.seed))
    print(f"{'expected category':<22} {'cases':>6} {'right':>6} {'accuracy':>9}")
    for cat in SERIOUSNESS:
        if cat in result.by_category:
            t = result.by_category[cat]
            print(f"{cat.value:<22} {t.total:>6} {t.right:>6} {t.accuracy:>8.1%}")
    for label, t in (
        ("all (goal " + format(GOAL, ".0%") + ")", result.category),
        ("nationalities", result.nationality),
    ):
        print(f"{label:<22} {t.total:>6} {t.right:>6} {t.accuracy:>8.1%}")
    weak = sorted((t.accuracy, s) for s, t in result.by_subject.items() if t.accuracy < 1.0)
    if weak:
        print("subjects below 100%: " + ", ".join(f"{s!r} {a:.0%}" for a, s in weak))
    print(f"time per report: {result.us_per_report:.0f} µs")
    if result.misses and args.misses:
        shown = result.misses[: args.misses]
        print(f"\nmisses ({len(result.misses)}; first {len(shown)}):")
        for case, got in shown:
            want = f"{case.category.value} {list(case.nationalities)}"
            print(f"  {case.text!r} → {got} (want {want})")
    return 0 if result.category.accuracy >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
