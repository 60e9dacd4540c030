"""Delivery planning (pure): channel order, skips, quiet hours, critical bypass."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify_service.plan import (
    SKIP_NO_CHANNEL,
    SKIP_OFF_DUTY,
    SKIP_QUIET_HOURS,
    delivery_key,
    in_window,
    plan_deliveries,
    plan_member,
    quiet_until,
)
from shared.schemas import AlertReason, Channel, QuietHours, Severity
from tests.unit.notify.factories import alert, member, team

WITA_OFFSET = timedelta(hours=8)


def at_wita(hour: int, minute: int = 0, day: int = 12) -> datetime:
    """A UTC instant given as WITA wall-clock time (Asia/Makassar, UTC+8)."""
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC) - WITA_OFFSET


NIGHT = QuietHours(start=time(22, 0), end=time(6, 0))  # wraps midnight, WITA
NOON = QuietHours(start=time(12, 0), end=time(13, 0))


# --------------------------------------------------------------------------- channels


def test_member_channel_order_is_kept_and_filtered_to_known_addresses() -> None:
    m = member(
        channels=[Channel.telegram, Channel.whatsapp, Channel.sms, Channel.email],
        whatsapp=None,
    )
    planned = plan_member(alert(), m, at_wita(10))
    assert planned.channels == ("telegram", "sms", "email")
    assert planned.skip_reason is None
    assert not planned.skipped
    assert not planned.deferred


def test_repeated_channels_are_tried_once() -> None:
    m = member(channels=[Channel.sms, Channel.email, Channel.sms])
    assert plan_member(alert(), m, at_wita(10)).channels == ("sms", "email")


def test_webhook_needs_a_url() -> None:
    m = member(channels=[Channel.webhook, Channel.email])
    assert plan_member(alert(), m, at_wita(10)).channels == ("email",)
    hooked = member(channels=[Channel.webhook], webhook_url="https://ops.example.org/hook")
    assert plan_member(alert(), hooked, at_wita(10)).channels == ("webhook",)


def test_no_usable_channel_is_a_skip() -> None:
    m = member(channels=[Channel.sms, Channel.telegram], phone=None, telegram_chat_id=None)
    planned = plan_member(alert(), m, at_wita(10))
    assert planned.skipped
    assert planned.channels == ()
    assert planned.skip_reason == SKIP_NO_CHANNEL


def test_off_duty_is_a_skip_even_for_critical() -> None:
    m = member(on_duty=False)
    for severity in (Severity.info, Severity.critical):
        planned = plan_member(alert(severity=severity), m, at_wita(10))
        assert planned.skip_reason == SKIP_OFF_DUTY
        assert planned.skipped


def test_grouped_update_goes_by_sms_only_to_sms_only_members() -> None:
    update = alert(reason=AlertReason.update, version=2)
    both = member(channels=[Channel.sms, Channel.telegram])
    assert plan_member(update, both, at_wita(10)).channels == ("telegram",)
    sms_only = member(channels=[Channel.sms])
    assert plan_member(update, sms_only, at_wita(10)).channels == ("sms",)
    # escalations and new alerts do page by SMS
    assert plan_member(alert(reason=AlertReason.escalation), sms_only, at_wita(10)).channels == (
        "sms",
    )


def test_plan_deliveries_covers_every_member_in_order() -> None:
    t = team(
        member(member_id="a"),
        member(member_id="b", on_duty=False),
        member(member_id="c", channels=[Channel.email]),
    )
    plans = plan_deliveries(alert(), t, at_wita(10))
    assert [p.member_id for p in plans] == ["a", "b", "c"]
    assert [p.channels for p in plans] == [("sms", "email"), (), ("email",)]


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("hour", "minute", "resume_wita"),
    [
        (22, 0, (6, 13)),  # the start is inside
        (23, 30, (6, 13)),  # before midnight: ends tomorrow morning
        (0, 0, (6, 12)),  # after midnight: ends this morning
        (5, 59, (6, 12)),
    ],
)
def test_quiet_hours_wrapping_midnight_defer_to_their_end(
    hour: int, minute: int, resume_wita: tuple[int, int]
) -> None:
    now = at_wita(hour, minute)
    planned = plan_member(alert(), member(quiet_hours=NIGHT), now)
    resume_hour, resume_day = resume_wita
    assert planned.channels == ("sms", "email")
    assert planned.deferred
    assert planned.skip_reason is None
    assert planned.not_before == at_wita(resume_hour, day=resume_day)
    assert planned.not_before is not None
    assert planned.not_before.tzinfo is not None
    assert planned.reasons
    assert "quiet hours" in planned.reasons[0]


@pytest.mark.parametrize(("hour", "minute"), [(6, 0), (12, 0), (21, 59)])
def test_outside_quiet_hours_nothing_is_deferred(hour: int, minute: int) -> None:
    planned = plan_member(alert(), member(quiet_hours=NIGHT), at_wita(hour, minute))
    assert planned.not_before is None
    assert planned.channels == ("sms", "email")


def test_quiet_hours_not_wrapping() -> None:
    inside = plan_member(alert(), member(quiet_hours=NOON), at_wita(12, 30))
    assert inside.not_before == at_wita(13)
    assert plan_member(alert(), member(quiet_hours=NOON), at_wita(13)).not_before is None


def test_quiet_hours_are_read_in_the_members_zone() -> None:
    jakarta = QuietHours(start=time(22, 0), end=time(6, 0), tz="Asia/Jakarta")  # WIB, UTC+7
    # 22:30 WITA is 21:30 WIB: not quiet yet in Jakarta
    assert plan_member(alert(), member(quiet_hours=jakarta), at_wita(22, 30)).not_before is None
    # 23:30 WITA is 22:30 WIB: quiet until 06:00 WIB = 07:00 WITA
    planned = plan_member(alert(), member(quiet_hours=jakarta), at_wita(23, 30))
    assert planned.not_before == at_wita(7, day=13)


def test_an_unknown_zone_falls_back_to_wita() -> None:
    bad = QuietHours(start=time(22, 0), end=time(6, 0), tz="Asia/Atlantis")
    assert plan_member(alert(), member(quiet_hours=bad), at_wita(23)).not_before == at_wita(
        6, day=13
    )


def test_equal_start_and_end_mean_no_quiet_hours() -> None:
    never = QuietHours(start=time(8, 0), end=time(8, 0))
    assert plan_member(alert(), member(quiet_hours=never), at_wita(8)).not_before is None


@pytest.mark.parametrize("hour", [22, 23, 0, 3])
def test_critical_alerts_bypass_quiet_hours(hour: int) -> None:
    planned = plan_member(
        alert(severity=Severity.critical), member(quiet_hours=NIGHT), at_wita(hour)
    )
    assert planned.channels == ("sms", "email")
    assert planned.not_before is None
    assert planned.skip_reason is None
    assert planned.reasons == ["critical: quiet hours bypassed"]


def test_quiet_hours_may_skip_instead_of_defer() -> None:
    planned = plan_member(alert(), member(quiet_hours=NIGHT), at_wita(23), defer_quiet=False)
    assert planned.skipped
    assert planned.skip_reason == SKIP_QUIET_HOURS
    critical = plan_member(
        alert(severity=Severity.critical), member(quiet_hours=NIGHT), at_wita(23), defer_quiet=False
    )
    assert critical.channels == ("sms", "email")


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        quiet_until(NIGHT, datetime(2026, 1, 12, 23, 0))


minutes = st.integers(min_value=0, max_value=24 * 60 - 1).map(lambda m: time(m // 60, m % 60))


@given(minutes, minutes, minutes)
def test_in_window_matches_a_minute_by_minute_reference(t: time, start: time, end: time) -> None:
    def minute(x: time) -> int:
        return x.hour * 60 + x.minute

    covered = set()
    if start != end:
        m = minute(start)
        while m != minute(end):
            covered.add(m)
            m = (m + 1) % (24 * 60)
    assert in_window(t, start, end) == (minute(t) in covered)


@given(minutes, minutes, st.integers(min_value=0, max_value=24 * 60 - 1))
def test_quiet_until_is_the_next_end_and_after_now(start: time, end: time, offset: int) -> None:
    now = at_wita(0) + timedelta(minutes=offset)
    resume = quiet_until(QuietHours(start=start, end=end), now)
    local = (now + WITA_OFFSET).time()
    if not in_window(local, start, end):
        assert resume is None
        return
    assert resume is not None
    assert now < resume <= now + timedelta(days=1)
    assert (resume + WITA_OFFSET).time() == end


# --------------------------------------------------------------------------- keys


def test_delivery_key_names_alert_version_member_and_channel() -> None:
    key = delivery_key("01JH8Z3K6Y2QW4E5R6T7Y8U9HA", 2, "camat", "sms")
    assert key == "01JH8Z3K6Y2QW4E5R6T7Y8U9HA:2:camat:sms"
    assert key == delivery_key("01JH8Z3K6Y2QW4E5R6T7Y8U9HA", 2, "camat", "sms")
    others = {
        delivery_key("01JH8Z3K6Y2QW4E5R6T7Y8U9HA", 3, "camat", "sms"),
        delivery_key("01JH8Z3K6Y2QW4E5R6T7Y8U9HA", 2, "kapolsek", "sms"),
        delivery_key("01JH8Z3K6Y2QW4E5R6T7Y8U9HA", 2, "camat", "email"),
    }
    assert key not in others
    assert len(others) == 3
