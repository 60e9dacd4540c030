"""What happens to a routed alert, pure: a due escalation timer, an acknowledgement.

Rules decided here once (and tested in ``tests/unit/routing/test_routing_plan.py``):

* a due timer of an acknowledged or muted alert is cancelled, never fired;
* an escalation goes one level up, to the nearest level that has a team;
* an acknowledgement of an alert acknowledged before changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from routing_service.escalation import EscalationAction, EscalationDecision, on_timer_due
from routing_service.plan import Directory, NameOf
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
) -> tuple[EscalationDecision, EscalatedAlert | None]:
    """A due timer of an alert (whose current version is ``previous``): cancel it
    (acknowledged or muted), stop (no higher team) or escalate one level up."""
    decision = on_timer_due(
        acked=status == "acked",
        closed=status in ("muted", "digest", "digested"),
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


# --------------------------------------------------------------------------- acks


class AckAction(StrEnum):
    acknowledge = "acknowledge"  # mark acknowledged, cancel its pending timers
    ignore = "ignore"  # unknown alert, or acknowledged before (a repeat changes nothing)


def on_ack(status: str | None) -> AckAction:
    """An acknowledgement of an alert whose status is ``status`` (None: unknown alert)."""
    return AckAction.ignore if status is None or status == "acked" else AckAction.acknowledge


__all__ = ["AckAction", "EscalatedAlert", "on_ack", "on_due_timer"]
