"""diff(old, new, changes): what names alone tell (new, removed, renamed, a possible
move) and what needs the decree's list (split, merge, move), checked against the data."""

from __future__ import annotations

from pathlib import Path

from shared.jurisdiction.changes import (
    Change,
    Merge,
    Move,
    Split,
    diff,
    parse_changes,
    read_changes,
)
from shared.jurisdiction.data import shipped_units, units_of
from shared.jurisdiction.decree import load_regions_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "regions"
OLD = {
    "63": "Kalimantan Selatan",
    "63.10": "Kabupaten Tanah Bumbu",
    "63.10.02": "Kusan Hilir",
    "63.10.04": "Satui",
    "63.10.11": "Kusan Tengah",
    "63.10.12": "Teluk Kepayang",
    "63.10.01": "Batulicin",
}
NEW = {
    **{k: v for k, v in OLD.items() if k != "63.10.12"},
    "63.10.02": "Pagatan",
    "63.10.01": "Batu Licin",  # the same name written apart: no rename
    "63.10.13": "Satui Barat",
}
SPLIT = Change("split", ("63.10.04",), ("63.10.04", "63.10.13"))
MERGE = Change("merge", ("63.10.11", "63.10.12"), ("63.10.11",))


def test_names_alone_give_new_removed_and_renamed_codes() -> None:
    d = diff(OLD, NEW)
    assert d.added == {"63.10.13": "Satui Barat"}
    assert d.removed == {"63.10.12": "Teluk Kepayang"}
    assert d.renamed == [("63.10.02", "Kusan Hilir", "Pagatan")]
    assert not d.splits
    assert not d.merges
    assert not d.moves
    assert not d.problems
    assert d.successors("63.10.12") == ()  # gone, nobody says where


def test_the_decree_list_gives_the_split_and_the_merge() -> None:
    d = diff(OLD, NEW, [SPLIT, MERGE], old_decree="A", new_decree="B")
    assert d.splits == [Split("63.10.04", ("63.10.04", "63.10.13"))]
    assert d.splits[0].lives_on
    assert d.merges == [Merge(("63.10.11", "63.10.12"), "63.10.11")]
    assert d.added == {}
    assert d.removed == {}
    assert d.successors("63.10.04") == ("63.10.04", "63.10.13")
    assert d.successors("63.10.12") == ("63.10.11",)
    assert d.successors("63.10.11") == ("63.10.11",)
    assert (d.old_decree, d.new_decree) == ("A", "B")


def test_a_split_whose_old_code_is_gone_and_a_move() -> None:
    new = {**{k: v for k, v in OLD.items() if k not in ("63.10.04", "63.10.12")}}
    new |= {"63.10.13": "Satui Barat", "63.10.14": "Satui Timur", "63.10.15": "Teluk Kepayang"}
    gone = Change("split", ("63.10.04",), ("63.10.13", "63.10.14"))
    moved = Change("move", ("63.10.12",), ("63.10.15",))
    d = diff(OLD, new, [gone, moved])
    assert not d.splits[0].lives_on
    assert d.moves == [Move("63.10.12", "63.10.15")]
    # without the list, the same name under another code is only a possible move
    guessed = diff(OLD, new)
    assert guessed.possible_moves == [Move("63.10.12", "63.10.15")]
    assert not guessed.moves


def test_changes_that_do_not_fit_the_data_are_problems() -> None:
    wrong = [
        Change("split", ("63.10.09",), ("63.10.04", "63.10.13")),  # 63.10.09 is not old data
        Change("merge", ("63.10.02", "63.10.04"), ("63.10.02",)),  # 63.10.04 lives on
        Change("move", ("63.10.12",), ("63.10",)),  # another level
        Change("move", ("63.10.12",), ("63.10.13",)),  # 63.10.12 twice
    ]
    problems = diff(OLD, NEW, wrong).problems
    assert "changes[0] (split 63.10.09): 63.10.09 is not in the old data" in problems
    assert any("63.10.04 is still in the new data; a merge abolishes it" in p for p in problems)
    assert any("every code of a move is of the same level" in p for p in problems)
    assert any("63.10.12 is also in changes[2]" in p for p in problems)


def test_the_changes_file_is_parsed_without_raising(tmp_path: Path) -> None:
    decree, changes, problems = read_changes(SAMPLES / "changes-2026.yaml")
    assert decree == "Kepmendagri 100.1.1-0001/2026 (synthetic)"
    assert changes == [SPLIT, MERGE]
    assert not problems
    _, _, bad = parse_changes(
        {"changes": [{"kind": "split", "from": "63.10.04", "to": "63.10.13"},
                     {"kind": "fold", "from": "x", "to": "y"}, {"kind": "move"},
                     {"kind": "move", "from": 63.1, "to": "63.10"}], "x": 1}
    )  # fmt: skip
    assert bad == [
        "x: unknown key",
        "changes[0]: a split is one code into several",
        "changes[1].kind: one of split, merge, move",
        "changes[2]: exactly kind, from and to",
        "changes[3].from: 63.1 is not a quoted dotted code down to kecamatan",
        "changes[3]: a move is one code to another",
    ]
    assert read_changes(tmp_path / "none.yaml")[2][0].endswith(
        f"No such file or directory: '{tmp_path / 'none.yaml'}'"
    )


def test_the_sample_decree_against_the_shipped_data() -> None:
    new = load_regions_file(SAMPLES / "kepmendagri-2026.yaml")
    d = diff(shipped_units(), units_of(new), [SPLIT, MERGE])
    assert not d.problems
    assert not d.added
    assert not d.removed
    assert d.renamed == [("63.10.02", "Kusan Hilir", "Pagatan")]
    assert len(d.splits) == 1
    assert len(d.merges) == 1
