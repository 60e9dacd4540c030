"""The member page's decisions: when a link still opens, what a typed code is worth,
how many codes a member may ask for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console_service.web.member_rules import code_verdict, link_verdict, may_request_code

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "delivered", "listing", "verdict"),
    [
        ("open", ["kec"], ["kec"], "ok"),
        ("acked", ["kec", "kab"], ["kab"], "ok"),  # still in one team it went through
        ("muted", ["kec"], ["kec"], "ok"),
        ("closed", ["kec"], ["kec"], "closed"),  # closing revokes every link
        ("open", ["kec"], [], "left"),  # the member left the team
        ("open", [], [], "left"),  # never delivered to this member
        (None, ["kec"], ["kec"], "unknown"),
    ],
)
def test_a_link_opens_while_the_alert_is_not_closed_and_the_member_is_in_its_team(
    status: str | None, delivered: list[str], listing: list[str], verdict: str
) -> None:
    got = link_verdict(alert_status=status, delivered_teams=delivered, teams_listing_member=listing)
    assert got == verdict


def verdict(**overrides: object) -> str:
    values: dict[str, object] = {
        "stored_digest": "a" * 64,
        "presented_digest": "a" * 64,
        "expires_at": NOW + timedelta(minutes=5),
        "attempts": 0,
        "used_at": None,
        "now": NOW,
        "max_attempts": 5,
    } | overrides
    return code_verdict(**values)  # type: ignore[arg-type]


def test_a_right_code_in_time_opens_once() -> None:
    assert verdict() == "ok"
    assert verdict(used_at=NOW - timedelta(seconds=3)) == "used"


def test_a_wrong_expired_exhausted_or_unknown_code_opens_nothing() -> None:
    assert verdict(presented_digest="b" * 64) == "wrong"
    assert verdict(expires_at=NOW) == "expired"
    assert verdict(attempts=5) == "exhausted"
    assert verdict(attempts=4) == "ok"
    assert verdict(stored_digest=None, expires_at=None) == "unknown"
    # used and exhausted win over a right digest: a code is one-time, tries are bounded
    assert verdict(attempts=9, used_at=NOW) == "used"


def test_codes_per_hour_are_bounded() -> None:
    assert may_request_code(requested_last_hour=4, per_hour=5)
    assert not may_request_code(requested_last_hour=5, per_hour=5)
