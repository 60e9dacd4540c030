"""What a newer decree changed: :func:`diff` of two datasets (code → name), pure.

What the names alone tell (two datasets, no mapping):

* **new**: a code only the new data has; **removed**: a code only the old data has;
* **renamed**: the same code with another name (compared as people write them, so
  "Batulicin" → "Batu Licin" is no rename);
* a *possible move*: a removed code whose name reappears under exactly one new code of
  the same level. Only a guess (names repeat across Indonesia): listed, never applied.

What needs the decree's own list (the **changes file**): a **split** (one code into
several; the old code lives on when it is among the parts), a **merge** (several codes
into one) and a **move** (a unit given another code, e.g. into a new kabupaten). A new
kecamatan "Satui Barat" may be carved out of Satui or out of its neighbours: only the
decree says which. The changes file, YAML::

    decree: "Kepmendagri 100.1.1-0001/2026"   # optional; must match the data's
    changes:
      - {kind: split, from: "63.10.04", to: ["63.10.04", "63.10.13"]}
      - {kind: merge, from: ["63.10.11", "63.10.12"], to: "63.10.11"}
      - {kind: move, from: "63.10.12", to: "63.14.01"}

:func:`read_changes` and :func:`diff` never raise for bad content: problems come back as
lines ``where: what``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from shared.jurisdiction.codes import shape_code
from shared.jurisdiction.names import name_key

Kind = Literal["split", "merge", "move"]
KINDS: tuple[Kind, ...] = ("split", "merge", "move")


@dataclass(frozen=True)
class Change:
    """One entry of the decree's list: ``sources`` → ``targets``."""

    kind: Kind
    sources: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Split:
    code: str
    parts: tuple[str, ...]

    @property
    def lives_on(self) -> bool:
        """The old code is one of the parts (the unit kept it)."""
        return self.code in self.parts


@dataclass(frozen=True)
class Merge:
    codes: tuple[str, ...]
    into: str


@dataclass(frozen=True)
class Move:
    code: str
    to: str


@dataclass(frozen=True)
class Diff:
    """Two datasets compared (codes down to kecamatan), with the decree's changes."""

    old_decree: str
    new_decree: str
    old: Mapping[str, str]
    new: Mapping[str, str]
    added: dict[str, str] = field(default_factory=dict)  # new codes no change explains
    removed: dict[str, str] = field(default_factory=dict)  # gone codes no change explains
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # code, old, new name
    splits: list[Split] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    possible_moves: list[Move] = field(default_factory=list)  # by name only: not applied
    problems: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.added or self.removed or self.renamed or self.splits or self.merges or self.moves
        )

    def successors(self, code: str) -> tuple[str, ...]:
        """What ``code`` became: the parts of a split, the code it merged into or moved
        to, itself when it lives on unchanged (or renamed), nothing when it is gone."""
        for split in self.splits:
            if split.code == code:
                return split.parts
        for merge in self.merges:
            if code in merge.codes:
                return (merge.into,)
        for move in self.moves:
            if move.code == code:
                return (move.to,)
        return (code,) if code in self.new else ()

    def changed_sources(self) -> list[tuple[str, tuple[str, ...], str]]:
        """Every old code a change names: ``(code, successors, kind)``."""
        out = [(s.code, s.parts, "split") for s in self.splits]
        out += [(c, (m.into,), "merge") for m in self.merges for c in m.codes if c != m.into]
        out += [(m.code, (m.to,), "move") for m in self.moves]
        return out

    def name(self, code: str) -> str:
        return self.new.get(code) or self.old.get(code) or code


def _codes(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, str) or shape_code(item) != item or item.count(".") > 2:
            problems.append(f"{where}: {item!r} is not a quoted dotted code down to kecamatan")
        else:
            out.append(item)
    return tuple(out)


def parse_changes(data: Any) -> tuple[str | None, list[Change], list[str]]:
    """The changes file's decree (if it names one), its changes, and its problems."""
    if data is None:
        return None, [], []
    if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
        return None, [], ["changes: a list of {kind, from, to}"]
    problems: list[str] = [f"{k}: unknown key" for k in sorted(set(data) - {"decree", "changes"})]
    decree = data.get("decree")
    if decree is not None and not isinstance(decree, str):
        problems.append("decree: text, e.g. 'Kepmendagri 100.1.1-0001/2026'")
    changes = []
    for i, entry in enumerate(data["changes"]):
        where = f"changes[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"kind", "from", "to"}:
            problems.append(f"{where}: exactly kind, from and to")
            continue
        kind = entry["kind"]
        if kind not in KINDS:
            problems.append(f"{where}.kind: one of {', '.join(KINDS)}")
            continue
        sources = _codes(entry["from"], f"{where}.from", problems)
        targets = _codes(entry["to"], f"{where}.to", problems)
        wanted = {"split": (1, 2), "merge": (2, 1), "move": (1, 1)}[kind]
        if (len(sources) < wanted[0] or (kind != "merge" and len(sources) > 1)) or (
            len(targets) < wanted[1] or (kind != "split" and len(targets) > 1)
        ):
            shape = {"split": "one code into several", "merge": "several codes into one"}
            problems.append(f"{where}: a {kind} is {shape.get(kind, 'one code to another')}")
            continue
        changes.append(Change(kind, sources, targets))
    return (decree if isinstance(decree, str) else None), changes, problems


def read_changes(path: Path) -> tuple[str | None, list[Change], list[str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [], [f"{path}: cannot read it: {exc}"]
    decree, changes, problems = parse_changes(data)
    return decree, changes, [f"{path}: {p}" for p in problems]


def _check(change: Change, where: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    out = [f"{where}: {c} is not in the old data" for c in change.sources if c not in old]
    out += [f"{where}: {c} is not in the new data" for c in change.targets if c not in new]
    depth = {c.count(".") for c in (*change.sources, *change.targets)}
    if len(depth) > 1:
        out.append(f"{where}: every code of a {change.kind} is of the same level")
    survivors = set(change.targets) if change.kind == "merge" else set()
    if change.kind == "move" and change.sources == change.targets:
        out.append(f"{where}: a move gives the unit another code")
    out += [
        f"{where}: {c} is still in the new data; a {change.kind} abolishes it"
        for c in change.sources
        if c in new and c not in survivors and change.kind != "split"
    ]
    return out


def diff(
    old: Mapping[str, str],
    new: Mapping[str, str],
    changes: Sequence[Change] = (),
    *,
    old_decree: str = "",
    new_decree: str = "",
) -> Diff:
    """What changed from ``old`` to ``new`` (codes down to kecamatan; villages ignored),
    with ``changes`` (the decree's list) explaining splits, merges and moves."""
    old = {c: n for c, n in old.items() if c.count(".") <= 2}
    new = {c: n for c, n in new.items() if c.count(".") <= 2}
    out = Diff(old_decree, new_decree, old, new)
    named: dict[str, int] = {}
    for i, change in enumerate(changes):
        where = f"changes[{i}] ({change.kind} {', '.join(change.sources)})"
        problems = _check(change, where, old, new)
        for code in change.sources:
            if code in named:
                problems.append(f"{where}: {code} is also in changes[{named[code]}]")
            named[code] = i
        if problems:
            out.problems.extend(problems)
            continue
        if change.kind == "split":
            out.splits.append(Split(change.sources[0], change.targets))
        elif change.kind == "merge":
            out.merges.append(Merge(change.sources, change.targets[0]))
        else:
            out.moves.append(Move(change.sources[0], change.targets[0]))
    explained_new = {t for c in changes for t in c.targets} | set(named)
    explained_gone = set(named)
    out.added.update(
        {c: n for c, n in sorted(new.items()) if c not in old and c not in explained_new}
    )
    out.removed.update(
        {c: n for c, n in sorted(old.items()) if c not in new and c not in explained_gone}
    )
    out.renamed.extend(
        (c, old[c], n)
        for c, n in sorted(new.items())
        if c in old and name_key(old[c]) != name_key(n)
    )
    out.possible_moves.extend(_possible_moves(out.removed, out.added))
    return out


def _possible_moves(removed: Mapping[str, str], added: Mapping[str, str]) -> list[Move]:
    """A removed code whose name key reappears under exactly one added code of its level."""
    found = []
    for code, name in removed.items():
        key, depth = name_key(name), code.count(".")
        same = [c for c, n in added.items() if c.count(".") == depth and name_key(n) == key]
        if len(same) == 1:
            found.append(Move(code, same[0]))
    return found
