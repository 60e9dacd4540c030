"""The attack (#17 item 11): the ack-reply grammar let a run of spaces be split between two
overlapping patterns, so one SMS or chat message of 50,000 spaces held notify's event loop
for ~19 s (every member's deliveries wait behind it). The text is stripped and bounded
first; the timeout fails the test on the old grammar."""

from __future__ import annotations

import pytest

from notify_service.replies import parse_reply


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    "text",
    [" " * 50_000 + "x", "ok" + " " * 50_000 + "x", "\t\n " * 20_000, "SELESAI " + ":" * 50_000],
)
def test_a_hostile_reply_is_refused_at_once(text: str) -> None:
    assert parse_reply(text) is None


def test_a_real_reply_after_spaces_still_counts() -> None:
    reply = parse_reply(" " * 300 + "OK 7KQ2M")
    assert reply is not None
    assert reply.code == "7KQ2M"
