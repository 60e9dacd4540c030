"""``timpora users``: the console's accounts (add, list, unlock, disable).

A password is read from a hidden prompt or, for scripts, from standard input
(``--password-stdin``); never from an argument, which would land in shell history and in
the process list. Scopes are region-code prefixes: ``--scope 63.10 --scope 63.02`` is
Tanah Bumbu and Kotabaru (``*``, the whole country, for administrators only).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console_service.office_ops import default_scopes, user_office_problem
from console_service.web import identity
from console_service.web.models import ConsoleUser
from shared.db import make_engine, make_sessionmaker, migrate, transaction
from shared.offices import all_offices
from shared.settings import Settings

app = typer.Typer(help="Console accounts: add, list, unlock, disable.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)


async def _in_transaction(work: Any) -> Any:
    url = Settings().database_url
    await migrate(url)
    engine = make_engine(url)
    try:
        sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        async with transaction(sessions) as session:
            return await work(session)
    finally:
        await engine.dispose()


def _fail(message: str) -> None:
    console.print(f"error: {message}")
    raise typer.Exit(1)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ -)")],
    role: Annotated[
        str, typer.Option(help="admin | operator | viewer | member (a team member)")
    ] = "operator",
    office: Annotated[
        str, typer.Option(help="The office (its id in `timpora offices list`) the user belongs to")
    ] = "batulicin",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="Region-code prefix the user sees (repeat for several; default: the office's"
            " home area; an operator's must lie inside it)"
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name (default: username)")] = None,
    member_id: Annotated[
        str | None, typer.Option(help="The directory member this login is (role member)")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Add a console user. The password (12+ characters) is asked for, hidden."""
    if not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        _fail("a username is letters, digits, '.', '_' or '-'")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(session: AsyncSession) -> None:
        if await identity.user_by_name(session=session, username=username):
            raise ValueError(f"user {username!r} exists")
        offices = await all_offices(session)
        scopes = scope or default_scopes(offices, office)
        problem = user_office_problem(offices, office, role, scopes)
        if problem:
            raise ValueError(problem)
        given.extend(scopes)
        await identity.add_user(
            session=session,
            username=username,
            password=password,
            role=role,
            office=office,
            scopes=scopes,
            display_name=name,
            member_id=member_id,
        )

    given: list[str] = []
    try:
        asyncio.run(_in_transaction(work))
    except ValueError as exc:
        _fail(str(exc))
    console.print(f"added {role} {username} ({office}: {', '.join(given)})")


@app.command("list")
def list_users() -> None:
    """Every console user: role, office, scopes, lock state (never a password hash)."""

    async def work(session: AsyncSession) -> list[ConsoleUser]:
        return list(await session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)))

    for user in asyncio.run(_in_transaction(work)):
        state = "active"
        if user.disabled:
            state = "disabled"
        elif user.locked_until:
            state = f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
        console.print(
            f"{user.username:20} {user.role:9} {user.office:14} {','.join(user.scopes):20} {state}"
        )


def _update(username: str, **values: Any) -> None:
    async def work(session: AsyncSession) -> bool:
        user = await identity.user_by_name(session=session, username=username)
        if user is None:
            return False
        for key, value in values.items():
            setattr(user, key, value)
        return True

    if not asyncio.run(_in_transaction(work)):
        _fail(f"no user {username!r}")


@app.command("unlock")
def unlock(username: str) -> None:
    """Lift a lockout after failed logins."""
    _update(username, failed_logins=0, locked_until=None)
    console.print(f"unlocked {username}")


@app.command("disable")
def disable(username: str) -> None:
    """Refuse this user's logins and end their sessions at their next request."""
    _update(username, disabled=True)
    console.print(f"disabled {username}")
