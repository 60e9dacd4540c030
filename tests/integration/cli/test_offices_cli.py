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
from console_service.feed_keys import new_entry
from shared.sources import KeyRegistry

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


def test_sources_are_listed_with_their_office_and_a_new_one_gets_a_key_once(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "api_keys.yaml"
    keys.write_text((ROOT / "config" / "api_keys.yaml").read_text())
    invoke(cli, "teams", "import", str(TEAMS_FILE))
    invoke(cli, "offices", "import", str(OFFICES_FILE))
    listed = json.loads(invoke(cli, "sources", "list", "--file", str(keys), "--json").output)
    assert {s["source"]: s["office"] for s in listed} == dict.fromkeys(
        ["apoa-kalsel", "polres-tanbu", "kanim-batulicin", "sms-batulicin",
         "telegram-batulicin", "whatsapp-batulicin"], "batulicin"
    )  # fmt: skip
    assert "key_sha256" not in json.dumps(listed)

    made = invoke(
        cli, "sources", "new", "hotel-x", "--format", "lodging", "--office", "batulicin",
        "--description", "Hotel X, Batulicin", "--file", str(keys),
    ).output  # fmt: skip
    key = made.strip().splitlines()[-1]
    assert key not in keys.read_text()  # only the hash is kept
    found = KeyRegistry.from_file(keys).authenticate(key)
    assert found is not None
    assert (found.source, found.home_area, found.kafka_principal) == (
        "hotel-x", ("63.10", "63.02"), "hotel-x",
    )  # fmt: skip
    assert "# DEVELOPMENT keys" in keys.read_text()  # the file's comments stay
    [office] = json.loads(invoke(cli, "offices", "list", "--json").output)
    assert office["sources"].endswith(",hotel-x")

    before = keys.read_text()
    outside = invoke(
        cli, "sources", "new", "hotel-y", "--format", "lodging", "--office", "batulicin",
        "--home-area", "63.71", "--file", str(keys), ok=False,
    )  # fmt: skip
    assert "lies outside its office 'batulicin'" in outside.output
    again = invoke(
        cli, "sources", "new", "hotel-x", "--format", "lodging", "--file", str(keys), ok=False
    )
    assert "exists" in again.output
    assert keys.read_text() == before


def test_feed_subscribers_are_listed_and_a_key_for_an_unknown_office_is_flagged(
    cli: CliRunner, database_url: str, tmp_path: Path
) -> None:
    invoke(cli, "teams", "import", str(TEAMS_FILE))
    invoke(cli, "offices", "import", str(OFFICES_FILE))
    keys = tmp_path / "feed_keys.yaml"
    keys.write_text((ROOT / "config" / "feed_keys.yaml").read_text())
    listed = json.loads(invoke(cli, "feeds", "list", "--file", str(keys), "--json").output)
    assert {s["subscriber"]: s["feed"] for s in listed} == dict.fromkeys(
        ["polres-tanbu", "pemkab-tanbu"], "/v1/feeds/batulicin/cap.atom"
    )
    assert "key_sha256" not in json.dumps(listed)
    assert "warning" not in invoke(cli, "feeds", "list", "--file", str(keys)).output

    refused = invoke(cli, "feeds", "new-key", "polres-kotabaru", "--office", "kotabaru",
                     "--file", str(keys), ok=False)  # fmt: skip
    assert "no office 'kotabaru'" in refused.output
    # a key written by hand (or an office record removed since) for an office with no record
    keys.write_text(keys.read_text() + new_entry("polres-kotabaru", "kotabaru", "k" * 40, ""))
    flagged = invoke(cli, "feeds", "list", "--file", str(keys)).output
    assert "polres-kotabaru" in flagged
    assert "reads office 'kotabaru', which no office record has" in flagged
