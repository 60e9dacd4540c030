"""``timpora regions diff|migrate`` on PostgreSQL, for a synthetic decree: Satui
(63.10.04) split into Satui and Satui Barat (63.10.13), Kusan Hilir renamed Pagatan,
Teluk Kepayang (63.10.12) merged into Kusan Tengah (63.10.11).

Seeded: the teams (config/teams.yaml), the office (config/offices.yaml), a silence on
Satui, an operator of Teluk Kepayang, a routed alert at Teluk Kepayang. A dry run
changes no table; the migration remaps teams, the silence, the user's scope and the
policy file, records the decree, leaves the alert as it was routed; afterwards a report
placed in Satui Barat routes to the team the plan named."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from console_service.cli import app
from console_service.web.story import place_name
from routing_service.models import AlertRow
from routing_service.policy import load_policy
from routing_service.targets import routes
from shared.db import make_engine, make_sessionmaker
from shared.directory import teams_by_jurisdiction
from shared.jurisdiction import place_report
from shared.jurisdiction.data import reset_regions
from shared.region_versions import RegionVersion
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Level,
    Location,
    PlaceResolution,
    Report,
    Severity,
    new_id,
    utcnow,
)
from tests.rows import seed_alert

from .conftest import ROOT, TEAMS_FILE, invoke, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SAMPLES = ROOT / "tests" / "samples" / "regions"
NEW_DATA = SAMPLES / "kepmendagri-2026.yaml"
CHANGES = SAMPLES / "changes-2026.yaml"
DECREE = "Kepmendagri 100.1.1-0001/2026 (synthetic)"
TABLES = (
    "teams", "team_members", "routing_silences", "offices", "console_users", "routing_alerts",
    "region_versions",
)  # fmt: skip


def _alert_at(code: str) -> AlertRouted:
    report = Report(
        source="kanim-batulicin", category=Category.overstay, severity=Severity.medium,
        location=Location(kecamatan_code=code),
        resolution=PlaceResolution(code=code, routing_code=code, confidence=1.0, method="code"),
        text="Orang asing melewati izin tinggal.",
    )  # fmt: skip
    return AlertRouted(
        alert_id=new_id(), report_id=report.report_id, report_ids=[report.report_id],
        team_id=f"timpora-{code}", level=Level.kecamatan, jurisdiction_code=code,
        matched_rules=["overstay"], reason=AlertReason.new, category=Category.overstay,
        severity=Severity.medium,
        ack_code="K7Q2", report=report,
    )  # fmt: skip


async def _dump(database_url: str) -> dict[str, list[Any]]:
    """Every row of every table the migration could touch, in a stable order."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            out = {}
            for table in TABLES:
                rows = await conn.execute(text(f"SELECT * FROM {table}"))
                out[table] = sorted(repr(tuple(r)) for r in rows)
            return out
    finally:
        await engine.dispose()


@pytest.fixture
def regions_file(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The deployment's setting for the new decree (as every service would have it)."""

    def use(path: Path | None) -> None:
        if path is None:
            monkeypatch.delenv("TIMPORA_REGIONS_FILE", raising=False)
        else:
            monkeypatch.setenv("TIMPORA_REGIONS_FILE", str(path))
        reset_regions()

    yield use
    monkeypatch.delenv("TIMPORA_REGIONS_FILE", raising=False)
    reset_regions()


def test_dry_run_changes_nothing_and_migrate_moves_every_stored_code(
    cli: CliRunner, database_url: str, tmp_path: Path, regions_file: Any
) -> None:
    policy = tmp_path / "policy.yaml"
    shutil.copy(ROOT / "routing_service" / "config" / "policy.yaml", policy)
    original_policy = policy.read_text()
    invoke(cli, "teams", "import", str(TEAMS_FILE))
    invoke(cli, "offices", "import", str(ROOT / "config" / "offices.yaml"))
    made = cli.invoke(
        app,
        ["users", "add", "ops-teluk", "--role", "operator", "--office", "batulicin",
         "--scope", "63.10.12", "--password-stdin"],
        input="a long enough password\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    invoke(cli, "silences", "add", "--jurisdiction", "63.10.04", "--comment", "razia tambang")
    alert = _alert_at("63.10.12")
    sync(seed_alert(database_url, alert))

    # the diff names every change
    shown = invoke(cli, "regions", "diff", str(NEW_DATA), "--changes", str(CHANGES)).output
    assert "renamed  63.10.02 Kusan Hilir -> Pagatan" in shown
    assert (
        "split    63.10.04 Satui -> 63.10.04 Satui, 63.10.13 Satui Barat (the old code lives on)"
        in shown
    )
    assert (
        "merged   63.10.11 Kusan Tengah, 63.10.12 Teluk Kepayang -> 63.10.11 Kusan Tengah" in shown
    )
    alone = invoke(cli, "regions", "diff", str(NEW_DATA)).output  # names alone
    assert "new      63.10.13 Satui Barat" in alone
    assert "removed  63.10.12 Teluk Kepayang" in alone

    before = sync(_dump(database_url))
    args = ["regions", "migrate", str(NEW_DATA), "--changes", str(CHANGES), "--policy", str(policy)]
    dry = invoke(cli, *args, "--dry-run").output
    assert sync(_dump(database_url)) == before  # every table as it was
    assert policy.read_text() == original_policy
    expected = [
        "team timpora-63.10.02: 63.10.02 -> 63.10.02 (renamed), name "
        "'Timpora Kecamatan Kusan Hilir' -> 'Timpora Kecamatan Pagatan'",
        "team needed for 63.10.13 Satui Barat (split from 63.10.04): reports go to "
        "timpora-63.10 meanwhile",
        "copied for 63.10.13",
        "user ops-teluk: 63.10.12 -> 63.10.11",
        'jurisdiction: ["63.10.04", "63.10.09", "63.10.03", "63.10.08"]  ->  '
        'jurisdiction: ["63.10.04", "63.10.13", "63.10.09", "63.10.03", "63.10.08"]',
        "check: team timpora-63.10.12: 63.10.12 merged into 63.10.11, which has team "
        "timpora-63.10.11",
        "dry run: nothing changed",
    ]
    for line in expected:
        assert line in dry, line

    # applying needs this process to follow the new decree, as the services will
    refused = invoke(cli, *args, ok=False)
    assert "set TIMPORA_REGIONS_FILE to the new file" in refused.output
    assert sync(_dump(database_url)) == before

    regions_file(NEW_DATA)
    behind = invoke(cli, "regions", "status").output
    assert "the stored codes follow another decree" in behind
    assert "team timpora-63.10.12: 63.10.12, formerly Teluk Kepayang is not in the data" in behind
    applied = invoke(cli, *args).output
    assert f"migrated to {DECREE}" in applied
    after = sync(_dump(database_url))
    assert after["routing_alerts"] == before["routing_alerts"]  # alerts keep their codes
    assert after["team_members"] == before["team_members"]  # nobody moved or invented
    status = invoke(cli, "regions", "status").output
    assert f"database: {DECREE}" in status
    assert "follow another decree" not in status
    # the team the plan left to fold in by hand is still named until someone does
    assert "team timpora-63.10.12: 63.10.12, formerly Teluk Kepayang is not in the data" in status
    assert "in step:" not in status

    async def check() -> None:
        engine = make_engine(database_url)
        sessions = make_sessionmaker(engine)
        try:
            async with sessions() as s:
                names: dict[str, str] = dict(
                    (await s.execute(text("SELECT team_id, name FROM teams"))).all()
                )
                assert names["timpora-63.10.02"] == "Timpora Kecamatan Pagatan"
                prefixes = sorted(
                    m["jurisdiction_prefix"]
                    for (m,) in await s.execute(text("SELECT matchers FROM routing_silences"))
                )
                assert prefixes == ["63.10.04", "63.10.13"]
                (scopes,) = (
                    await s.execute(
                        text("SELECT scopes FROM console_users WHERE username = 'ops-teluk'")
                    )
                ).one()
                assert scopes == ["63.10.11"]
                [version] = (await s.scalars(select(RegionVersion))).all()
                assert (version.decree, version.previous) == (
                    DECREE,
                    "Kepmendagri 300.2.2-2138/2025",
                )
                row = await s.get(AlertRow, alert.alert_id)
                assert row is not None
                assert row.jurisdiction_code == "63.10.12"
                directory = await teams_by_jurisdiction(s)
        finally:
            await engine.dispose()
        # a report placed in the new kecamatan (by its name, as ingest places it)
        # routes to the team the plan named
        report = place_report(
            Report(source="polres-tanbu", category=Category.suspicious_activity,
                   severity=Severity.medium,
                   location=Location(kecamatan_name="Satui Barat", kabupaten_name="Tanah Bumbu"),
                   text="ada WNA")
        )  # fmt: skip
        assert report.resolution is not None
        assert report.resolution.routing_code == "63.10.13"
        [route] = routes(report, load_policy(policy), directory, utcnow())
        assert route.target.team_id == "timpora-63.10"

    sync(check())
    assert 'jurisdiction: ["63.10.04", "63.10.13", "63.10.09"' in policy.read_text()
    assert "# Foreign workers at the coal mines" in policy.read_text()  # comments kept
    # the old alert's place still has its name on the console
    assert place_name("63.10.12") == "Teluk Kepayang (63.10.12, kode lama)"

    # once migrated, the same migration is refused (the database follows the new decree)
    again = invoke(cli, *args, ok=False)
    assert f"the database's codes follow '{DECREE}'" in again.output
