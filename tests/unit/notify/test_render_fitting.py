"""Fitting: SMS shortened to N segments and chat to 4096 characters, the ack code and
link always kept, and the fast searches equal to the plain ones (pure)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notify_service.render import CHAT_LIMIT, render, sms_segments
from shared.schemas import Location, Member
from tests.unit.notify import render_cases as cases
from tests.unit.notify.factories import LINK, PASSPORT, SHORT_LINK, alert, member, report, subject
from tests.unit.notify.render_cases import CHANNELS, GSM_TEXT


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- SMS

LONG_TEXTS = {
    "ascii": "Lima WNA bekerja di area tambang tanpa izin kerja. " * 100,
    "gsm-extended": "{Laporan} [lokasi] ~ €100 per hari | " * 140,
    "typographic": "Warga melapor “lima WNA” – tanpa izin… " * 130,
    "chinese": "五名外国人在矿区无证工作" * 420,
    "emoji": "🛂🚨 WNA " * 800,
}


@pytest.mark.parametrize("kind", sorted(LONG_TEXTS))
@pytest.mark.parametrize(
    ("max_segments", "link"), [(1, cases.SHORT_LINK), (2, cases.LINK), (3, cases.LINK)]
)
@pytest.mark.parametrize("member", [cases.MEMBER, cases.MEMBER_EN], ids=["id", "en"])
def test_sms_never_exceeds_the_segment_limit(
    kind: str, max_segments: int, link: str, member: Member
) -> None:
    text = LONG_TEXTS[kind][:5000]
    a = cases.alert(text=text, subjects=50)
    message = render(a, member, "sms", link=link, max_sms_segments=max_segments)
    assert message.segments <= max_segments
    assert (message.segments, message.encoding) == sms_segments(message.text)
    assert f"OK {cases.CODE}" in message.text
    assert link in message.text
    assert cases.PASSPORT not in message.text
    assert "Zhang" not in message.text


def test_sms_keeps_a_short_text_and_the_subjects() -> None:
    message = render(
        cases.alert(subjects=2), cases.MEMBER, "sms", link=cases.LINK, max_sms_segments=3
    )
    assert message.segments <= 3
    assert message.encoding == "GSM-7"
    assert "Lima WNA bekerja di area tambang" in message.text
    assert cases.MASKED in message.text
    assert "Z. W. M." in message.text
    assert "X00****01" in message.text
    assert "(2 org)" in message.text  # head count from the subject list
    assert f"OK {cases.CODE}" in message.text
    assert cases.LINK in message.text


def test_sms_shortens_the_text_before_dropping_subjects() -> None:
    text = "Lima WNA bekerja di area tambang batubara tanpa izin kerja sejak minggu lalu. " * 20
    message = render(
        cases.alert(text=text), cases.MEMBER, "sms", link=cases.LINK, max_sms_segments=2
    )
    assert message.segments == 2
    assert message.encoding == "GSM-7"  # the ellipsis must not force UCS-2
    assert "Lima WNA bekerja" in message.text  # shortened, not dropped
    assert cases.MASKED in message.text
    assert text.strip() not in message.text


def test_sms_with_typographic_punctuation_stays_gsm7() -> None:
    message = render(
        cases.alert(text="Tamu “asing” – sudah pergi…"), cases.MEMBER, "sms", link=cases.LINK
    )
    assert message.encoding == "GSM-7"
    assert "asing" in message.text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=5000),
    subjects=st.integers(min_value=0, max_value=50),
    max_segments=st.sampled_from([2, 3]),
    language=st.sampled_from(["id", "en"]),
)
def test_sms_bound_and_ack_code_for_any_text(
    text: str, subjects: int, max_segments: int, language: str
) -> None:
    a = cases.alert(text=text or None, subjects=subjects)
    member = cases.MEMBER_EN if language == "en" else cases.MEMBER
    message = render(a, member, "sms", link=cases.LINK, max_sms_segments=max_segments)
    assert message.segments <= max_segments
    assert (message.segments, message.encoding) == sms_segments(message.text)
    assert f"OK {cases.CODE}" in message.text
    assert cases.LINK in message.text
    assert cases.PASSPORT not in message.text


def test_sms_shortens_the_free_text_with_an_ellipsis() -> None:
    text = "Laporan warga: " + "kegiatan penambangan malam hari oleh pekerja asing " * 8
    a = alert(report=report(text=text.strip()))
    msg = render(a, member(), "sms", link=LINK, max_sms_segments=3)
    assert msg.segments == 3
    assert "Laporan warga: kegiatan" in msg.text
    assert "... Balas OK" in msg.text  # a GSM-7 ellipsis, the message stays GSM-7
    assert msg.encoding == "GSM-7"
    longer = render(a, member(), "sms", link=LINK, max_sms_segments=4)
    assert longer.segments <= 4
    assert len(longer.text) > len(msg.text)
    shorter = render(a, member(), "sms", link=LINK, max_sms_segments=2)
    assert shorter.segments == 2
    assert "Laporan warga: kegiatan" in shorter.text
    assert len(shorter.text) < len(msg.text)


def test_typographic_punctuation_does_not_force_ucs2() -> None:
    text = "Warga bilang “ada WNA” — lokasi dekat dermaga…"
    msg = render(alert(report=report(text=text)), member(), "sms", link=LINK, max_sms_segments=3)
    assert msg.encoding == "GSM-7"
    assert '"ada WNA" - lokasi dekat dermaga...' in msg.text


def test_non_latin_text_goes_ucs2_and_still_fits() -> None:
    text = "工人在矿山工作没有许可证" * 10
    rep = report(text=text, subjects=[], location=Location(kecamatan_name="Satui"))
    msg = render(alert(report=rep), member(), "sms", link=SHORT_LINK, max_sms_segments=4)
    assert msg.encoding == "UCS-2"
    assert msg.segments == 4
    assert "工人在矿山" in msg.text
    assert "…" not in msg.text
    assert "... Balas OK" in msg.text
    assert f"OK {alert().ack_code}" in msg.text
    assert msg.text.endswith(SHORT_LINK)


def test_one_segment_drops_optional_parts_but_never_the_code_or_link() -> None:
    a = alert()
    msg = render(a, member(), "sms", link="https://tpr.id/a/x1", max_sms_segments=1)
    assert msg.segments == 1
    assert f"Balas OK {a.ack_code} utk konfirmasi. https://tpr.id/a/x1" in msg.text
    assert "WNA bekerja tanpa izin" in msg.text
    assert "Kec. Satui" in msg.text


def test_when_even_the_bare_message_cannot_fit_it_is_sent_whole() -> None:
    a = alert()
    msg = render(a, member(), "sms", link=LINK, max_sms_segments=1)  # the link alone is 100
    assert msg.text.endswith(f"Balas OK {a.ack_code} utk konfirmasi. {LINK}")
    assert msg.segments == 2  # reported honestly
    assert "Subjek" not in msg.text
    assert "Tambang" not in msg.text


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    text=st.text(min_size=0, max_size=1500),
    names=st.lists(st.text(min_size=1, max_size=40), max_size=6),
    max_segments=st.integers(min_value=1, max_value=5),
    english=st.booleans(),
)
def test_sms_never_exceeds_n_segments_and_keeps_code_and_link(
    text: str, names: list[str], max_segments: int, english: bool
) -> None:
    rep = report(text=text or None, subjects=[subject(full_name=n) for n in names] or [])
    a = alert(report=rep)
    msg = render(
        a,
        member(),
        "sms",
        link=SHORT_LINK if max_segments > 1 else "https://t.id/a/x",
        language="en" if english else "id",
        max_sms_segments=max_segments,
    )
    assert msg.segments <= max_segments
    assert sms_segments(msg.text) == (msg.segments, msg.encoding)
    assert f"OK {a.ack_code}" in msg.text
    assert msg.text.endswith(SHORT_LINK if max_segments > 1 else "https://t.id/a/x")
    assert PASSPORT not in msg.text


def test_subjects_beyond_the_first_are_counted() -> None:
    people = [
        subject(full_name=f"Person Number{i}", passport_number=f"E1234567{i}") for i in range(6)
    ]
    rep = report(subjects=people, text=None)
    msg = render(alert(report=rep), member(), "sms", link=LINK, max_sms_segments=3)
    assert "Subjek: P. N. (CHN) paspor E12****70; P. N. (CHN) paspor E12****71 +4." in msg.text
    for extra in range(0, 90, 5):  # less and less room: fewer shown, the rest counted
        link = LINK + "?" + "x" * extra
        tight = render(alert(report=rep), member(), "sms", link=link, max_sms_segments=2)
        assert tight.segments <= 2
        shown = tight.text.count("paspor E12****")
        counted = re.search(r"\+(\d+)\.|Subjek: (\d+) org\.", tight.text)
        rest = int(next(g for g in counted.groups() if g)) if counted else 0
        assert shown + rest == 6 or (shown == 0 and "Subjek" not in tight.text)


# --------------------------------------------------------------------------- chat


def test_chat_fits_the_limit_and_keeps_code_and_link() -> None:
    a = cases.alert(text="Lima WNA bekerja di area tambang. " * 147, subjects=50)
    for channel in cases.CHAT:
        for person in (cases.MEMBER, cases.MEMBER_EN):
            message = render(a, person, channel, link=cases.LINK)
            assert len(message.text.encode("utf-16-le")) // 2 <= 4096
            assert f"OK {cases.CODE}" in message.text
            assert cases.LINK in message.text
            assert "Lima WNA bekerja di area tambang" in message.text
            assert message.segments == 0


def test_chat_lists_up_to_ten_subjects() -> None:
    message = render(cases.alert(subjects=12), cases.MEMBER, "telegram", link=cases.LINK)
    assert message.text.count("X00****") == 9
    assert message.text.count(cases.MASKED) == 1
    assert "X00****11" not in message.text
    assert "(12 orang)" in message.text


def test_chat_fits_4096_with_huge_reports() -> None:
    people = [
        subject(full_name=f"Nama Orang{i} Asing", employer="PT " + "X" * 150) for i in range(500)
    ]
    rep = report(subjects=people, subject_count=500, text="Laporan panjang 😀 " * 260)
    a = alert(report=rep)
    msg = render(a, member(), "telegram", link=LINK)
    assert _utf16(msg.text) <= CHAT_LIMIT
    assert msg.text.endswith(LINK)
    assert f"OK {a.ack_code}" in msg.text
    assert msg.text.count("paspor E12****") == 10
    assert " +490\n" in msg.text
    assert "Isi: Laporan panjang" in msg.text
    assert "…\n" in msg.text


@pytest.mark.parametrize("piece", ["Lokasi tambang ", "矿区 ", "🏕️ "])
def test_chat_fits_even_with_absurd_place_names(piece: str) -> None:
    """Place names are not shortened by fitting: the text before the last line is cut."""
    place = piece * 2000
    a = alert(
        report=report(location=Location(kecamatan_code="63.10.04", place_name=place, address=place))
    )
    msg = render(a, member(), "telegram", link=LINK)
    assert _utf16(msg.text) <= CHAT_LIMIT
    assert msg.text.endswith(f"Balas OK {a.ack_code} untuk konfirmasi. Detail: {LINK}")


# --------------------------------------------------------------------------- fast searches


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=900),
    segments=st.integers(min_value=1, max_value=4),
)
def test_fitting_around_a_marker_equals_rendering_every_candidate(
    monkeypatch: pytest.MonkeyPatch, text: str, segments: int
) -> None:
    """The fast search (one render, candidates joined around the text) gives exactly the
    message the plain search (one render per candidate) gives."""
    from notify_service.render import fitting as module

    a = alert(report=report(text=text))
    fast = {c: render(a, member(), c, link=LINK, max_sms_segments=segments) for c in CHANNELS}
    with monkeypatch.context() as m:
        m.setattr(module, "TEXT_MARK", "")  # never found exactly once: the plain search
        slow = {c: render(a, member(), c, link=LINK, max_sms_segments=segments) for c in CHANNELS}
    assert fast == slow


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    text=GSM_TEXT,
    segments=st.integers(min_value=1, max_value=4),
    link_length=st.integers(min_value=20, max_value=200),
)
def test_length_arithmetic_fits_exactly_what_counting_segments_fits(
    monkeypatch: pytest.MonkeyPatch, text: str, segments: int, link_length: int
) -> None:
    """GSM-7 texts, with and without escape pairs (which the arithmetic leaves to the
    segment count), and links of every length: counting characters instead of segments
    gives exactly the message the plain search gives."""
    from notify_service.render import fitting as module

    a = alert(report=report(text=text))
    link = (LINK * 3)[:link_length]
    fast = {c: render(a, member(), c, link=link, max_sms_segments=segments) for c in CHANNELS}
    with monkeypatch.context() as m:
        m.setattr(module, "TEXT_MARK", "")
        slow = {c: render(a, member(), c, link=link, max_sms_segments=segments) for c in CHANNELS}
    assert fast == slow
    assert fast["sms"].segments <= segments or "..." not in fast["sms"].text
