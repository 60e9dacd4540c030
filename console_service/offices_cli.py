"""``timpora offices``: the office records (home area, fallback team, sources, overrides
of the policy's defaults) listed, imported and exported as YAML. Administrators only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from console_service import office_ops
from console_service.cli_kit import JsonOpt, console, emit, fail, run, settings, who, with_sessions
from console_service.scoped_ops import Sessions

offices_app = typer.Typer(
    help="Immigration offices: home area, fallback team, sources, policy overrides.",
    no_args_is_help=True,
)


@offices_app.command("list")
def offices_list(as_json: JsonOpt = False) -> None:
    """Every office: its area, fallback team, sources, overrides, teams and users."""
    who("offices_list")

    async def work(sessions: Sessions) -> list[office_ops.OfficeSummary]:
        async with sessions() as session:
            return await office_ops.summaries(session)

    rows = [
        {
            "id": s.office.id,
            "name": s.office.name,
            "home_area": ",".join(s.office.home_area),
            "fallback_team": s.office.fallback_team,
            "sources": ",".join(s.office.sources),
            "overrides": ",".join(f"{k}={v}" for k, v in s.office.defaults.items()),
            "teams": s.teams,
            "users": s.users,
        }
        for s in run(with_sessions(work))
    ]
    emit(rows, as_json, "offices" if rows else "no office records (routing uses the policy's)")


@offices_app.command("import")
def offices_import(
    path: Annotated[Path, typer.Argument(help="Offices YAML (`offices:` list)")],
) -> None:
    """Replace every office record with the file's (checked first: ids, areas and
    sources that clash, fallback teams missing from the directory, overrides, offices
    users belong to). Import the teams first. Routing applies it within 30 s."""
    from shared.db import migrate
    from shared.offices import load_offices

    who("offices_import", acts=True)
    try:
        offices = load_offices(path)
    except (OSError, ValidationError) as exc:
        fail(f"{path}: {exc}")
    run(migrate(settings().database_url))

    async def work(sessions: Sessions) -> int:
        async with sessions() as session, session.begin():
            return await office_ops.import_offices(session, offices)

    try:
        count = run(with_sessions(work))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"imported {count} offices")


@offices_app.command("export")
def offices_export() -> None:
    """Print the office records as YAML (what `timpora offices import` reads)."""
    from shared.offices import all_offices, dump_offices

    who("offices_export")

    async def work(sessions: Sessions) -> str:
        async with sessions() as session:
            return dump_offices(await all_offices(session))

    sys.stdout.write(run(with_sessions(work)))
