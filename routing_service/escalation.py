"""The escalation ladder: an alert nobody acknowledges in time goes one level up.

kecamatan ``63.10.06`` → kabupaten ``63.10`` → provinsi ``63`` → nobody further. A level
without a team is skipped (the alert goes to the next one that has a team). Pure
functions; the engine persists timers (so they survive restarts) and cancels them on ack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.jurisdiction import ancestor_at, level_of, parent_of
from shared.schemas import Level

ALERT_LEVELS = (Level.kecamatan, Level.kabupaten, Level.provinsi)


def _at_level(level: Level, code: str) -> str:
    """``code`` cut to ``level`` (a village code at kecamatan level is its kecamatan)."""
    return ancestor_at(code, level) or code


def next_level(level: Level, code: str) -> tuple[Level, str] | None:
    """One step up the ladder: ``(kabupaten, "63.10")`` from ``(kecamatan, "63.10.06")``.

    The level is taken from the code when they disagree (a shallower code than its level
    says is where the alert really is). None at the province: there is no higher team.
    """
    code = _at_level(level, code)
    parent = parent_of(code)
    if parent is None:
        return None
    return level_of(parent), parent


def ladder(level: Level, code: str) -> list[tuple[Level, str]]:
    """Every step above ``(level, code)``, nearest first."""
    steps = []
    step = next_level(level, code)
    while step is not None:
        steps.append(step)
        step = next_level(*step)
    return steps


def next_with_team(
    level: Level, code: str, has_team: Callable[[str], bool]
) -> tuple[Level, str] | None:
    """The nearest step up whose jurisdiction has a team (levels without one are skipped)."""
    return next((step for step in ladder(level, code) if has_team(step[1])), None)


def first_deadline(start: datetime, escalate_after: timedelta | None) -> datetime | None:
    """When the first escalation is due; None when the rule does not escalate."""
    if escalate_after is None or escalate_after <= timedelta(0):
        return None
    return start + escalate_after


def next_deadline(
    fired_at: datetime, escalate_after: timedelta | None, step: int, backoff: float = 1.0
) -> datetime | None:
    """When step ``step`` (1 = first escalation) is due after the previous one fired.

    ``backoff`` > 1 gives higher levels more time (30 m, then 60 m with backoff 2...).
    """
    if escalate_after is None or escalate_after <= timedelta(0) or step < 1:
        return None
    return fired_at + escalate_after * (backoff ** (step - 1))


class EscalationAction(StrEnum):
    wait = "wait"  # not due yet
    cancel = "cancel"  # acknowledged (or closed): the timer is void
    escalate = "escalate"  # send to the next level's team
    exhausted = "exhausted"  # no higher team: stop
    held = "held"  # a silence covers the alert now: the step waits until it ends


@dataclass(frozen=True)
class EscalationDecision:
    action: EscalationAction
    level: Level | None = None  # the target after this decision (escalate) else current
    code: str | None = None
    step: int = 0  # escalation step after this decision
    next_due_at: datetime | None = None  # schedule the next timer for this time


def on_timer_due(
    *,
    acked: bool,
    level: Level,
    code: str,
    step: int,
    due_at: datetime,
    now: datetime,
    escalate_after: timedelta | None,
    has_team: Callable[[str], bool] = lambda _code: True,
    max_steps: int | None = None,
    closed: bool = False,
    backoff: float = 1.0,
) -> EscalationDecision:
    """What to do with a timer that may be due, given the alert's ack state.

    ``step`` is how many times the alert was escalated so far; ``(level, code)`` is
    where it is now. An ack always wins, even one that arrived after the deadline but
    before the timer was processed: nobody needs to be woken up any more.
    """
    if acked or closed:
        return EscalationDecision(EscalationAction.cancel, level, code, step)
    if now < due_at:
        return EscalationDecision(EscalationAction.wait, level, code, step, due_at)
    if max_steps is not None and step >= max_steps:
        return EscalationDecision(EscalationAction.exhausted, level, code, step)
    target = next_with_team(level, code, has_team)
    if target is None:
        return EscalationDecision(EscalationAction.exhausted, level, code, step)
    new_level, new_code = target
    more = next_with_team(new_level, new_code, has_team) is not None
    if max_steps is not None and step + 1 >= max_steps:
        more = False
    due = next_deadline(now, escalate_after, step + 2, backoff) if more else None
    return EscalationDecision(EscalationAction.escalate, new_level, new_code, step + 1, due)
