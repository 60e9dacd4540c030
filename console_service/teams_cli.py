"""``timpora teams``: the directory as YAML, imported and exported (with ``--as``, only
the user's area: another office's teams are never touched)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from console_service import scoped_ops
from console_service.cli_kit import console, fail, run, settings, who, with_sessions

teams_app = typer.Typer(help="The teams directory (YAML import/export).", no_args_is_help=True)


@teams_app.command("import")
def teams_import(path: Path) -> None:
    """Replace the directory with a validated YAML file (e.g. config/teams.yaml); with
    --as, only the user's area: every team of the file must lie inside it, and the teams
    of other areas (another office's) stay as they are."""
    from shared.db import migrate
    from shared.directory import load_directory

    user = who("teams_import", acts=True)
    teams = load_directory(path)
    run(migrate(settings().database_url))
    try:
        count = run(with_sessions(lambda s: scoped_ops.import_teams(s, user, teams)))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"imported {count} teams")


@teams_app.command("export")
def teams_export() -> None:
    """Print the directory (with --as: the user's area) as YAML."""
    from shared.directory import dump_directory

    user = who("teams_export")
    sys.stdout.write(
        dump_directory(run(with_sessions(lambda s: scoped_ops.teams_in_scope(s, user))))
    )
