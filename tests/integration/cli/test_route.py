"""``timpora route explain``: which teams a report would go to; an invalid report is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.schemas import Category, Location, Severity

from .conftest import TEAMS_FILE, invoke, report

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_route_explain(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(report().model_dump_json())
    result = json.loads(
        invoke(cli, "route", "explain", str(path), "--teams", str(TEAMS_FILE), "--json").output
    )
    assert result["resolution"].startswith("63.10.04 Satui (level kecamatan")
    targets = {t["level"]: t for t in result["targets"]}
    assert targets["kecamatan"]["team"] == "timpora-63.10.04"
    assert targets["kecamatan"]["jurisdiction"] == "63.10.04"
    assert targets["kabupaten"]["team"] == "timpora-63.10"
    for target in result["targets"]:
        assert target["rules"]
        assert target["severity"] == "high"

    table = invoke(cli, "route", "explain", str(path), "--teams", str(TEAMS_FILE))
    assert "jurisdiction" in table.output
    assert "route 1" in table.output
    assert "timpora-63.10.04" in table.output


def test_route_explain_without_a_precise_place(cli: CliRunner, tmp_path: Path) -> None:
    vague = report(
        location=Location(kabupaten_name="Tanah Bumbu"),
        subjects=[],
        category=Category.presence,
        severity=Severity.info,
    )
    path = tmp_path / "vague.json"
    path.write_text(vague.model_dump_json())
    result = json.loads(invoke(cli, "route", "explain", str(path), "--json").output)
    assert result["resolution"].startswith("63.10 ")
    assert [t["team"] for t in result["targets"]] == ["timpora-63.10"]


def test_route_explain_refuses_an_invalid_report(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"source": 12}')
    result = invoke(cli, "route", "explain", str(path), ok=False)
    assert result.exit_code != 0


def test_route_explain_shows_a_report_held_outside_its_home_area(
    cli: CliRunner, tmp_path: Path
) -> None:
    outside = report(
        location=Location(kecamatan_code="31.71.01", kecamatan_name="Gambir"),
        home_area=["63.10", "63.02"],
    )
    path = tmp_path / "outside.json"
    path.write_text(outside.model_dump_json())
    result = json.loads(invoke(cli, "route", "explain", str(path), "--json").output)
    [target] = result["targets"]
    assert target["team"] == "timpora-63.10"
    assert target["fallback"] == (
        "held for Kantor Imigrasi Batulicin: 31.71.01 is outside the source's home area"
    )
