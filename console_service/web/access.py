"""Pure decisions of the console's access control: who may do what, where, and when a
login is refused. No I/O; the pages, the CLI and the tests call these same functions.

* **Scopes** are region-code prefixes on dot boundaries: "63.10" covers "63.10" and
  "63.10.06.2001" but not "63.100"; "*" covers the whole country (administrators only).
* **Roles**: a viewer reads; an operator and an administrator also act (ack, close,
  note) and may see full personal data (audited); a member is a team member following a
  link; only an administrator manages users.
* **Lockout**: after ``failures`` wrong passwords in a row an account is locked for
  ``minutes``; a right password during the lock is refused too (a guesser learns nothing).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Role = Literal["admin", "operator", "viewer", "member"]
ROLES: tuple[Role, ...] = ("admin", "operator", "viewer", "member")
ALL = "*"
ACTING_ROLES = frozenset({"admin", "operator"})


def covers(scopes: Iterable[str], code: str | None) -> bool:
    """Whether a region code lies inside one of the scopes."""
    if code is None:
        return False
    return any(s == ALL or code == s or code.startswith(s + ".") for s in scopes)


def alert_visible(scopes: Iterable[str], jurisdiction_code: str, place_code: str | None) -> bool:
    """An alert is in scope when its team's area or its report's place is (the rule
    :func:`console_service.web.queries.alert_scoped` puts in SQL)."""
    scopes = tuple(scopes)
    return covers(scopes, jurisdiction_code) or covers(scopes, place_code)


def silence_in_scope(scopes: Iterable[str], jurisdiction_prefix: str | None) -> bool:
    """Whether a user may see, create or expire a silence of this prefix: it must lie
    inside their scopes (so it mutes nothing outside them). A silence without a prefix
    mutes everywhere: administrators of the whole country only."""
    scopes = tuple(scopes)
    if jurisdiction_prefix is None:
        return ALL in scopes
    return covers(scopes, jurisdiction_prefix)


def kecamatan_of(code: str | None) -> str | None:
    """The kecamatan part of a code ("63.10.06.2001" → "63.10.06"), None above it."""
    parts = (code or "").split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


def valid_scope(scope: str, role: str) -> bool:
    """A scope a user of ``role`` may hold: "*" for administrators, else a region code
    prefix (digits in dot-separated groups, e.g. "63" or "63.10")."""
    if scope == ALL:
        return role == "admin"
    parts = scope.split(".")
    return 1 <= len(parts) <= 4 and all(p.isdigit() and 1 <= len(p) <= 4 for p in parts)


def may_act(role: str) -> bool:
    """Ack, close, add a note; see full personal data."""
    return role in ACTING_ROLES


@dataclass(frozen=True)
class LoginState:
    failed: int
    locked_until: datetime | None


@dataclass(frozen=True)
class LoginVerdict:
    allowed: bool
    state: LoginState
    reason: Literal["ok", "wrong_password", "locked", "unknown_user", "disabled"]


def login(
    state: LoginState | None,
    *,
    password_ok: bool,
    disabled: bool = False,
    now: datetime,
    failures: int,
    minutes: int,
) -> LoginVerdict:
    """The outcome of one login attempt and the account's next state (None: no such
    user, refused the same way as a wrong password)."""
    if state is None:
        return LoginVerdict(False, LoginState(0, None), "unknown_user")
    if state.locked_until is not None and now < state.locked_until:
        return LoginVerdict(False, state, "locked")
    if disabled:
        return LoginVerdict(False, state, "disabled")
    if password_ok:
        return LoginVerdict(True, LoginState(0, None), "ok")
    failed = (0 if state.locked_until is not None else state.failed) + 1
    locked = now + timedelta(minutes=minutes) if failed >= failures else None
    return LoginVerdict(False, LoginState(failed, locked), "wrong_password")


def session_alive(
    created_at: datetime, last_seen_at: datetime, now: datetime, *, idle: timedelta, most: timedelta
) -> bool:
    """A session ends after ``idle`` without a request, or ``most`` after login."""
    return now - last_seen_at < idle and now - created_at < most


def same_token(given: str | None, expected: str) -> bool:
    """CSRF token check in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..1) of ``values`` by nearest rank; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(q * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]
