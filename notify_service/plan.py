"""Delivery planning (pure): who gets an alert, on which channels in which order, and when.

Why these rules:

* Each on-duty member gets the alert once, on the first channel of *their own* order for
  which they have an address; the later channels are the fallbacks when a channel fails.
  A channel without an address is not a fallback, it is dropped here.
* A grouped update (same person, place, day) is news, not a new page: it goes to chat
  and email, not as another SMS to a member who has those. A member who has only SMS
  gets it as a short update SMS, at most one per alert per ``update_sms_every_s`` (the
  policy's ``defaults.update_sms_every``): the updates in between are skipped, and the
  member's link shows the alert as it is now.
* Quiet hours are local to the member (their IANA zone; the window may wrap midnight).
  By default a delivery in quiet hours is *deferred* to their end (``not_before``), so
  the member still has the alert when they wake; ``defer_quiet=False`` skips it instead.
  Critical alerts bypass quiet hours.
* Who is on duty follows the team's roster (piket, :mod:`shared.roster`) when it has
  one, every member for a critical alert; else each member's ``on_duty`` flag.
* A team's Telegram group gets each version once more (:func:`plan_group`), besides the
  members' own plans.
* Nothing here does I/O or reads a clock: ``now`` is passed in, so every rule is tested
  with plain values.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notify_service.groups import group_recipient
from shared.roster import in_window, staffed
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Channel,
    DeliveryStatus,
    Member,
    QuietHours,
    Severity,
    Team,
)

DEFAULT_TZ = "Asia/Makassar"  # WITA: South Kalimantan

SKIP_OFF_DUTY = "off duty"
SKIP_QUIET_HOURS = "quiet hours"
SKIP_NO_CHANNEL = "no usable channel"
SKIP_UPDATE_NO_CHANNEL = "update: no channel"
SKIP_UPDATE_SMS_RECENT = "update: an update SMS of this alert went out recently"


@dataclass(frozen=True)
class PlannedDelivery:
    """One member's plan: channels to try in order, or why nobody is contacted."""

    member_id: str
    channels: tuple[str, ...] = ()  # first is tried first; empty means skipped
    skip_reason: str | None = None
    not_before: datetime | None = None  # deferred by quiet hours
    reasons: list[str] = field(default_factory=list)  # human-readable notes for the log

    @property
    def skipped(self) -> bool:
        return not self.channels

    @property
    def deferred(self) -> bool:
        return self.not_before is not None


def address_of(member: Member, channel: Channel | str) -> str | None:
    """The member's address on ``channel`` (``None`` when they have none)."""
    return {
        Channel.sms: member.phone,
        Channel.email: member.email,
        Channel.telegram: member.telegram_chat_id,
        Channel.whatsapp: member.whatsapp,
        Channel.webhook: member.webhook_url,
    }.get(Channel(channel))


def has_address(member: Member, channel: Channel | str) -> bool:
    return bool(address_of(member, channel))


def usable_channels(member: Member) -> tuple[str, ...]:
    """The member's channel order, without repeats and channels they have no address for."""
    return tuple(c.value for c in dict.fromkeys(member.channels) if has_address(member, c))


CODE_CHANNELS = (Channel.sms, Channel.whatsapp, Channel.telegram)  # a person's own phone


def code_channel(
    member: Member, preferred: str | None, *, whatsapp_open: bool = True
) -> str | None:
    """Where a one-time code goes: the channel the member's link came by when it reaches
    their own phone, else the first of their channels that does (never email or a
    webhook: a shared mailbox or a machine is not the member). WhatsApp only when it can
    carry the code now (``whatsapp_open``): outside the member's 24-hour window Meta
    delivers only registered templates, so only with the authentication template."""
    order = [preferred] if preferred else []
    for channel in (*order, *member.channels):
        if channel not in CODE_CHANNELS or not has_address(member, channel):
            continue
        if channel == Channel.whatsapp and not whatsapp_open:
            continue
        return Channel(channel).value
    return None


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)  # a typo in the directory must not stop alerts


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """End of the member's quiet hours if ``now`` falls inside them, else ``None``."""
    if quiet is None:
        return None
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(_zone(quiet.tz))
    t = local.time().replace(tzinfo=None)
    if not in_window(t, quiet.start, quiet.end):
        return None
    end_day = local.date()
    if quiet.start > quiet.end and t >= quiet.start:  # before midnight: ends tomorrow
        end_day += timedelta(days=1)
    end = datetime.combine(end_day, quiet.end, tzinfo=local.tzinfo)
    return end.astimezone(now.tzinfo)


def plan_member(
    alert: AlertRouted,
    member: Member,
    now: datetime,
    *,
    defer_quiet: bool = True,
    last_update_sms: datetime | None = None,
) -> PlannedDelivery:
    """The plan for one member (see the module docstring for the rules);
    ``last_update_sms``: when this member was last sent an update SMS of this alert."""
    if not member.on_duty:
        return PlannedDelivery(member.member_id, skip_reason=SKIP_OFF_DUTY)
    channels = usable_channels(member)
    if alert.reason is AlertReason.update:
        update = update_channels(alert, channels, now, last_update_sms)
        if isinstance(update, str):
            return PlannedDelivery(member.member_id, skip_reason=update)
        channels = update
    if not channels:
        return PlannedDelivery(member.member_id, skip_reason=SKIP_NO_CHANNEL)
    if alert.severity is Severity.critical:
        notes = ["critical: quiet hours bypassed"] if quiet_until(member.quiet_hours, now) else []
        return PlannedDelivery(member.member_id, channels, reasons=notes)
    resume = quiet_until(member.quiet_hours, now)
    if resume is None:
        return PlannedDelivery(member.member_id, channels)
    if not defer_quiet:
        return PlannedDelivery(member.member_id, skip_reason=SKIP_QUIET_HOURS)
    note = f"quiet hours until {resume.isoformat()}"
    return PlannedDelivery(member.member_id, channels, not_before=resume, reasons=[note])


def update_channels(
    alert: AlertRouted, channels: tuple[str, ...], now: datetime, last_sms: datetime | None
) -> tuple[str, ...] | str:
    """An update's channels for a member: theirs without SMS, or SMS alone for a member
    who has nothing else, unless an update SMS went out within ``update_sms_every_s``
    (then the reason it is skipped)."""
    others = tuple(c for c in channels if c != Channel.sms)
    if others or not channels:
        return others or SKIP_UPDATE_NO_CHANNEL
    if last_sms is not None and now - last_sms < timedelta(seconds=alert.update_sms_every_s):
        return SKIP_UPDATE_SMS_RECENT
    return channels


def plan_deliveries(
    alert: AlertRouted,
    team: Team,
    now: datetime,
    *,
    defer_quiet: bool = True,
    last_update_sms: Mapping[str, datetime] | None = None,
) -> list[PlannedDelivery]:
    """One plan per team member, in directory order (``last_update_sms``: per member,
    their last update SMS of this alert)."""
    last = last_update_sms or {}
    on_duty = staffed(team, now, critical=alert.severity is Severity.critical)  # the roster
    return [
        plan_member(alert, m, now, defer_quiet=defer_quiet, last_update_sms=last.get(m.member_id))
        for m in on_duty.members
    ]


def plan_group(alert: AlertRouted, team: Team) -> list[PlannedDelivery]:
    """The team's Telegram group, when it has one: every version once, on Telegram only
    (a group has no duty, quiet hours or fallback: :mod:`notify_service.groups`). Added to
    the members' plans, which stay as they are."""
    group = group_recipient(team)
    return [PlannedDelivery(group.member_id, (Channel.telegram.value,))] if group else []


def audiences(
    alert: AlertRouted, team: Team, earlier: Sequence[Team], received: Set[str]
) -> list[tuple[AlertRouted, Team]]:
    """Who an alert version goes to: its team; and for a cancellation, also everyone of
    the ``earlier`` teams (the teams it reached before an escalation) who ``received`` an
    earlier version, so the kecamatan that was paged first hears it was cancelled."""
    out = [(alert, team)]
    if alert.reason is not AlertReason.cancelled:
        return out
    told = {m.member_id for m in team.members}
    for other in earlier:
        if other.team_id == alert.team_id:
            continue
        members = [m for m in other.members if m.member_id in received - told]
        told |= {m.member_id for m in members}
        if members:
            copy = alert.model_copy(update={"team_id": other.team_id, "team_name": other.name})
            out.append((copy, other.model_copy(update={"members": members})))
    return out


def delivery_key(alert_id: str, version: int, member_id: str, channel: str) -> str:
    """The idempotency key of one delivery: the same alert version reaches a member on a
    channel once, however often the routed alert is redelivered."""
    return f"{alert_id}:{version}:{member_id}:{channel}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt on one channel gave (every failure is an outcome, not an error)."""

    status: DeliveryStatus
    provider_message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    throttled: bool = False  # the provider's rate limit (429), or our own: not an attempt


def next_step(
    outcome: Outcome, attempts: int, max_attempts: int, base_s: float, now: datetime
) -> tuple[str, datetime | None]:
    """Row status and next attempt time after one attempt: exponential backoff with
    25 % jitter (or the provider's ``retry_after``) until ``max_attempts``, then give up
    (the member's next channel takes over). A throttled attempt is retried after the
    provider's (or our limiter's) wait whatever the attempts: it does not count."""
    if outcome.status is DeliveryStatus.sent:
        return "sent", None
    if outcome.throttled:
        delay = max(outcome.retry_after or 0.0, 0.1)
        return "retrying", now + timedelta(seconds=delay * random.uniform(1.0, 1.1))
    if outcome.status is DeliveryStatus.failed and attempts < max_attempts:
        delay = outcome.retry_after or base_s * 2 ** (attempts - 1)
        return "retrying", now + timedelta(seconds=delay * random.uniform(1.0, 1.25))
    return "gave_up", None


REPEAT_SEVERITIES = frozenset({Severity.high, Severity.critical})


def on_stale_sending(severity: Severity | str, repeated: bool) -> str:
    """What to do with a delivery left ``sending`` by a process that stopped mid-send
    (nobody knows whether the provider got it): ``"repeat"`` sends it once more, marked
    as a repeat ("[ULANG]"), for high and critical alerts, where a missed page costs more
    than a second one; ``"uncertain"`` (shown to operators, never re-sent) for lower
    severities and for a repeat that was itself interrupted (a repeat is sent once)."""
    if not repeated and Severity(severity) in REPEAT_SEVERITIES:
        return "repeat"
    return "uncertain"
