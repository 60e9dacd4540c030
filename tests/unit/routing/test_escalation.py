"""The escalation ladder and timer decisions (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing_service.escalation import (
    EscalationAction,
    first_deadline,
    ladder,
    next_deadline,
    next_level,
    next_with_team,
    on_timer_due,
)
from shared.schemas import Level

T0 = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)
THIRTY = timedelta(minutes=30)


def test_next_level_climbs_the_hierarchy() -> None:
    assert next_level(Level.kecamatan, "63.10.06") == (Level.kabupaten, "63.10")
    assert next_level(Level.kabupaten, "63.10") == (Level.provinsi, "63")
    assert next_level(Level.provinsi, "63") is None
    assert next_level(Level.desa, "63.10.06.2003") == (Level.kecamatan, "63.10.06")


def test_next_level_trusts_the_code_over_the_level() -> None:
    # A village code at kecamatan level is its kecamatan; a kabupaten code labelled
    # kecamatan (a fallback) is at kabupaten.
    assert next_level(Level.kecamatan, "63.10.06.2003") == (Level.kabupaten, "63.10")
    assert next_level(Level.kecamatan, "63.10") == (Level.provinsi, "63")


def test_ladder() -> None:
    assert ladder(Level.kecamatan, "63.10.06") == [
        (Level.kabupaten, "63.10"),
        (Level.provinsi, "63"),
    ]
    assert ladder(Level.provinsi, "63") == []


def test_levels_without_a_team_are_skipped() -> None:
    assert next_with_team(Level.kecamatan, "63.10.06", {"63"}.__contains__) == (
        Level.provinsi,
        "63",
    )
    assert next_with_team(Level.kecamatan, "63.10.06", set().__contains__) is None


def test_deadlines() -> None:
    assert first_deadline(T0, THIRTY) == T0 + THIRTY
    assert first_deadline(T0, None) is None
    assert first_deadline(T0, timedelta(0)) is None
    assert next_deadline(T0, THIRTY, 1) == T0 + THIRTY
    assert next_deadline(T0, THIRTY, 2, backoff=2.0) == T0 + 2 * THIRTY
    assert next_deadline(T0, THIRTY, 3, backoff=2.0) == T0 + 4 * THIRTY
    assert next_deadline(T0, None, 1) is None
    assert next_deadline(T0, THIRTY, 0) is None


def _due(**kw):
    args = {
        "acked": False,
        "level": Level.kecamatan,
        "code": "63.10.06",
        "step": 0,
        "due_at": T0,
        "now": T0,
        "escalate_after": THIRTY,
    }
    return on_timer_due(**{**args, **kw})


def test_ack_cancels() -> None:
    d = _due(acked=True)
    assert d.action is EscalationAction.cancel
    assert _due(closed=True).action is EscalationAction.cancel
    # An ack that came in late, after the deadline, still stops the ladder.
    assert _due(acked=True, now=T0 + timedelta(hours=5)).action is EscalationAction.cancel


def test_not_yet_due_waits() -> None:
    d = _due(now=T0 - timedelta(seconds=1))
    assert d.action is EscalationAction.wait
    assert d.next_due_at == T0
    assert (d.level, d.code, d.step) == (Level.kecamatan, "63.10.06", 0)


def test_due_and_unacked_escalates_one_level() -> None:
    d = _due()
    assert d.action is EscalationAction.escalate
    assert (d.level, d.code, d.step) == (Level.kabupaten, "63.10", 1)
    assert d.next_due_at == T0 + THIRTY  # the province is next
    d2 = _due(level=d.level, code=d.code, step=d.step, due_at=d.next_due_at, now=d.next_due_at)
    assert (d2.action, d2.level, d2.code, d2.step) == (
        EscalationAction.escalate,
        Level.provinsi,
        "63",
        2,
    )
    assert d2.next_due_at is None  # nowhere higher to go: no further timer
    d3 = _due(level=Level.provinsi, code="63", step=2)
    assert d3.action is EscalationAction.exhausted


def test_escalation_skips_levels_without_a_team() -> None:
    d = _due(has_team={"63"}.__contains__)
    assert (d.action, d.level, d.code) == (EscalationAction.escalate, Level.provinsi, "63")
    assert d.next_due_at is None
    assert _due(has_team=lambda _c: False).action is EscalationAction.exhausted


def test_max_steps() -> None:
    d = _due(max_steps=1)
    assert d.action is EscalationAction.escalate
    assert d.next_due_at is None  # this was the last allowed step
    assert _due(step=1, max_steps=1).action is EscalationAction.exhausted


@pytest.mark.parametrize("backoff", [1.0, 2.0])
def test_backoff_spaces_later_steps(backoff: float) -> None:
    d = _due(backoff=backoff)
    assert d.next_due_at == T0 + THIRTY * backoff
