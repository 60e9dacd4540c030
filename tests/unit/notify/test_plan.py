"""Delivery planning and retry scheduling (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_service.plan import (
    SKIP_UPDATE_NO_CHANNEL,
    SKIP_UPDATE_SMS_RECENT,
    Outcome,
    PlannedDelivery,
    delivery_key,
    has_address,
    next_step,
    plan_deliveries,
    plan_member,
    quiet_until,
)
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Channel,
    DeliveryStatus,
    Level,
    Location,
    Member,
    QuietHours,
    Report,
    Severity,
    Team,
    ack_code_for,
)

WITA = ZoneInfo("Asia/Makassar")
WIB = ZoneInfo("Asia/Jakarta")
NOON = datetime(2026, 1, 10, 12, 0, tzinfo=WITA)
NIGHT = QuietHours(start=time(22, 0), end=time(6, 0), tz="Asia/Makassar")
ALERT_ID = "01JHK3Z8Q4W5E6R7T8Y9U0I1OP"


def alert(**overrides: object) -> AlertRouted:
    report = Report(
        source="polres-tanbu",
        category=Category.illegal_work,
        severity=Severity.high,
        location=Location(kecamatan_code="63.10.04", kecamatan_name="Satui"),
    )
    fields: dict[str, object] = {
        "alert_id": ALERT_ID,
        "report_id": report.report_id,
        "team_id": "timpora-63.10.04",
        "level": Level.kecamatan,
        "jurisdiction_code": "63.10.04",
        "matched_rules": ["illegal-work"],
        "reason": AlertReason.new,
        "category": Category.illegal_work,
        "severity": Severity.high,
        "ack_code": ack_code_for(ALERT_ID),
        "report": report,
    }
    return AlertRouted(**(fields | overrides))


def member(**overrides: object) -> Member:
    fields: dict[str, object] = {
        "member_id": "m1",
        "name": "Siti Contoh",
        "phone": "+6281200000101",
        "email": "siti@example.org",
        "telegram_chat_id": "700000101",
        "whatsapp": "+6281200000101",
        "webhook_url": "https://hook.example.org/timpora",
    }
    return Member(**(fields | overrides))


# ------------------------------------------------------------------------- channels


def test_has_address_per_channel() -> None:
    full = member()
    assert all(has_address(full, c) for c in Channel)
    bare = Member(member_id="m0", name="Tanpa Kontak")
    assert not any(has_address(bare, c) for c in Channel)
    assert has_address(Member(member_id="m2", name="X", telegram_chat_id="7"), Channel.telegram)
    assert not has_address(Member(member_id="m3", name="X", phone=""), Channel.sms)


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        ([Channel.sms, Channel.email], ("sms", "email")),
        ([Channel.email, Channel.sms], ("email", "sms")),
        (
            [Channel.telegram, Channel.whatsapp, Channel.email, Channel.sms, Channel.webhook],
            ("telegram", "whatsapp", "email", "sms", "webhook"),
        ),
        ([Channel.whatsapp, Channel.sms, Channel.whatsapp], ("whatsapp", "sms")),  # deduped
    ],
)
def test_member_channel_order_is_kept(channels: list[Channel], expected: tuple[str, ...]) -> None:
    planned = plan_member(alert(), member(channels=channels), NOON)
    assert planned == PlannedDelivery("m1", expected)
    assert planned.skip_reason is None
    assert planned.not_before is None


def test_channels_without_an_address_are_left_out() -> None:
    m = member(
        telegram_chat_id=None,
        email=None,
        channels=[Channel.telegram, Channel.email, Channel.whatsapp, Channel.sms],
    )
    assert plan_member(alert(), m, NOON).channels == ("whatsapp", "sms")


def test_default_channels_are_sms_then_email() -> None:
    m = Member(member_id="m1", name="Siti", phone="+6281200000101", email="s@example.org")
    assert plan_member(alert(), m, NOON).channels == ("sms", "email")


def test_off_duty_is_skipped() -> None:
    planned = plan_member(alert(severity=Severity.critical), member(on_duty=False), NOON)
    assert planned.channels == ()
    assert planned.skip_reason == "off duty"


def test_no_usable_channel_is_skipped() -> None:
    m = member(phone=None, email=None, channels=[Channel.sms, Channel.email])
    planned = plan_member(alert(), m, NOON)
    assert planned.channels == ()
    assert planned.skip_reason == "no usable channel"
    assert planned.not_before is None


def test_an_update_goes_by_sms_only_to_a_member_who_has_nothing_else() -> None:
    m = member(channels=[Channel.sms, Channel.telegram, Channel.email])
    assert plan_member(alert(reason=AlertReason.update), m, NOON).channels == (
        "telegram",
        "email",
    )
    sms_only = member(channels=[Channel.sms])
    assert plan_member(alert(reason=AlertReason.update), sms_only, NOON).channels == ("sms",)
    # an escalation is a new page: SMS is fine
    assert plan_member(alert(reason=AlertReason.escalation), sms_only, NOON).channels == ("sms",)


def test_an_sms_only_member_gets_one_update_sms_per_alert_per_interval() -> None:
    sms_only = member(channels=[Channel.sms])
    update = alert(reason=AlertReason.update, update_sms_every_s=1800)
    recent = plan_member(update, sms_only, NOON, last_update_sms=NOON - timedelta(minutes=29))
    assert recent.channels == ()
    assert recent.skip_reason == SKIP_UPDATE_SMS_RECENT
    later = plan_member(update, sms_only, NOON, last_update_sms=NOON - timedelta(minutes=30))
    assert later.channels == ("sms",)
    # the limit is for updates only, and for SMS only
    assert plan_member(alert(), sms_only, NOON, last_update_sms=NOON).channels == ("sms",)
    both = member(channels=[Channel.sms, Channel.telegram])
    assert plan_member(update, both, NOON, last_update_sms=NOON).channels == ("telegram",)
    # a member with no address at all is told apart
    nothing = member(channels=[Channel.telegram], telegram_chat_id=None)
    assert plan_member(update, nothing, NOON).skip_reason == SKIP_UPDATE_NO_CHANNEL
    # per member, through the team plan
    two = Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=[member(member_id=i, channels=[Channel.sms]) for i in ("a", "b")],
    )
    plans = plan_deliveries(update, two, NOON, last_update_sms={"a": NOON})
    assert [p.channels for p in plans] == [(), ("sms",)]


def test_plan_deliveries_covers_every_member_in_order() -> None:
    team = Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=[
            member(member_id="a", channels=[Channel.email]),
            member(member_id="b", on_duty=False),
            member(member_id="c", phone=None, channels=[Channel.sms]),
            member(member_id="d", channels=[Channel.telegram, Channel.sms]),
        ],
    )
    plans = plan_deliveries(alert(), team, NOON)
    assert [p.member_id for p in plans] == ["a", "b", "c", "d"]
    assert [p.channels for p in plans] == [("email",), (), (), ("telegram", "sms")]
    assert [p.skip_reason for p in plans] == [None, "off duty", "no usable channel", None]
    assert plan_deliveries(alert(), team.model_copy(update={"members": []}), NOON) == []


# ------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 1, 10, 23, 30), datetime(2026, 1, 11, 6, 0)),  # before midnight
        (datetime(2026, 1, 10, 22, 0), datetime(2026, 1, 11, 6, 0)),  # start is inside
        (datetime(2026, 1, 10, 0, 0), datetime(2026, 1, 10, 6, 0)),
        (datetime(2026, 1, 10, 5, 0), datetime(2026, 1, 10, 6, 0)),  # after midnight
        (datetime(2026, 1, 10, 5, 59), datetime(2026, 1, 10, 6, 0)),
        (datetime(2026, 12, 31, 23, 59), datetime(2027, 1, 1, 6, 0)),  # across the year
        (datetime(2026, 1, 10, 6, 0), None),  # end is outside
        (datetime(2026, 1, 10, 12, 0), None),
        (datetime(2026, 1, 10, 21, 59), None),
    ],
)
def test_quiet_hours_wrapping_midnight(local: datetime, expected: datetime | None) -> None:
    now = local.replace(tzinfo=WITA)
    until = quiet_until(NIGHT, now)
    assert until == (expected.replace(tzinfo=WITA) if expected else None)
    planned = plan_member(alert(), member(quiet_hours=NIGHT), now)
    assert planned.not_before == until
    assert planned.channels  # deferred, not skipped


def test_quiet_hours_are_in_the_members_zone() -> None:
    now_utc = datetime(2026, 1, 10, 15, 30, tzinfo=UTC)  # 23:30 WITA, 22:30 WIB, 00:30 WIT
    until = quiet_until(NIGHT, now_utc)
    assert until == datetime(2026, 1, 11, 6, 0, tzinfo=WITA)
    assert until is not None
    assert until.tzinfo == UTC  # given back in the caller's zone
    assert until == datetime(2026, 1, 10, 22, 0, tzinfo=UTC)

    jakarta = QuietHours(start=time(23, 0), end=time(5, 0), tz="Asia/Jakarta")
    assert quiet_until(jakarta, now_utc) is None  # 22:30 WIB: not yet quiet
    later = now_utc + timedelta(hours=1)  # 23:30 WIB
    assert quiet_until(jakarta, later) == datetime(2026, 1, 11, 5, 0, tzinfo=WIB)

    papua = QuietHours(start=time(0, 0), end=time(6, 0), tz="Asia/Jayapura")
    assert quiet_until(papua, now_utc) == datetime(
        2026, 1, 11, 6, 0, tzinfo=ZoneInfo("Asia/Jayapura")
    )


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(12, 0, (14, 0)), (13, 59, (14, 0)), (11, 59, None), (14, 0, None), (3, 0, None)],
)
def test_quiet_hours_within_one_day(hour: int, minute: int, expected: tuple | None) -> None:
    siesta = QuietHours(start=time(12, 0), end=time(14, 0))
    now = datetime(2026, 1, 10, hour, minute, tzinfo=WITA)
    want = datetime(2026, 1, 10, *expected, tzinfo=WITA) if expected else None
    assert quiet_until(siesta, now) == want


def test_no_quiet_hours_never_defers() -> None:
    assert quiet_until(None, datetime(2026, 1, 10, 3, 0, tzinfo=WITA)) is None
    night = datetime(2026, 1, 10, 23, 30, tzinfo=WITA)
    assert plan_member(alert(), member(quiet_hours=None), night).not_before is None


@pytest.mark.parametrize("severity", list(Severity))
def test_only_critical_alerts_bypass_quiet_hours(severity: Severity) -> None:
    night = datetime(2026, 1, 10, 23, 30, tzinfo=WITA)
    planned = plan_member(alert(severity=severity), member(quiet_hours=NIGHT), night)
    if severity is Severity.critical:
        assert planned.not_before is None
    else:
        assert planned.not_before == datetime(2026, 1, 11, 6, 0, tzinfo=WITA)
    assert planned.channels == ("sms", "email")


def test_quiet_hours_can_skip_instead_of_deferring() -> None:
    night = datetime(2026, 1, 10, 23, 30, tzinfo=WITA)
    m = member(quiet_hours=NIGHT)
    planned = plan_member(alert(), m, night, defer_quiet=False)
    assert planned.channels == ()
    assert planned.skip_reason == "quiet hours"
    assert plan_member(alert(), m, NOON, defer_quiet=False).channels == ("sms", "email")
    critical = plan_member(alert(severity=Severity.critical), m, night, defer_quiet=False)
    assert critical.channels == ("sms", "email")


def test_an_empty_window_is_never_quiet() -> None:
    empty = QuietHours(start=time(22, 0), end=time(22, 0))
    for hour in (0, 6, 12, 21, 22, 23):
        assert quiet_until(empty, datetime(2026, 1, 10, hour, 0, tzinfo=WITA)) is None


def test_an_unknown_zone_falls_back_to_wita() -> None:
    typo = QuietHours(start=time(22, 0), end=time(6, 0), tz="Asia/Makasar")
    now = datetime(2026, 1, 10, 15, 30, tzinfo=UTC)  # 23:30 WITA
    assert quiet_until(typo, now) == datetime(2026, 1, 11, 6, 0, tzinfo=WITA)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        quiet_until(NIGHT, datetime(2026, 1, 10, 23, 30))


@settings(max_examples=300)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_quiet_until_is_the_next_end_of_the_window(local: datetime) -> None:
    now = local.replace(tzinfo=WITA)
    until = quiet_until(NIGHT, now)
    t = now.timetz().replace(tzinfo=None)
    if time(6, 0) <= t < time(22, 0):
        assert until is None
    else:
        assert until is not None
        assert now < until <= now + timedelta(hours=8)
        assert until.astimezone(WITA).time() == time(6, 0)


# ------------------------------------------------------------------------- keys


def test_delivery_key_format() -> None:
    assert delivery_key(ALERT_ID, 3, "m0001", "sms") == f"{ALERT_ID}:3:m0001:sms"
    assert delivery_key("a", 1, "m", "email") != delivery_key("a", 2, "m", "email")


# ------------------------------------------------------------------------- retries

T0 = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)


def test_sent_is_final() -> None:
    assert next_step(Outcome(DeliveryStatus.sent, "prov-1"), 1, 4, 2.0, T0) == ("sent", None)
    assert next_step(Outcome(DeliveryStatus.sent), 4, 4, 2.0, T0) == ("sent", None)


@pytest.mark.parametrize("attempts", [1, 2, 3, 4, 5])
def test_failed_retries_with_exponential_backoff(attempts: int) -> None:
    base = 2.0
    delay = base * 2 ** (attempts - 1)
    for _ in range(50):
        status, at = next_step(Outcome(DeliveryStatus.failed, error="503"), attempts, 6, base, T0)
        assert status == "retrying"
        assert at is not None
        assert T0 + timedelta(seconds=delay) <= at <= T0 + timedelta(seconds=delay * 1.25)


def test_backoff_grows_and_jitter_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "uniform", lambda a, b: b)  # the largest jitter
    high = [next_step(Outcome(DeliveryStatus.failed), n, 10, 1.5, T0)[1] for n in range(1, 6)]
    monkeypatch.setattr(random, "uniform", lambda a, b: a)  # none
    low = [next_step(Outcome(DeliveryStatus.failed), n, 10, 1.5, T0)[1] for n in range(1, 6)]
    assert [(t - T0).total_seconds() for t in low] == [1.5, 3.0, 6.0, 12.0, 24.0]
    assert [(t - T0).total_seconds() for t in high] == pytest.approx([1.875, 3.75, 7.5, 15.0, 30.0])


def test_retry_after_is_honoured() -> None:
    outcome = Outcome(DeliveryStatus.failed, error="429", retry_after=30.0)
    for attempts in (1, 3):
        status, at = next_step(outcome, attempts, 4, 2.0, T0)
        assert status == "retrying"
        assert at is not None
        assert T0 + timedelta(seconds=30) <= at <= T0 + timedelta(seconds=37.5)


@pytest.mark.parametrize(("attempts", "max_attempts"), [(4, 4), (5, 4), (1, 1)])
def test_failed_at_max_attempts_gives_up(attempts: int, max_attempts: int) -> None:
    outcome = Outcome(DeliveryStatus.failed, error="timeout", retry_after=1.0)
    assert next_step(outcome, attempts, max_attempts, 2.0, T0) == ("gave_up", None)


@pytest.mark.parametrize("attempts", [1, 2, 4])
def test_gave_up_stays_gave_up(attempts: int) -> None:
    outcome = Outcome(DeliveryStatus.gave_up, error="invalid number")
    assert next_step(outcome, attempts, 4, 2.0, T0) == ("gave_up", None)


@settings(max_examples=300)
@given(
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=1, max_value=20),
    st.floats(min_value=0.01, max_value=60),
    st.one_of(st.none(), st.floats(min_value=0.1, max_value=3600)),
)
def test_next_step_property(
    attempts: int, max_attempts: int, base: float, retry_after: float | None
) -> None:
    status, at = next_step(
        Outcome(DeliveryStatus.failed, retry_after=retry_after), attempts, max_attempts, base, T0
    )
    if attempts >= max_attempts:
        assert (status, at) == ("gave_up", None)
        return
    assert status == "retrying"
    assert at is not None
    delay = retry_after if retry_after else base * 2 ** (attempts - 1)
    seconds = (at - T0).total_seconds()
    assert delay - 1e-6 <= seconds <= delay * 1.25 + 1e-6
