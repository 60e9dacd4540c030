"""Who runs ``timpora``: a console user, so the CLI sees and touches what the console
would show that user, and nothing else.

``timpora --as USER ...`` (or ``TIMPORA_CLI_USER``) signs in as a console user: the
password is asked for without echo (or read from the first line of standard input with
``--password-stdin``), checked like a console login (argon2id, the same lockout), and the
sign-in and each command are written to the audit log (``cli_login``, ``cli_<command>``,
address ``cli``). Every command that reads or changes alerts, reports, deliveries, dead
letters, teams or silences is then bound to the user's scopes, through the console's own
rules (:mod:`console_service.web.access`) and scoped queries; a viewer reads but does not
act. What lies outside reads as unknown, as the console's 404 does.

Without ``--as`` the CLI runs with the deployment's own credentials and every scope:
allowed outside production (a developer's machine, CI), refused in production for those
commands. System commands (``db``, ``topics``, ``kafka``, ``lag``, ``purge``, ``policy``,
``users``, ``route explain``) need the deployment's credentials in any case and hold no
alert data of an office; with ``--as`` they require an administrator.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console_service.web import access, actions, identity
from console_service.web.identity import Identity
from console_service.web.queries import alert_scoped
from routing_service.models import AlertRow
from shared.db import make_engine, make_sessionmaker, transaction
from shared.settings import ConsoleSettings, Settings

T = TypeVar("T")
LOCAL = Identity(
    user_id="",
    username="local",
    display_name="the deployment's credentials",
    role="admin",
    office="",
    scopes=(access.ALL,),
    csrf_token="",
)
LOCKOUT = (
    ConsoleSettings.model_fields["lockout_failures"].default,
    ConsoleSettings.model_fields["lockout_minutes"].default,
)


SYSTEM_COMMANDS = frozenset(
    {"db", "topics", "kafka", "lag", "purge", "policy", "users", "route", "offices", "sources"}
    | {"feeds", "regions"}
)


class Refused(Exception):
    """The command may not run as this user (the message says why)."""


@dataclass
class CliAs:
    """The root options: who the CLI acts as (set by the ``timpora`` callback)."""

    username: str | None = None
    password_stdin: bool = False
    signed_in: Identity | None = None


_current = CliAs()  # one command per process: set by the ``timpora`` callback


def use(opts: CliAs) -> None:
    global _current
    _current = opts


def options() -> CliAs:
    return _current


def _password(opts: CliAs) -> str:
    if opts.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt(f"password for {opts.username}", hide_input=True))


async def sign_in(
    sessions: async_sessionmaker[AsyncSession], username: str, password: str
) -> Identity:
    """The console user, after a login check (recorded on the account and audited)."""
    async with transaction(sessions) as session:
        verdict, user = await identity.check_login(
            session=session,
            username=username,
            password=password,
            failures=LOCKOUT[0],
            minutes=LOCKOUT[1],
        )
        actions.audit(
            session,
            username=username[:50],
            office=user.office if user else None,
            action="cli_login" if verdict.allowed else f"cli_login_{verdict.reason}",
            ip="cli",
        )
    if not verdict.allowed or user is None or user.role == "member":
        why = (
            "account locked, try later" if verdict.reason == "locked" else "wrong user or password"
        )
        raise Refused(f"sign-in refused: {why}")
    return Identity(
        user_id=user.user_id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        office=user.office,
        scopes=tuple(user.scopes),
        csrf_token="",
        member_id=user.member_id,
    )


def start(settings: Settings, opts: CliAs, command: str | None) -> None:
    """The ``timpora`` callback's part: with ``--as``, sign in now (once per process);
    a system command then needs an administrator."""
    if opts.username is None:
        return
    password = _password(opts)
    username = opts.username
    opts.signed_in = asyncio.run(_with(settings, lambda s: sign_in(s, username, password)))
    if command in SYSTEM_COMMANDS and opts.signed_in.role != "admin":
        raise Refused(f"{command}: administrators only")


def acting(settings: Settings, command: str, *, acts: bool = False) -> Identity:
    """Who a data command runs as (audited), or Refused."""
    who = options().signed_in
    refusal = access.cli_refusal(
        as_user=who is not None,
        production=settings.environment == "production",
        role=who.role if who else None,
        acts=acts,
    )
    if refusal:
        raise Refused(refusal)
    if who is None:
        return LOCAL
    asyncio.run(_with(settings, lambda s: _audit(s, who, command)))
    return who


async def visible_alerts(
    session: AsyncSession, who: Identity, alert_ids: Iterable[str]
) -> set[str]:
    """The alerts among ``alert_ids`` inside the user's scopes (the console's rule)."""
    ids = list(set(alert_ids))
    if not ids:
        return set()
    rows = await session.scalars(
        select(AlertRow.alert_id).where(AlertRow.alert_id.in_(ids), alert_scoped(who.scopes))
    )
    return set(rows)


async def _audit(sessions: async_sessionmaker[AsyncSession], who: Identity, command: str) -> None:
    async with transaction(sessions) as session:
        actions.audit(
            session, username=who.username, office=who.office, action=f"cli_{command}", ip="cli"
        )


async def _with(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    engine = make_engine(settings.database_url)
    try:
        return await work(make_sessionmaker(engine))
    finally:
        await engine.dispose()
