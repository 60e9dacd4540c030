"""The console's pure access decisions: scopes, roles, lockout, sessions, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console_service.web import access

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scopes", "code", "inside"),
    [
        (["63.10"], "63.10", True),
        (["63.10"], "63.10.06", True),
        (["63.10"], "63.10.06.2001", True),
        (["63.10"], "63.100", False),  # a dot boundary, not a string prefix
        (["63.10"], "63.1", False),
        (["63.10"], "63", False),  # the province above is not inside a kabupaten scope
        (["63.10", "63.02"], "63.02.01", True),
        (["*"], "11.01", True),
        ([], "63.10", False),
        (["63.10"], None, False),
    ],
)
def test_covers(scopes: list[str], code: str | None, inside: bool) -> None:
    assert access.covers(scopes, code) is inside


def test_an_alert_is_visible_by_its_team_area_or_its_place() -> None:
    # escalated to the province: still the kecamatan office's alert
    assert access.alert_visible(["63.10"], "63", "63.10.06")
    # an office's fallback team got a report from an unserved place elsewhere
    assert access.alert_visible(["63.10"], "63.10", "64.01.01")
    assert not access.alert_visible(["63.10"], "63.71", "63.71.01")


@pytest.mark.parametrize(
    ("scope", "role", "ok"),
    [
        ("63.10", "operator", True),
        ("63", "viewer", True),
        ("63.10.06.2001", "member", True),
        ("*", "admin", True),
        ("*", "operator", False),  # only administrators see the whole country
        ("63.", "operator", False),
        ("63%", "operator", False),
        ("", "operator", False),
        ("abc", "admin", False),
    ],
)
def test_valid_scope(scope: str, role: str, ok: bool) -> None:
    assert access.valid_scope(scope, role) is ok


def test_only_operators_and_admins_act() -> None:
    assert [r for r in access.ROLES if access.may_act(r)] == ["admin", "operator"]


def attempt(state: access.LoginState | None, ok: bool, now: datetime = NOW) -> access.LoginVerdict:
    return access.login(state, password_ok=ok, now=now, failures=3, minutes=15)


def test_lockout_after_failures_and_its_expiry() -> None:
    state = access.LoginState(0, None)
    for n in (1, 2):
        verdict = attempt(state, False)
        assert (verdict.allowed, verdict.state.failed, verdict.state.locked_until) == (
            False,
            n,
            None,
        )
        state = verdict.state
    locked = attempt(state, False)
    assert locked.state.locked_until == NOW + timedelta(minutes=15)
    # the right password during the lock is refused, and does not extend it
    during = attempt(locked.state, True, NOW + timedelta(minutes=5))
    assert (during.allowed, during.reason, during.state) == (False, "locked", locked.state)
    # after the lock: one more wrong password starts counting afresh, not a new lock
    after = attempt(locked.state, False, NOW + timedelta(minutes=16))
    assert (after.state.failed, after.state.locked_until) == (1, None)
    assert attempt(locked.state, True, NOW + timedelta(minutes=16)).allowed


def test_success_resets_the_count_and_unknown_users_read_as_wrong_passwords() -> None:
    assert attempt(access.LoginState(2, None), True).state == access.LoginState(0, None)
    unknown = attempt(None, True)
    assert (unknown.allowed, unknown.reason) == (False, "unknown_user")
    disabled = access.login(
        access.LoginState(0, None), password_ok=True, disabled=True, now=NOW, failures=3, minutes=1
    )
    assert (disabled.allowed, disabled.reason) == (False, "disabled")


def test_session_idle_and_absolute_limits() -> None:
    alive = access.session_alive
    kw = {"idle": timedelta(minutes=60), "most": timedelta(hours=12)}
    assert alive(NOW, NOW, NOW + timedelta(minutes=59), **kw)
    assert not alive(NOW, NOW, NOW + timedelta(minutes=61), **kw)
    busy = NOW + timedelta(hours=12, minutes=1)
    assert not alive(NOW, busy - timedelta(minutes=1), busy, **kw)


def test_csrf_tokens_compare_whole() -> None:
    assert access.same_token("abc", "abc")
    assert not access.same_token("ab", "abc")
    assert not access.same_token(None, "abc")


def test_percentile_nearest_rank() -> None:
    assert access.percentile([], 0.5) is None
    assert access.percentile([30.0], 0.9) == 30.0
    values = [float(v) for v in range(1, 11)]
    assert (access.percentile(values, 0.5), access.percentile(values, 0.9)) == (5.0, 9.0)


def test_kecamatan_of() -> None:
    assert access.kecamatan_of("63.10.06.2001") == "63.10.06"
    assert access.kecamatan_of("63.10.06") == "63.10.06"
    assert access.kecamatan_of("63.10") is None
