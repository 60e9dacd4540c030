"""``timpora teams import/export``: the directory round-trips through YAML; bad files refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from shared.directory import load_directory

from .conftest import TEAMS_FILE, invoke

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_teams_import_then_export_round_trips(cli: CliRunner, tmp_path: Path) -> None:
    imported = invoke(cli, "teams", "import", str(TEAMS_FILE))
    assert "imported 37 teams" in imported.output

    exported = invoke(cli, "teams", "export")
    data = yaml.safe_load(exported.output)
    assert len(data["teams"]) == 37
    original = load_directory(TEAMS_FILE)
    copy = tmp_path / "teams.yaml"
    copy.write_text(exported.output, encoding="utf-8")
    assert load_directory(copy) == sorted(original, key=lambda t: t.jurisdiction_code)

    # importing the export is a full replace that changes nothing
    assert "imported 37 teams" in invoke(cli, "teams", "import", str(copy)).output
    assert invoke(cli, "teams", "export").output == exported.output


def test_teams_import_refuses_an_invalid_file(cli: CliRunner, tmp_path: Path) -> None:
    invoke(cli, "teams", "import", str(TEAMS_FILE))
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams:\n- team_id: x\n  level: galaxy\n", encoding="utf-8")
    result = invoke(cli, "teams", "import", str(bad), ok=False)
    assert result.exit_code != 0
    assert len(yaml.safe_load(invoke(cli, "teams", "export").output)["teams"]) == 37
