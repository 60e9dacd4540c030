"""A delivery left ``sending`` by a stopped process: the decision (``on_stale_sending``),
the "[ULANG]" marker of a repeat on every text channel, and the claim groups (pure)."""

from __future__ import annotations

import pytest

from notify_service.delivery import groups
from notify_service.plan import on_stale_sending
from notify_service.render import AlertMessages
from shared.schemas import Severity
from tests.unit.notify.factories import LINK, alert, member


@pytest.mark.parametrize(
    ("severity", "repeated", "action"),
    [
        (Severity.critical, False, "repeat"),
        (Severity.high, False, "repeat"),
        ("high", False, "repeat"),
        (Severity.medium, False, "uncertain"),
        (Severity.low, False, "uncertain"),
        (Severity.info, False, "uncertain"),
        (Severity.critical, True, "uncertain"),  # a repeat is sent once, not again
        (Severity.high, True, "uncertain"),
    ],
)
def test_what_becomes_of_a_stale_sending_row(
    severity: Severity | str, repeated: bool, action: str
) -> None:
    assert on_stale_sending(severity, repeated) == action


@pytest.mark.parametrize("channel", ["sms", "email", "telegram", "whatsapp"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_a_repeat_starts_with_ulang_and_an_original_does_not(channel: str, language: str) -> None:
    texts = AlertMessages(alert())
    m = member(language=language)
    repeat = texts.render(m, channel, LINK, repeat=True).text
    original = texts.render(m, channel, LINK).text
    assert repeat.startswith("[ULANG]")
    assert "[ULANG]" not in original
    assert repeat.removeprefix("[ULANG]").split()[:1] != []  # the message follows


def _planned(status: str) -> tuple[object, object, dict[str, object], None]:
    return (None, None, {"status": status}, None)


def test_claim_groups_cap_the_sends_not_the_rows_riding_along() -> None:
    rows = [_planned("sending")] * 5 + [_planned("skipped"), _planned("retrying")]
    rows += [_planned("sending")] * 4
    got = groups(rows, size=3)  # type: ignore[arg-type]
    assert [sum(1 for r in g if r[2]["status"] == "sending") for g in got] == [3, 3, 3]
    assert sum(len(g) for g in got) == len(rows)
    assert groups([]) == []
