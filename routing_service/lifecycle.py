"""What happens to a routed alert, pure: a due escalation timer, an acknowledgement.

Rules decided here once (and tested in ``tests/unit/routing/test_routing_plan.py``):

* a due timer of an acknowledged, muted or inhibited alert is cancelled, never fired,
  and so is the timer of an alert whose case is open at a higher level by now (the
  policy's ``inhibit`` rules): the kecamatan alert of a case the kabupaten already has
  does not page the kabupaten a second time;
* a due timer of an open alert that a silence made *after* it covers now is held: the
  step waits until the last such silence ends, then fires if nobody acknowledged it
  (the team already has the alert; the silence stops the pages above it);
* an escalation goes one level up, to the nearest level that has a team;
* an acknowledgement of an alert acknowledged (or closed) before changes nothing;
* a muted alert whose silences are over, still inside its window, is sent then (its team
  never heard of it) and its escalation ladder starts as a new alert's would;
* a close (``SELESAI <code>``) resolves an open, acknowledged or muted alert once: its
  ladder stops and later reports of the case open a new alert;
* an operator's reassignment gives an open (unacknowledged) alert to another team of the
  directory: a new version for that team, its ladder starting again from that team's
  level; an acknowledged alert has an owner and is not moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from routing_service.escalation import EscalationAction, EscalationDecision, on_timer_due
from routing_service.inhibition import Inhibit, OpenCase, inhibited_by
from routing_service.plan import first_timer
from routing_service.silences import ActiveSilence, is_muted, silenced_until
from routing_service.targets import Directory, NameOf, Target
from shared.jurisdiction import level_of
from shared.schemas import AlertReason, AlertRouted

# --------------------------------------------------------------------------- timers


@dataclass(frozen=True)
class EscalatedAlert:
    """What a fired timer does to its alert: the new version and the next timer."""

    message: AlertRouted
    next_due_at: datetime | None


def on_due_timer(
    previous: AlertRouted,
    *,
    status: str,
    due_at: datetime,
    escalate_after: timedelta | None,
    directory: Directory,
    now: datetime,
    name_of: NameOf = lambda _code: None,
    inhibit: Sequence[Inhibit] = (),
    cases: Sequence[OpenCase] = (),
    silences: Sequence[ActiveSilence] = (),
) -> tuple[EscalationDecision, EscalatedAlert | None]:
    """A due timer of an alert (whose current version is ``previous``): cancel it
    (acknowledged, closed, muted, or inhibited now: ``cases`` are its case's open alerts),
    hold it (a silence covers it now), stop (no higher team) or escalate one level up."""
    others = [c for c in cases if c.alert_id != previous.alert_id]
    inhibited = inhibited_by(inhibit, previous.level, others) is not None
    held_until = silenced_until(
        silences, previous.report, previous.team_id, previous.jurisdiction_code, now
    )
    if status == "open" and not inhibited and held_until is not None and now >= due_at:
        step = previous.escalation_step
        level, code = previous.level, previous.jurisdiction_code
        return EscalationDecision(EscalationAction.held, level, code, step, held_until), None
    decision = on_timer_due(
        acked=status == "acked",
        closed=inhibited or status in ("muted", "inhibited", "digest", "digested", "closed"),
        level=previous.level,
        code=previous.jurisdiction_code,
        step=previous.escalation_step,
        due_at=due_at,
        now=now,
        escalate_after=escalate_after,
        has_team=directory.__contains__,
    )
    if decision.action is not EscalationAction.escalate:
        return decision, None
    assert decision.level is not None
    assert decision.code is not None
    message = previous.model_copy(
        update={
            "version": previous.version + 1,
            "team_id": directory[decision.code][0],
            "level": decision.level,
            "jurisdiction_code": decision.code,
            "jurisdiction_name": name_of(decision.code),
            "reason": AlertReason.escalation,
            "escalation_step": decision.step,
            "routed_at": now,
        }
    )
    return decision, EscalatedAlert(message, decision.next_due_at)


# --------------------------------------------------------------------------- reassign


@dataclass(frozen=True)
class Reassigned:
    """An alert given to another team: its new version and the new ladder's first timer."""

    message: AlertRouted
    timer_due_at: datetime | None


def on_reassign(
    previous: AlertRouted,
    *,
    status: str,
    team_id: str,
    escalate_after: timedelta | None,
    directory: Directory,
    now: datetime,
    name_of: NameOf = lambda _code: None,
) -> Reassigned | str:
    """An operator gives the alert (``previous`` its current version) to ``team_id``:
    the new version, or why not (``not_open``, ``same_team``, ``unknown_team``)."""
    if status != "open":
        return "not_open"
    if team_id == previous.team_id:
        return "same_team"
    code = next((c for c, teams in directory.items() if team_id in teams), None)
    if code is None:
        return "unknown_team"
    target = Target(team_id, level_of(code), code)
    message = previous.model_copy(
        update={
            "version": previous.version + 1,
            "team_id": team_id,
            "team_name": None,
            "level": target.level,
            "jurisdiction_code": code,
            "jurisdiction_name": name_of(code),
            "reason": AlertReason.reassigned,
            "escalation_step": 0,
            "fallback": None,  # reviewed and forwarded: no longer the office's fallback
            "routed_at": now,
        }
    )
    return Reassigned(message, first_timer(target, escalate_after, directory, now))


# --------------------------------------------------------------------------- silences


@dataclass(frozen=True)
class Resumed:
    """A muted alert no silence mutes any more: sent now, its ladder started."""

    message: AlertRouted
    timer_due_at: datetime | None


def on_silence_over(
    alert: AlertRouted,
    *,
    silences: Sequence[ActiveSilence],
    escalate_after: timedelta | None,
    directory: Directory,
    now: datetime,
) -> Resumed | None:
    """A muted alert (``alert`` its current version): None while a silence still mutes
    it, else what resuming it does."""
    if is_muted(silences, alert.report, alert.team_id, alert.jurisdiction_code, now):
        return None
    target = Target(alert.team_id, alert.level, alert.jurisdiction_code)
    return Resumed(
        alert.model_copy(update={"routed_at": now}),
        first_timer(target, escalate_after, directory, now),
    )


# --------------------------------------------------------------------------- acks


class AckAction(StrEnum):
    acknowledge = "acknowledge"  # mark acknowledged, cancel its pending timers
    close = "close"  # mark closed (resolved), cancel its pending timers
    ignore = "ignore"  # unknown alert, or acknowledged/closed before: nothing changes


def on_ack(status: str | None, action: str = "ack") -> AckAction:
    """An acknowledgement (``action`` ack) or a close of an alert whose status is
    ``status`` (None: unknown alert)."""
    if status is None or status == "closed":
        return AckAction.ignore
    if action == "close":
        return AckAction.close
    return AckAction.ignore if status == "acked" else AckAction.acknowledge


__all__ = [
    "AckAction",
    "EscalatedAlert",
    "Reassigned",
    "Resumed",
    "on_ack",
    "on_due_timer",
    "on_reassign",
    "on_silence_over",
]
