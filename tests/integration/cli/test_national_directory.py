"""``timpora directory generate --national``: a team for every province, kabupaten/kota
and kecamatan of the region data, 3–5 fictional members each with valid, distinct
numbers; offices covering every kabupaten/kota once, each with a fallback team that
exists and a policy section routing accepts; and both files import into PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from routing_service.policy import parse_policy
from shared.db import make_engine, make_sessionmaker
from shared.directory import MemberRow, TeamRow, load_directory
from shared.jurisdiction import regions
from shared.schemas import Level

from .conftest import ROOT, invoke, sync

pytestmark = [pytest.mark.postgres]


def test_the_national_directory_covers_every_region_and_imports(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    teams_file, offices_file = tmp_path / "national.yaml", tmp_path / "offices.yaml"
    written = invoke(
        cli, "directory", "generate", "--national", "--out", str(teams_file),
        "--offices-out", str(offices_file),
    ).output  # fmt: skip
    assert "7837 teams" in written

    teams = load_directory(teams_file)  # validated: every number E.164
    data = regions()
    by_level = Counter(t.level for t in teams)
    assert by_level == {
        Level.provinsi: len(data.codes(Level.provinsi)),
        Level.kabupaten: len(data.codes(Level.kabupaten)),
        Level.kecamatan: len(data.codes(Level.kecamatan)),
    }
    assert {t.jurisdiction_code for t in teams} == {
        *data.codes(Level.provinsi), *data.codes(Level.kabupaten), *data.codes(Level.kecamatan)
    }  # fmt: skip
    assert all(3 <= len(t.members) <= 5 for t in teams)
    members = [m for t in teams for m in t.members]
    assert 28_000 < len(members) < 36_000
    assert len({m.member_id for m in members}) == len(members)
    assert len({m.phone for m in members}) == len(members)
    assert not any(m.phone and m.phone.startswith("+628120000") for m in members)  # the seed's

    offices = yaml.safe_load(offices_file.read_text())["offices"]
    assert 100 <= len(offices) <= 150
    covered = Counter(code for o in offices for code in o["home_area"])
    assert set(covered) == set(data.codes(Level.kabupaten))
    assert set(covered.values()) == {1}  # each kabupaten/kota in one office
    team_ids = {t.team_id for t in teams}
    assert all(o["fallback_team"] in team_ids for o in offices)
    shipped = yaml.safe_load((ROOT / "routing_service" / "config" / "policy.yaml").read_text())
    policy = parse_policy(yaml.safe_dump({**shipped, "offices": offices}))
    assert len(policy.offices) == len(offices)

    # the same seed, the same directory
    again = tmp_path / "again.yaml"
    invoke(cli, "directory", "generate", "--national", "--out", str(again))
    assert again.read_bytes() == teams_file.read_bytes()

    invoke(cli, "teams", "import", str(teams_file))
    assert sync(_counts(database_url)) == (len(teams), len(members))

    # the offices as records: imported after their teams, listed with their teams
    assert (
        f"imported {len(offices)} offices"
        in invoke(cli, "offices", "import", str(offices_file)).output
    )
    listed = {o["id"]: o for o in json.loads(invoke(cli, "offices", "list", "--json").output)}
    assert len(listed) == len(offices)
    assert sum(o["teams"] for o in listed.values()) == len(teams) - by_level[Level.provinsi]


async def _counts(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        teams = await session.scalar(select(func.count()).select_from(TeamRow))
        members = await session.scalar(select(func.count()).select_from(MemberRow))
    await engine.dispose()
    return int(teams or 0), int(members or 0)
