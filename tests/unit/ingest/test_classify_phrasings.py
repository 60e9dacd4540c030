"""The category of a report as members write it: how they name foreigners, shorthand,
denials. The goal is pinned on the generated phrasings of ``bench.bench_classify``."""

from __future__ import annotations

import pytest

from bench.bench_classify import GOAL, SUBJECTS, generate, measure
from ingest_service import normalize as nz
from shared.schemas import Category


def test_generated_phrasings_reach_the_goal() -> None:
    result = measure(generate(seed=7))
    assert result.category.total > 2500  # every subject with every activity
    misses = [f"{c.text!r} → {got}" for c, got in result.misses]
    assert result.category.accuracy >= GOAL, misses
    assert result.nationality.accuracy >= GOAL, misses
    for category, tally in result.by_category.items():
        assert tally.accuracy >= 0.95, (category, misses)


@pytest.mark.parametrize(("subject", "nationality", "implied"), SUBJECTS)
def test_naming_foreigners_alone(subject: str, nationality: str | None, implied: Category) -> None:
    """A worker is reported for suspected work; anyone else is only present."""
    assert (nz.classify(f"ada 3 {subject}") or Category.presence) is implied


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # shorthand
        ("WNA ijin tinggal sdh habis", Category.overstay),
        ("3 org asing krj di tambang", Category.illegal_work),
        ("bule nginep di losmen", Category.presence),
        ("KITAS-nya udah mati", Category.overstay),
        # set phrases
        ("WNA tdk punya paspor", Category.illegal_entry),
        ("orang asing tidak memiliki izin kerja", Category.illegal_work),
        ("kegiatan tidak sesuai izin tinggal", Category.permit_misuse),
        ("izin tinggal tidak berlaku lagi", Category.overstay),
        ("kegiatannya tidak jelas", Category.suspicious_activity),
        ("pakai visa turis tapi kerja di tambang", Category.permit_misuse),
        ("bekerja dengan visa kunjungan", Category.permit_misuse),
        # denials
        ("turis, tidak bekerja, hanya liburan", Category.presence),
        ("bukan pekerja, hanya berkunjung", Category.presence),
        ("izin tinggalnya belum habis, menginap", Category.presence),
        ("tidak ada yang mencurigakan, menginap di hotel", Category.presence),
        # the graver reading wins
        ("TKA menginap di mess", Category.illegal_work),
        ("TKA masuk lewat jalur tikus", Category.illegal_entry),
        ("WNA dipaksa kerja di kapal", Category.human_trafficking),
        ("orang Cina jadi operator alat berat", Category.illegal_work),
        ("warga Korea buka usaha tanpa izin", Category.illegal_work),
        ("bule mabuk meresahkan warga", Category.suspicious_activity),
    ],
)
def test_phrasings(text: str, category: Category) -> None:
    assert nz.classify(text) is category


def test_words_that_are_not_categories() -> None:
    for text in ("cuaca cerah", "ada 3 WNA", "laporan dari karyawan hotel", "data tidak sesuai"):
        assert nz.classify(text) is None, text
