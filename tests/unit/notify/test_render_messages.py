"""The messages of an alert: ``render`` per member and channel, ``AlertMessages``
sharing what members have in common, the ack code and link on every channel (pure)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notify_service.render import render
from tests.unit.notify import render_cases as cases
from tests.unit.notify.factories import LINK, SHORT_LINK, alert, member, report
from tests.unit.notify.render_cases import CHANNELS, GSM_TEXT


def test_explicit_language_overrides_and_unknown_falls_back() -> None:
    assert (
        "Reply OK"
        in render(cases.alert(), cases.MEMBER, "sms", link=cases.LINK, language="en").text
    )
    assert (
        "Balas OK"
        in render(cases.alert(), cases.MEMBER_EN, "sms", link=cases.LINK, language="id").text
    )
    assert (
        "Reply OK"
        in render(cases.alert(), cases.MEMBER_EN, "sms", link=cases.LINK, language="fr").text
    )
    assert (
        "Balas OK"
        in render(cases.alert(), cases.MEMBER, "sms", link=cases.LINK, language=None).text
    )


def test_every_channel_carries_code_and_link() -> None:
    a = alert()
    for channel in ("sms", "email", "telegram", "whatsapp", "webhook"):
        for language in ("id", "en"):
            text = render(a, member(), channel, link=LINK, language=language).text
            assert re.search(rf"OK {a.ack_code}\b", text), (channel, language)
            assert LINK in text, (channel, language)


def test_bad_segment_limit() -> None:
    with pytest.raises(ValueError, match="max_sms_segments"):
        render(alert(), member(), "sms", link=LINK, max_sms_segments=0)


def test_alert_messages_share_the_context_and_give_each_member_their_link() -> None:
    from notify_service.render import AlertMessages

    a = alert(report=report(text="Pekerja asing terlihat di lokasi tambang. " * 20))
    messages = AlertMessages(a)
    links = [LINK[:-3] + suffix for suffix in ("AAA", "BBB", "CCC")] + [SHORT_LINK]
    people = [member(member_id=f"m{i}", language=("en" if i == 2 else "id")) for i in range(4)]
    for channel in CHANNELS:
        for person, link in zip(people, links, strict=True):
            shared = messages.render(person, channel, link)
            assert shared == render(a, person, channel, link=link)
            assert link in shared.text
    assert sorted(messages._contexts) == ["en", "id"]  # one context per language


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(GSM_TEXT, st.text(max_size=400)),
    lengths=st.lists(st.integers(min_value=10, max_value=220), min_size=1, max_size=5),
    segments=st.integers(min_value=1, max_value=3),
)
def test_shared_texts_equal_rendering_for_each_member_whatever_the_link_lengths(
    text: str, lengths: list[int], segments: int
) -> None:
    from notify_service.render import AlertMessages

    a = alert(report=report(text=text))
    messages = AlertMessages(a, segments)
    for i, length in enumerate(lengths):
        link = (LINK * 3)[:length]
        person = member(member_id=f"m{i}")
        for channel in CHANNELS:
            expected = render(a, person, channel, link=link, max_sms_segments=segments)
            assert messages.render(person, channel, link) == expected


def test_a_link_outside_the_safe_alphabet_is_rendered_directly() -> None:
    from notify_service.render import AlertMessages

    odd = "https://tímpora.example/a/x~y"
    msg = AlertMessages(alert()).render(member(), "sms", odd)
    assert msg == render(alert(), member(), "sms", link=odd)
