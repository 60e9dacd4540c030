"""The plan of ``timpora regions migrate`` (pure) for a synthetic decree: Satui
(63.10.04) split into Satui and Satui Barat (63.10.13), Kusan Hilir renamed Pagatan,
Teluk Kepayang (63.10.12) merged into Kusan Tengah (63.10.11); and the policy file's
codes rewritten as text, comments kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from console_service.policy_rewrite import rewrite_policy
from console_service.regions_plan import (
    AreaChange,
    Areas,
    SilenceChange,
    SilenceCopy,
    SilenceRef,
    TeamChange,
    TeamNeeded,
    TeamRef,
    area_image,
    plan,
)
from routing_service.policy import parse_policy
from shared.directory import load_directory
from shared.jurisdiction.changes import Change, Diff, diff
from shared.jurisdiction.data import reset_regions, shipped_units, units_of
from shared.jurisdiction.decree import load_regions_file

ROOT = Path(__file__).resolve().parents[3]
NEW_FILE = ROOT / "tests" / "samples" / "regions" / "kepmendagri-2026.yaml"
NEW = load_regions_file(NEW_FILE)
SPLIT = Change("split", ("63.10.04",), ("63.10.04", "63.10.13"))
MERGE = Change("merge", ("63.10.11", "63.10.12"), ("63.10.11",))
TEAMS = [
    TeamRef(t.team_id, t.name, t.jurisdiction_code)
    for t in load_directory(ROOT / "config" / "teams.yaml")
]


@pytest.fixture(scope="module")
def d() -> Diff:
    return diff(shipped_units(), units_of(NEW), [SPLIT, MERGE], old_decree="A", new_decree="B")


def test_teams_keep_the_part_with_the_old_code_and_new_teams_are_listed(d: Diff) -> None:
    p = plan(d, teams=TEAMS)
    assert p.teams == [
        TeamChange(
            "timpora-63.10.02", "63.10.02", "63.10.02", "Timpora Kecamatan Kusan Hilir",
            "Timpora Kecamatan Pagatan", "renamed",
        )
    ]  # fmt: skip
    # Satui's team stays on 63.10.04; Satui Barat has none: its reports reach the
    # kabupaten's team meanwhile (routing's walk up), nobody is invented
    assert p.teams_needed == [
        TeamNeeded("63.10.13", "Satui Barat", "timpora-63.10", "split from 63.10.04")
    ]
    # Teluk Kepayang merged into Kusan Tengah, which has a team: a person decides
    folded = "team timpora-63.10.12: 63.10.12 merged into 63.10.11"
    assert any(n.startswith(folded) for n in p.notes)


def test_a_split_without_the_old_code_moves_the_team_to_the_first_part() -> None:
    new = {k: v for k, v in shipped_units().items() if k != "63.10.04"}
    new |= {"63.10.13": "Satui Barat", "63.10.14": "Satui Timur"}
    gone = diff(shipped_units(), new, [Change("split", ("63.10.04",), ("63.10.13", "63.10.14"))])
    p = plan(gone, teams=TEAMS)
    [change] = p.teams
    assert (change.team_id, change.new_code) == ("timpora-63.10.04", "63.10.13")
    assert change.why == "split"
    assert [n.code for n in p.teams_needed] == ["63.10.14"]
    # a merged-away unit whose survivor has no team takes its team along
    merged = diff(shipped_units(), units_of(NEW), [MERGE])
    lone = [t for t in TEAMS if t.code != "63.10.11"]
    assert plan(merged, teams=lone).teams[-1] == TeamChange(
        "timpora-63.10.12", "63.10.12", "63.10.11", "Timpora Kecamatan Teluk Kepayang",
        "Timpora Kecamatan Kusan Tengah", "merged",
    )  # fmt: skip


def test_silences_follow_a_split_but_are_never_widened(d: Diff) -> None:
    silences = [
        SilenceRef("S1", {"jurisdiction_prefix": "63.10.04", "category": ["presence"]}),
        SilenceRef("S2", {"jurisdiction_prefix": "63.10.12"}),
        SilenceRef("S3", {"team_id": "timpora-63.10.04"}),
        SilenceRef("S4", {"jurisdiction_prefix": "63.10"}),
    ]
    p = plan(d, silences=silences)
    assert p.silence_copies == [SilenceCopy("S1", "63.10.13")]
    assert p.silences == []
    assert any(n.startswith("silence S2 stays on 63.10.12") for n in p.notes)
    moved = diff(
        {"63": "K", "63.10": "T", "63.10.12": "X"},
        {"63": "K", "63.10": "T", "63.10.15": "X"},
        [Change("move", ("63.10.12",), ("63.10.15",))],
    )
    assert plan(moved, silences=silences).silences == [SilenceChange("S2", "63.10.12", "63.10.15")]


def test_areas_keep_covering_what_they_covered(d: Diff) -> None:
    users = [
        Areas("user satui", ("63.10.04",)),
        Areas("user teluk", ("63.10.12",)),
        Areas("user kab", ("63.10",)),
        Areas("user admin", ("*",)),
    ]
    offices = [Areas("office batulicin", ("63.10", "63.02"))]
    p = plan(d, users=users, offices=offices, sources=[Areas("source sms", ("63.10.04",))])
    assert p.users == [
        AreaChange("user satui", ("63.10.04",), ("63.10.04", "63.10.13")),
        AreaChange("user teluk", ("63.10.12",), ("63.10.11",), ("63.10.11",)),
    ]
    assert p.offices == []  # the kabupaten prefix covers every part already
    assert p.sources == [AreaChange("source sms", ("63.10.04",), ("63.10.04", "63.10.13"))]
    assert "user teluk: widened to 63.10.11 (a merge)" in p.notes
    # a unit that leaves a prefix (moved to a new kabupaten) is added to it
    moved = diff(
        {"63": "K", "63.10": "T", "63.10.05": "Kusan Hulu"},
        {"63": "K", "63.10": "T", "63.14": "Baru", "63.14.01": "Kusan Hulu"},
        [Change("move", ("63.10.05",), ("63.14.01",))],
    )
    assert area_image(moved, "63.10") == (("63.10", "63.14.01"), [])


def test_the_policy_file_is_rewritten_as_text_and_still_valid(
    d: Diff, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ROOT / "routing_service" / "config" / "policy.yaml"
    text = path.read_text(encoding="utf-8")
    rewrite = rewrite_policy(d, text)
    assert rewrite.changed
    assert not rewrite.problems
    [(number, old, new)] = rewrite.lines
    assert old == 'jurisdiction: ["63.10.04", "63.10.09", "63.10.03", "63.10.08"]'
    assert new == 'jurisdiction: ["63.10.04", "63.10.13", "63.10.09", "63.10.03", "63.10.08"]'
    assert text.splitlines()[number - 1].strip() == old
    # every comment kept, nothing else touched
    assert [ln for ln in rewrite.text.splitlines() if ln.lstrip().startswith("#")] == [
        ln for ln in text.splitlines() if ln.lstrip().startswith("#")
    ]
    assert len(rewrite.text.splitlines()) == len(text.splitlines())
    monkeypatch.setenv("TIMPORA_REGIONS_FILE", str(NEW_FILE))  # validated with the new codes
    reset_regions()
    try:
        policy = parse_policy(rewrite.text)
    finally:
        monkeypatch.delenv("TIMPORA_REGIONS_FILE")
        reset_regions()
    rule = policy.rule("illegal-work-mining")
    assert rule is not None
    assert rule.match is not None
    assert rule.match.jurisdiction == ["63.10.04", "63.10.13", "63.10.09", "63.10.03", "63.10.08"]


def test_block_lists_scalars_and_what_the_rewrite_refuses(d: Diff) -> None:
    text = (
        "fallback_jurisdiction: '63.10.12'  # Teluk Kepayang\n"
        "rules:\n"
        "  - name: a\n"
        "    match:\n"
        "      jurisdiction:\n"
        "        - '63.10.04'  # Satui\n"
        '        - "63.10.12"\n'
        "    targets: [kecamatan]\n"
    )
    rewrite = rewrite_policy(d, text)
    assert not rewrite.problems
    data = yaml.safe_load(rewrite.text)
    assert data["fallback_jurisdiction"] == "63.10.11"
    assert data["rules"][0]["match"]["jurisdiction"] == ["63.10.04", "63.10.13", "63.10.11"]
    assert "# Teluk Kepayang" in rewrite.text
    assert "# Satui" in rewrite.text
    odd = rewrite_policy(d, "rules: [{name: a, match: {jurisdiction: '63.10.04'}}]\n")
    assert odd.problems  # a matcher written as one scalar: refused, listed for a person
