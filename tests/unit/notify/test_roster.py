"""Who is on duty (piket), pure: weekly slots in the roster's zone, overrides, critical."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from notify_service.plan import plan_deliveries
from shared.roster import on_duty, staffed
from shared.schemas import (
    AlertRouted,
    Member,
    Report,
    Roster,
    RosterOverride,
    RosterSlot,
    Severity,
    Team,
)

# Wednesday 2 December 2026, 10:00 WITA (02:00 UTC)
WED_10 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
DAY = RosterSlot(weekday=2, start=time(8), end=time(16), member_id="budi")
NIGHT = RosterSlot(weekday=2, start=time(22), end=time(6), member_id="sari")  # Wed 22 → Thu 6
ROSTER = Roster(slots=[DAY, NIGHT])


def test_weekly_slots_in_local_time() -> None:
    assert on_duty(ROSTER, "budi", WED_10)
    assert not on_duty(ROSTER, "sari", WED_10)
    assert not on_duty(ROSTER, "budi", WED_10 + timedelta(hours=6))  # 16:00 WITA: over
    assert not on_duty(ROSTER, "budi", WED_10 + timedelta(days=1))  # Thursday
    assert not on_duty(ROSTER, "nobody", WED_10)


def test_a_night_slot_runs_through_midnight_into_the_next_day() -> None:
    assert on_duty(ROSTER, "sari", WED_10 + timedelta(hours=13))  # Wed 23:00
    assert on_duty(ROSTER, "sari", WED_10 + timedelta(hours=19))  # Thu 05:00
    assert not on_duty(ROSTER, "sari", WED_10 + timedelta(hours=20))  # Thu 06:00
    assert not on_duty(ROSTER, "sari", WED_10 - timedelta(hours=5))  # Wed 05:00 (Tue's night)


def test_overrides_win_leave_and_swaps() -> None:
    leave = RosterOverride(
        member_id="budi", starts_at=WED_10 - timedelta(hours=1), ends_at=WED_10 + timedelta(hours=1)
    )
    swap = RosterOverride(
        member_id="sari",
        starts_at=WED_10 - timedelta(hours=1),
        ends_at=WED_10 + timedelta(hours=1),
        on_duty=True,
    )
    roster = Roster(slots=[DAY, NIGHT], overrides=[leave, swap])
    assert not on_duty(roster, "budi", WED_10)
    assert on_duty(roster, "sari", WED_10)
    assert on_duty(roster, "budi", WED_10 + timedelta(hours=2))  # the leave is over


def members() -> list[Member]:
    return [
        Member(member_id=m, name=m.title(), phone=f"+62812000000{i}", channels=["sms"])
        for i, m in enumerate(("budi", "sari", "ani"))
    ]


def alert(severity: Severity) -> AlertRouted:
    report = Report(source="s", severity=severity)
    return AlertRouted(
        alert_id="A1", report_id=report.report_id, team_id="t", level="kecamatan",
        jurisdiction_code="63.10.06", matched_rules=["r"], reason="new", category="overstay",
        severity=severity, ack_code="K7Q2M", report=report,
    )  # fmt: skip


def test_notify_pages_whoever_the_roster_has_on_duty_and_everyone_when_critical() -> None:
    team = Team(team_id="t", name="T", level="kecamatan", jurisdiction_code="63.10.06",
                members=members(), roster=ROSTER)  # fmt: skip
    paged = {
        p.member_id for p in plan_deliveries(alert(Severity.medium), team, WED_10) if p.channels
    }
    assert paged == {"budi"}
    everyone = plan_deliveries(alert(Severity.critical), team, WED_10)
    assert {p.member_id for p in everyone if p.channels} == {"budi", "sari", "ani"}
    # no roster: the members' own on_duty flags, as before
    plain = team.model_copy(update={"roster": None})
    assert staffed(plain, WED_10) is plain
    assert {p.member_id for p in plan_deliveries(alert(Severity.medium), plain, WED_10)
            if p.channels} == {"budi", "sari", "ani"}  # fmt: skip
