"""``timpora offices``: office records imported (after their teams, checked first),
listed and exported; ``timpora users add`` names an office that exists and, for an
operator, scopes inside its home area (its home area when none is given)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from console_service.cli import app

from .conftest import ROOT, TEAMS_FILE, invoke

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
OFFICES_FILE = ROOT / "config" / "offices.yaml"


def test_offices_import_list_export_and_users_of_an_office(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    # before the teams: the fallback team is unknown, nothing is saved
    early = invoke(cli, "offices", "import", str(OFFICES_FILE), ok=False)
    assert early.exit_code == 1
    assert "fallback team 'timpora-63.10' is not in the directory" in early.output
    assert "no office records" in invoke(cli, "offices", "list").output

    invoke(cli, "teams", "import", str(TEAMS_FILE))
    assert "imported 1 offices" in invoke(cli, "offices", "import", str(OFFICES_FILE)).output
    [office] = json.loads(invoke(cli, "offices", "list", "--json").output)
    assert office["id"] == "batulicin"
    assert office["home_area"] == "63.10,63.02"
    assert office["teams"] > 20  # Tanah Bumbu's and Kotabaru's teams
    exported = yaml.safe_load(invoke(cli, "offices", "export").output)
    assert exported == yaml.safe_load(OFFICES_FILE.read_text())

    # a file whose offices clash is refused whole
    kotabaru = {**exported["offices"][0], "id": "kotabaru", "home_area": ["63.02"], "sources": []}
    clash = {"offices": [*exported["offices"], kotabaru]}
    bad = tmp_path / "clash.yaml"
    bad.write_text(yaml.safe_dump(clash))
    refused = invoke(cli, "offices", "import", str(bad), ok=False)
    assert "63.02 of 'kotabaru' lies in 63.02 of 'batulicin'" in refused.output

    def add(*args: str) -> Result:
        command = ["users", "add", *args, "--password-stdin"]
        return cli.invoke(app, command, input="a long enough password\n")

    made = add("ops", "--role", "operator", "--office", "batulicin")
    assert made.exit_code == 0, made.output
    assert "(batulicin: 63.10, 63.02)" in made.output
    nowhere = add("ops2", "--office", "nowhere")
    assert "no office 'nowhere'" in nowhere.output
    outside = add("ops3", "--office", "batulicin", "--scope", "63.71")
    assert "outside the home area" in outside.output
    # the office its users belong to cannot vanish in an import
    empty = tmp_path / "other.yaml"
    other = {**exported["offices"][0], "id": "lain", "sources": []}
    empty.write_text(yaml.safe_dump({"offices": [other]}))
    kept = invoke(cli, "offices", "import", str(empty), ok=False)
    assert "users belong to office 'batulicin'" in kept.output
