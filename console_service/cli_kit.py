"""What every ``timpora`` command shares: settings, output (a table or ``--json``), clear
errors, a database session factory, and who the command runs as (``--as``)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from console_service.cli_identity import Refused, acting
from console_service.web.identity import Identity
from shared.jurisdiction import use_regions_file
from shared.settings import Settings

console = Console()
T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def fail(message: str) -> NoReturn:
    """A clear one-line error and exit code 1, instead of a traceback."""
    console.print(f"[red]error:[/red] {message}", markup=True)
    raise typer.Exit(1)


def settings() -> Settings:
    """The deployment's settings (the environment and ``.env``); its regions file becomes
    this process's, as in every service."""
    loaded = Settings()
    use_regions_file(loaded.regions_file)
    return loaded


def who(command: str, *, acts: bool = False) -> Identity:
    """The user a data command runs as (``--as``), or the deployment outside production."""
    try:
        return acting(settings(), command, acts=acts)
    except Refused as exc:
        fail(str(exc))


def emit(rows: list[dict[str, Any]], as_json: bool, title: str = "") -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        console.print(f"[dim]{title}: nothing[/dim]")
        return
    table = Table(title=title or None)
    for column in rows[0]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


async def with_sessions(work: Callable[[Any], Awaitable[T]]) -> T:
    from shared.db import make_engine, make_sessionmaker

    engine = make_engine(settings().database_url)
    try:
        return await work(make_sessionmaker(engine))
    finally:
        await engine.dispose()
