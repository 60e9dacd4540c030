"""Who of a team is on duty now (piket), pure: the weekly slots in the roster's time
zone, then the overrides (leave takes a member off, a swap puts one on), and everyone for
a critical alert. A team without a roster keeps each member's ``on_duty`` flag.

notify calls :func:`staffed` when it plans an alert's deliveries; the console shows the
same answer ("on duty now") on the team's page.
"""

from __future__ import annotations

from datetime import datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from shared.schemas import Roster, Team


def in_window(t: time, start: time, end: time) -> bool:
    """``start <= t < end``, wrapping midnight when ``start > end``; empty when equal."""
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def on_duty(roster: Roster, member_id: str, now: datetime) -> bool:
    """Whether the roster has ``member_id`` on duty at ``now`` (an aware time)."""
    for override in roster.overrides:
        if override.member_id == member_id and override.starts_at <= now < override.ends_at:
            return override.on_duty
    local = now.astimezone(_zone(roster.tz))
    t, weekday = local.time().replace(tzinfo=None), local.weekday()
    for slot in roster.slots:
        if slot.member_id != member_id:
            continue
        if slot.start < slot.end or slot.start == slot.end:
            if slot.weekday == weekday and in_window(t, slot.start, slot.end):
                return True
        # through midnight: the evening part on its weekday, the morning part the day after
        elif (slot.weekday == weekday and t >= slot.start) or (
            (slot.weekday + 1) % 7 == weekday and t < slot.end
        ):
            return True
    return False


def staffed(team: Team, now: datetime, *, critical: bool = False) -> Team:
    """The team with each member's ``on_duty`` as the roster has it now (every member
    for a critical alert); unchanged without a roster."""
    if team.roster is None:
        return team
    members = [
        m.model_copy(update={"on_duty": critical or on_duty(team.roster, m.member_id, now)})
        for m in team.members
    ]
    return team.model_copy(update={"members": members})
