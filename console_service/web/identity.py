"""Users, passwords and sessions: load → decide (:mod:`console_service.web.access`) →
persist. Passwords are argon2id hashes (hashed in a worker thread: ~50 ms of CPU each);
a session is a random 256-bit token, signed in the cookie, stored as its SHA-256."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web import access
from console_service.web.models import ConsoleSession, ConsoleUser
from shared.schemas import new_id, utcnow
from shared.settings import ConsoleSettings

HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so a miss takes as long as a wrong
    password (made on first use: importing this module costs no hashing)."""
    return HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Identity:
    """The logged-in user of a request, as the pages and queries need them."""

    user_id: str
    username: str
    display_name: str
    role: str
    office: str
    scopes: tuple[str, ...]
    csrf_token: str
    member_id: str | None = None

    @property
    def may_act(self) -> bool:
        return access.may_act(self.role)

    @property
    def actor(self) -> str:
        """The id written on acks and closes made in the console."""
        return self.member_id or f"console:{self.username}"


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def add_user(
    *,
    session: AsyncSession,
    username: str,
    password: str,
    role: str,
    office: str,
    scopes: list[str],
    display_name: str | None = None,
    member_id: str | None = None,
) -> ConsoleUser:
    if role not in access.ROLES:
        raise ValueError(f"role must be one of {', '.join(access.ROLES)}")
    bad = [s for s in scopes if not access.valid_scope(s, role)]
    if bad or not scopes:
        raise ValueError(f"invalid scopes for a {role}: {', '.join(bad) or '(none)'}")
    if len(password) < 12:
        raise ValueError("a password needs 12 characters or more")
    user = ConsoleUser(
        user_id=new_id(),
        username=username,
        display_name=display_name or username,
        password_hash=await hash_password(password),
        role=role,
        office=office,
        scopes=scopes,
        member_id=member_id,
        failed_logins=0,
    )
    session.add(user)
    await session.flush()
    return user


async def user_by_name(*, session: AsyncSession, username: str) -> ConsoleUser | None:
    return await session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))


async def check_login(
    *,
    session: AsyncSession,
    username: str,
    password: str,
    failures: int,
    minutes: int,
) -> tuple[access.LoginVerdict, ConsoleUser | None]:
    """Verify a password and record the attempt on the account (lockout after
    ``failures`` in a row, for ``minutes``): the console's login and the CLI's ``--as``."""
    user = await user_by_name(session=session, username=username)
    stored = user.password_hash if user else await asyncio.to_thread(_dummy_hash)
    password_ok = await _verify(stored, password)
    now = utcnow()
    state = access.LoginState(user.failed_logins, user.locked_until) if user else None
    verdict = access.login(
        state,
        password_ok=password_ok,
        disabled=bool(user and user.disabled),
        now=now,
        failures=failures,
        minutes=minutes,
    )
    if user is not None:
        user.failed_logins, user.locked_until = verdict.state.failed, verdict.state.locked_until
    return verdict, user


def _serializer(settings: ConsoleSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.session_secret.get_secret_value(), salt="console-session")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    *, session: AsyncSession, settings: ConsoleSettings, user: ConsoleUser, ip: str | None
) -> str:
    """A new session (never one the browser brought: no fixation); returns the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            user_id=user.user_id,
            csrf_token=secrets.token_urlsafe(32),
            ip=ip,
        )
    )
    return str(_serializer(settings).dumps(token))


def _token(settings: ConsoleSettings, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        token = _serializer(settings).loads(cookie)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


async def identify(
    *, session: AsyncSession, settings: ConsoleSettings, cookie: str | None
) -> Identity | None:
    """The user of a session cookie, or None (no, forged, expired or revoked session)."""
    token = _token(settings, cookie)
    if token is None:
        return None
    row = await session.get(ConsoleSession, _digest(token))
    if row is None:
        return None
    now = utcnow()
    user = await session.get(ConsoleUser, row.user_id)
    alive = access.session_alive(
        row.created_at,
        row.last_seen_at,
        now,
        idle=timedelta(minutes=settings.session_idle_minutes),
        most=timedelta(hours=settings.session_max_hours),
    )
    if user is None or user.disabled or not alive:
        await session.delete(row)
        return None
    row.last_seen_at = now
    return Identity(
        user.user_id,
        user.username,
        user.display_name,
        user.role,
        user.office,
        tuple(user.scopes),
        row.csrf_token,
        user.member_id,
    )


async def close_session(*, session: AsyncSession, settings: ConsoleSettings, cookie: str) -> None:
    if token := _token(settings, cookie):
        await session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token))
        )
