"""Message rendering per channel and language: PII policy, ack code and link always
present, SMS fitted to N segments, chat within 4096, full details by email."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notify_service.render import CHAT_LIMIT, render, sms_segments
from notify_service.render.context import local_zone
from shared.schemas import AlertReason, Category, Location, Severity
from tests.unit.notify.factories import LINK, NAME, PASSPORT, alert, member, report, subject

SHORT_LINK = "https://tpr.id/a/01JH8Z3K6Y2QW4E5R6T7Y8U9HA.camat.tpl05p.ODMsJdpoN8UiQqESzLMS4A"
CLEAR = (PASSPORT, NAME, "Zhang", "2C11AB4455667", "Budi Pelapor", "+6281299990000")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- SMS


def test_sms_in_bahasa_indonesia() -> None:
    a = alert()
    msg = render(a, member(), "sms", link=LINK)
    assert msg.text == (
        "[TIMPORA] WASPADA Tinggi: WNA bekerja tanpa izin (5 org), Kec. Satui (Tanah Bumbu)."
        " Subjek: Z. W. M. (CHN) paspor E12****89."
        " 5 WNA bekerja di tambang batu bara tanpa izin kerja."
        f" Balas OK {a.ack_code} utk konfirmasi. {LINK}"
    )
    assert (msg.segments, msg.encoding) == (2, "GSM-7")
    assert sms_segments(msg.text) == (msg.segments, msg.encoding)
    for clear in CLEAR:
        assert clear not in msg.text
    assert "\n" not in msg.text


def test_sms_in_english() -> None:
    a = alert()
    msg = render(a, member(language="en"), "sms", link=LINK)  # the member's language
    assert msg.text.startswith("[TIMPORA] High: Illegal work (5 ppl), Kec. Satui (Tanah Bumbu).")
    assert "Subjects: Z. W. M. (CHN) paspor E12****89." in msg.text
    assert msg.text.endswith(f"Reply OK {a.ack_code} to confirm. {LINK}")
    assert render(a, member(language="en"), "sms", link=LINK, language="id").text.startswith(
        "[TIMPORA] WASPADA"
    )


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


def test_sms_scrubs_pii_in_the_free_text() -> None:
    text = f"Zhang Wei paspor {PASSPORT} HP 081234567890, lapor ke zw@example.cn"
    msg = render(alert(report=report(text=text)), member(), "sms", link=LINK, max_sms_segments=4)
    for clear in (PASSPORT, "Zhang", "081234567890", "zw@example.cn"):
        assert clear not in msg.text
    assert "Z. W. paspor E12****89" in msg.text


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


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
def test_chat_has_more_detail_and_still_masks(channel: str) -> None:
    a = alert()
    msg = render(a, member(), channel, link=LINK)
    text = msg.text
    assert text == (
        "🛂 TIMPORA Kecamatan Satui\n"
        "Tingkat: Tinggi\n"
        "Jenis: WNA bekerja tanpa izin (5 orang)\n"
        "Lokasi: Kec. Satui, Tanah Bumbu — Tambang PT Contoh\n"
        "Waktu: 12-01-2026 10:00 WITA\n"
        "Subjek: Z. W. M. (CHN) paspor E12****89\n"
        "Isi: 5 WNA bekerja di tambang batu bara tanpa izin kerja.\n"
        "Sumber: kanim-batulicin · aturan illegal-work\n"
        f"Balas OK {a.ack_code} untuk konfirmasi. Detail: {LINK}"
    )
    for clear in CLEAR:
        assert clear not in text
    assert msg.segments == 0


def test_chat_in_english() -> None:
    msg = render(alert(), member(language="en"), "telegram", link=LINK)
    assert msg.text.startswith("🛂 TIMPORA District Satui\nSeverity: High\n")
    assert "Type: Illegal work (5 people)\n" in msg.text
    assert "Subjects: Z. W. M. (CHN) paspor E12****89\n" in msg.text
    assert msg.text.endswith(f"Reply OK {alert().ack_code} to acknowledge. Details: {LINK}")


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


# --------------------------------------------------------------------------- email


def test_email_carries_the_full_details() -> None:
    a = alert()
    msg = render(a, member(), "email", link=LINK)
    assert msg.subject == (
        f"[TIMPORA Tinggi] WNA bekerja tanpa izin — Kec. Satui, Tanah Bumbu ({a.ack_code})"
    )
    body = msg.text
    for clear in (PASSPORT, NAME, "1985-03-02", "2C11AB4455667", "Budi Pelapor", "+6281299990000"):
        assert clear in body
    assert "Waktu        : 12-01-2026 10:00 WITA" in body
    assert "Lokasi       : Kec. Satui, Tanah Bumbu (63.10.04)" in body
    assert (
        "Subjek 1: Zhang Wei Ming · CHN · paspor E12345689 · lahir 1985-03-02 · M · izin ITAS"
        in body
    )
    assert a.report.text in body  # type: ignore[operator]
    assert f'balas "OK {a.ack_code}" lewat SMS, atau buka {LINK}' in body
    assert msg.encoding == ""
    assert msg.segments == 0


def test_email_in_english() -> None:
    msg = render(alert(), member(language="en"), "email", link=LINK)
    assert msg.subject.startswith("[TIMPORA High] Illegal work — Kec. Satui, Tanah Bumbu")
    assert f"passport {PASSPORT}" in msg.text
    assert f'Acknowledge: reply "OK {alert().ack_code}"' in msg.text


def test_email_subject_is_one_line_whatever_the_input() -> None:
    loc = Location(kecamatan_name="Satui\r\nBcc: spy@example.org", kabupaten_name="Tanah\nBumbu")
    msg = render(alert(report=report(location=loc)), member(), "email", link=LINK)
    assert "\n" not in msg.subject
    assert "\r" not in msg.subject


# --------------------------------------------------------------------------- variants


@pytest.mark.parametrize(
    ("reason", "marker_sms", "marker_chat"),
    [
        (AlertReason.escalation, "[TIMPORA] ESKALASI Tinggi:", "Satui — ESKALASI\n"),
        (AlertReason.update, "Pembaruan ke-3.", "Pembaruan ke-3 (laporan dikelompokkan)"),
        (AlertReason.digest, "[TIMPORA] RINGKASAN Tinggi:", "Satui — RINGKASAN\n"),
    ],
)
def test_reason_markers(reason: AlertReason, marker_sms: str, marker_chat: str) -> None:
    a = alert(reason=reason, occurrence_count=3, escalation_step=1)
    assert marker_sms in render(a, member(), "sms", link=LINK).text
    assert marker_chat in render(a, member(), "telegram", link=LINK).text


def test_severity_and_category_wording() -> None:
    a = alert(severity=Severity.critical, category=Category.human_trafficking)
    assert (
        "[TIMPORA] KRITIS: Dugaan perdagangan orang" in render(a, member(), "sms", link=LINK).text
    )
    info = alert(
        severity=Severity.info, category=Category.presence, report=report(subject_count=None)
    )
    assert (
        "[TIMPORA] Info: Keberadaan WNA, Kec. Satui"
        in render(info, member(), "sms", link=LINK).text
    )


@pytest.mark.parametrize(
    ("code", "label", "hour"),
    [
        ("63.10.04", "WITA", "10:00"),
        ("31.71", "WIB", "09:00"),
        ("61.01", "WIB", "09:00"),
        ("91.01", "WIT", "11:00"),
    ],
)
def test_times_are_shown_in_the_local_zone(code: str, label: str, hour: str) -> None:
    loc = Location(kabupaten_code=code[:5], kabupaten_name="Contoh")
    a = alert(report=report(location=loc), jurisdiction_code=code)
    assert local_zone(code)[1] == label
    assert f"12-01-2026 {hour} {label}" in render(a, member(), "telegram", link=LINK).text


def test_place_wording() -> None:
    kab_only = report(
        location=Location(kabupaten_code="63.10", kabupaten_name="Kabupaten Tanah Bumbu")
    )
    assert ", Kab. Tanah Bumbu." in render(alert(report=kab_only), member(), "sms", link=LINK).text
    kota = report(location=Location(kabupaten_code="63.71", kabupaten_name="Kota Banjarmasin"))
    assert ", Kota Banjarmasin." in render(alert(report=kota), member(), "sms", link=LINK).text
    nothing = report(location=Location())
    msg = render(alert(report=nothing, jurisdiction_name="Satui"), member(), "sms", link=LINK)
    assert ", Satui." in msg.text


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


# --------------------------------------------------------------------------- shared renders

CHANNELS = ("sms", "email", "telegram", "whatsapp")


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


_BASIC = list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ .,;:-0123456789é")
GSM_TEXT = st.one_of(  # mostly basic GSM-7 (the arithmetic), sometimes with escape pairs
    st.text(alphabet=st.sampled_from(_BASIC), max_size=700),
    st.text(alphabet=st.sampled_from(_BASIC + list("[]{}€^~|\\")), max_size=700),
)


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


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_alert_taken_by_the_office_fallback_team_says_why(channel: str) -> None:
    from shared.schemas import Fallback

    a = alert()
    a.fallback = Fallback(office="Kantor Imigrasi Batulicin", unserved_code="32.73.01")
    text = render(a, member(), channel, link=LINK).text
    words = {"sms": "Tanpa tim setempat", "email": "tim cadangan Kantor Imigrasi Batulicin"}
    assert words.get(channel, "(32.73.01); diterima tim cadangan Kantor Imigrasi") in text
    assert "Tanpa tim" not in render(alert(), member(), channel, link=LINK).text
