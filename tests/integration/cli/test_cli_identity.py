"""``timpora --as USER``: the CLI signs in as a console user and every data command is
bound to that user's area by the console's own rules: another office's alerts,
deliveries, records, dead letters, teams and silences read as unknown; a viewer does not
act; a system command needs an administrator; a wrong password is refused, counted
towards the lockout and audited. In production a data command without ``--as`` is
refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from console_service.web.identity import add_user
from console_service.web.models import AuditEntry
from notify_service.models import DeliveryRow
from shared import topics
from shared.db import make_engine, make_sessionmaker, migrate, transaction
from shared.directory import all_teams, dump_directory, load_directory
from shared.schemas import Member, Team
from shared.settings import Settings
from tests.integration.console.conftest import routed_alert
from tests.prod_env import production_env
from tests.rows import delivery_row, seed_alert

from .conftest import TEAMS_FILE, invoke, publish, sync
from .test_deadletters import rejection

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
PASSWORD = "a long cli password"
USERS = {  # username: (role, office, scopes)
    "ops-a": ("operator", "batulicin", ["63.10", "63.02"]),
    "view-a": ("viewer", "batulicin", ["63.10"]),
    "ops-p": ("operator", "palu", ["72"]),
    "root": ("admin", "pusat", ["*"]),
}
PALU = Team(
    team_id="timpora-72.71.01",
    name="Timpora Kecamatan Palu Barat",
    level="kecamatan",
    jurisdiction_code="72.71.01",
    members=[Member(member_id="p0001", name="Andi Contoh", phone="+6281299990001")],
)


async def seed(database_url: str) -> dict[str, str]:
    await migrate(database_url)
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        for username, (role, office, scopes) in USERS.items():
            await add_user(
                session=session,
                username=username,
                password=PASSWORD,
                role=role,
                office=office,
                scopes=scopes,
            )
    await engine.dispose()
    alerts = {"a": routed_alert("63.10.06", "C7654321"), "p": routed_alert("72.71.01", "E1")}
    for alert in alerts.values():
        await seed_alert(database_url, alert)
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        for key, alert in alerts.items():
            session.add(
                DeliveryRow(
                    **delivery_row(
                        f"d-{key}",
                        f"m-{key}",
                        alert_id=alert.alert_id,
                        report_id=alert.report_id,
                        team_id=alert.team_id,
                    )
                )
            )
    await engine.dispose()
    return {k: a.alert_id for k, a in alerts.items()}


def as_user(cli: CliRunner, user: str, *args: str, password: str = PASSWORD, ok: bool = True):  # type: ignore[no-untyped-def]
    from console_service.cli import app

    result = cli.invoke(app, ["--as", user, "--password-stdin", *args], input=password + "\n")
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_each_command_sees_only_the_users_area(
    cli: CliRunner, kafka_settings: Settings, database_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    ids = sync(seed(database_url))
    # the directory: Tanah Bumbu and Kotabaru's teams, and Palu's
    both = tmp_path / "both.yaml"
    both.write_text(dump_directory([*load_directory(TEAMS_FILE), PALU]))
    invoke(cli, "teams", "import", str(both))  # the deployment's own credentials

    # deliveries: an operator sees their office's alert, not Palu's (unknown, as a 404)
    mine = json.loads(as_user(cli, "ops-a", "deliveries", "--alert", ids["a"], "--json").output)
    assert [r["member"] for r in mine] == ["m-a"]
    assert (
        json.loads(as_user(cli, "ops-a", "deliveries", "--alert", ids["p"], "--json").output) == []
    )
    assert len(json.loads(invoke(cli, "deliveries", "--alert", ids["p"], "--json").output)) == 1

    # teams: export shows the area only; an import replaces the area only
    exported = as_user(cli, "ops-p", "teams", "export").output
    assert "timpora-72.71.01" in exported
    assert "timpora-63" not in exported
    palu_only = tmp_path / "palu.yaml"
    renamed = PALU.model_copy(update={"name": "Timpora Palu Barat (baru)"})
    palu_only.write_text(dump_directory([renamed]))
    assert "imported 1 teams" in as_user(cli, "ops-p", "teams", "import", str(palu_only)).output
    teams = {t.team_id: t for t in sync(_teams(database_url))}
    assert teams["timpora-72.71.01"].name == "Timpora Palu Barat (baru)"
    assert len(teams) == len(load_directory(TEAMS_FILE)) + 1  # Batulicin's untouched
    refused = as_user(cli, "ops-p", "teams", "import", str(both), ok=False)
    assert refused.exit_code == 1
    assert "outside your area" in refused.output
    assert len(sync(_teams(database_url))) == len(teams)  # nothing changed
    assert as_user(cli, "view-a", "teams", "import", str(palu_only), ok=False).exit_code == 1

    # silences: made inside the area only, by the signed-in user; others' unseen
    outside = as_user(
        cli, "ops-a", "silences", "add", "--comment", "x", "--jurisdiction", "72", ok=False
    )
    assert "inside your area" in outside.output
    added = as_user(
        cli, "ops-a", "silences", "add", "--comment", "Operasi", "--jurisdiction", "63.10.04"
    )
    silence_id = added.output.split()[1]
    listed = json.loads(as_user(cli, "ops-a", "silences", "list", "--json").output)
    assert [(s["id"], s["by"]) for s in listed] == [(silence_id, "ops-a")]
    assert json.loads(as_user(cli, "ops-p", "silences", "list", "--json").output) == []
    assert "no silence" in as_user(cli, "ops-p", "silences", "expire", silence_id, ok=False).output
    viewer = as_user(cli, "view-a", "silences", "expire", silence_id, ok=False)
    assert "does not act" in viewer.output
    as_user(cli, "ops-a", "silences", "expire", silence_id)

    # tail: the records that name a place in the area
    for alert in (routed_alert("63.10.06", "C1"), routed_alert("72.71.01", "E2")):
        sync(publish(kafka_settings, topics.ALERTS_ROUTED, alert.model_dump_json().encode()))
    shown = json.loads(as_user(cli, "ops-p", "tail", topics.ALERTS_ROUTED, "--json").output)
    assert [json.loads(r["value"])["jurisdiction_code"] for r in shown] == ["72.71.01"]
    assert len(json.loads(invoke(cli, "tail", topics.ALERTS_ROUTED, "--json").output)) == 2

    # dead letters: a source's belong to the offices of its home area
    dead = rejection(source="polres-tanbu")
    sync(publish(kafka_settings, topics.REPORTS_REJECTED, dead.model_dump_json().encode()))
    theirs = json.loads(as_user(cli, "ops-a", "deadletters", "list", "--json").output)
    assert [r["rejection_id"] for r in theirs] == [dead.rejection_id]
    assert json.loads(as_user(cli, "ops-p", "deadletters", "list", "--json").output) == []
    hidden = as_user(cli, "ops-p", "deadletters", "show", dead.rejection_id, ok=False)
    assert "no rejection" in hidden.output
    replay = as_user(cli, "ops-p", "deadletters", "replay", dead.rejection_id, ok=False)
    assert "no rejection" in replay.output

    # system commands: administrators only
    assert "administrators only" in as_user(cli, "ops-a", "db", "upgrade", ok=False).output
    assert "database at head" in as_user(cli, "root", "db", "upgrade").output

    audit = sync(_audit(database_url))
    assert ("ops-a", "cli_login") in audit
    assert ("ops-p", "cli_teams_import") in audit
    assert ("ops-a", "cli_deliveries") in audit


def test_a_wrong_password_is_refused_and_locks_the_account(
    cli: CliRunner, database_url: str
) -> None:
    sync(seed(database_url))
    for _ in range(5):
        wrong = as_user(cli, "ops-a", "teams", "export", password="guess", ok=False)
        assert (wrong.exit_code, "wrong user or password" in wrong.output) == (1, True)
    locked = as_user(cli, "ops-a", "teams", "export", ok=False)  # the right one, too late
    assert "account locked" in locked.output
    unknown = as_user(cli, "nobody", "teams", "export", ok=False)
    assert "wrong user or password" in unknown.output
    audit = sync(_audit(database_url))
    assert audit.count(("ops-a", "cli_login_wrong_password")) == 5
    assert ("ops-a", "cli_login_locked") in audit


def test_production_needs_a_user_for_data_commands(
    cli: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(seed(database_url))
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "a-production-secret-key-of-this-deployment-4f9c2e")
    refused = invoke(cli, "teams", "export", ok=False)
    assert refused.exit_code == 1
    assert "give --as USER" in refused.output
    assert "timpora-72" not in refused.output


async def _teams(database_url: str) -> list[Team]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        teams = await all_teams(session)
    await engine.dispose()
    return teams


async def _audit(database_url: str) -> list[tuple[str, str]]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.execute(select(AuditEntry.username, AuditEntry.action))).all()
    await engine.dispose()
    return [(u, a) for u, a in rows]
