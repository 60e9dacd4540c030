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


def source_in_scope(scopes: Iterable[str], home_area: Sequence[str]) -> bool:
    """A source serves its home area: its dead letters are that area's offices'. A source
    without one (unknown to the key file, a raw-topic producer): administrators only."""
    scopes = tuple(scopes)
    if not home_area:
        return ALL in scopes
    return any(covers(scopes, area) for area in home_area)


# Where a record of the system's topics names a region: an alert's team area and its
# report's place, a report's resolved place and the codes it was given.
CODE_KEYS = frozenset(
    {"jurisdiction_code", "place_code", "routing_code", "code", "kecamatan_code", "kabupaten_code"}
)


def record_in_scope(scopes: Iterable[str], value: object) -> bool:
    """Whether a topic record (decoded JSON) belongs to the scopes: some region code in
    it (an alert's team area or place, a report's place) lies inside them. A record that
    names no region (an ack, raw input): administrators only."""
    scopes = tuple(scopes)
    if ALL in scopes:
        return True
    return any(covers(scopes, code) for code in _codes(value, depth=0))


def _codes(value: object, depth: int) -> Iterable[str]:
    if depth > 4:  # the schemas nest three deep; a producer's record may nest anything
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CODE_KEYS and isinstance(item, str):
                yield item
            elif isinstance(item, dict | list):
                yield from _codes(item, depth + 1)
    elif isinstance(value, list):
        for item in value[:50]:
            yield from _codes(item, depth + 1)


def cli_refusal(*, as_user: bool, production: bool, role: str | None, acts: bool) -> str | None:
    """Why the CLI refuses a command that reads or changes alerts, reports, deliveries,
    dead letters, teams or silences: in production it runs only as a console user (whose
    scopes then bound it); a viewer reads but does not act. None: allowed."""
    if not as_user:
        if production:
            return "production: give --as USER (a console user; the command sees their area)"
        return None
    if acts and role is not None and not may_act(role):
        return "a viewer reads but does not act"
    return None


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
