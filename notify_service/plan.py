"""Delivery planning (pure): who gets an alert, on which channels in which order, and when.

Each on-duty member gets the alert once, on the first channel of their own order for
which they have an address; later channels are the fallbacks. A grouped update goes to
chat and email only (no second SMS for the same incident). Quiet hours (local to the
member) defer the delivery to their end, unless the alert is critical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.schemas import AlertReason, AlertRouted, Channel, Member, QuietHours, Severity, Team


@dataclass(frozen=True)
class PlannedDelivery:
    member_id: str
    channels: tuple[str, ...] = ()  # first is tried first; empty means skipped
    skip_reason: str | None = None
    not_before: datetime | None = None  # deferred by quiet hours
    reasons: list[str] = field(default_factory=list)


def has_address(member: Member, channel: Channel) -> bool:
    return bool(
        {
            Channel.sms: member.phone,
            Channel.email: member.email,
            Channel.telegram: member.telegram_chat_id,
            Channel.whatsapp: member.whatsapp,
            Channel.webhook: member.webhook_url,
        }[channel]
    )


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """End of the member's quiet hours if ``now`` falls inside them (wraps midnight)."""
    if quiet is None:
        return None
    local = now.astimezone(ZoneInfo(quiet.tz))
    t = local.time()
    start, end = quiet.start, quiet.end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if start > end and t >= start else local.date()
    return datetime.combine(end_day, end, tzinfo=local.tzinfo).astimezone(now.tzinfo)


def plan_member(alert: AlertRouted, member: Member, now: datetime) -> PlannedDelivery:
    if not member.on_duty:
        return PlannedDelivery(member.member_id, skip_reason="off duty")
    channels = tuple(c.value for c in dict.fromkeys(member.channels) if has_address(member, c))
    if alert.reason is AlertReason.update:
        # A grouped update (same person, place, day) is news, not a new page: it goes
        # to chat and email, never as another SMS.
        channels = tuple(c for c in channels if c != Channel.sms)
    if not channels:
        reason = "update: no non-SMS channel" if alert.reason is AlertReason.update else None
        return PlannedDelivery(member.member_id, skip_reason=reason or "no usable channel")
    resume = None if alert.severity is Severity.critical else quiet_until(member.quiet_hours, now)
    return PlannedDelivery(member.member_id, channels, not_before=resume)


def plan_deliveries(alert: AlertRouted, team: Team, now: datetime) -> list[PlannedDelivery]:
    return [plan_member(alert, m, now) for m in team.members]


def delivery_key(alert_id: str, version: int, member_id: str, channel: str) -> str:
    return f"{alert_id}:{version}:{member_id}:{channel}"
