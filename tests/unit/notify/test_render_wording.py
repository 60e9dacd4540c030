"""The words of a message: language, category and severity, reasons, places, local
times, the fallback team (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notify_service.render import render
from notify_service.render.context import CATEGORY, local_zone
from shared.schemas import AlertReason, Category, Level, Location, Severity
from tests.unit.notify import render_cases as cases
from tests.unit.notify.factories import LINK, alert, member, report
from tests.unit.notify.render_cases import CHANNELS

# --------------------------------------------------------------------------- language


def test_indonesian_is_the_default() -> None:
    assert cases.MEMBER.language == "id"
    for channel in ("sms", *cases.CHAT):
        text = render(cases.alert(), cases.MEMBER, channel, link=cases.LINK).text
        assert f"Balas OK {cases.CODE}" in text
        assert "Reply" not in text
        assert CATEGORY["id"][Category.illegal_work] in text
    email = render(cases.alert(), cases.MEMBER, "email", link=cases.LINK).text
    assert f'balas "OK {cases.CODE}"' in email
    assert "Konfirmasi" in email
    assert "paspor E12345678" in email


def test_english_for_members_who_read_english() -> None:
    for channel in ("sms", *cases.CHAT):
        text = render(cases.alert(), cases.MEMBER_EN, channel, link=cases.LINK).text
        assert f"Reply OK {cases.CODE}" in text
        assert "Balas" not in text
        assert CATEGORY["en"][Category.illegal_work] in text
    email = render(cases.alert(), cases.MEMBER_EN, "email", link=cases.LINK).text
    assert f'reply "OK {cases.CODE}"' in email
    assert "Acknowledge" in email
    assert "passport E12345678" in email
    subject = render(cases.alert(), cases.MEMBER_EN, "email", link=cases.LINK).subject
    assert CATEGORY["en"][Category.illegal_work] in subject


@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("severity", list(Severity))
def test_every_category_and_severity_renders(category: Category, severity: Severity) -> None:
    a = cases.alert(category=category, severity=severity)
    for person in (cases.MEMBER, cases.MEMBER_EN):
        name = CATEGORY[person.language][category]
        for channel in ("sms", "telegram", "email"):
            message = render(a, person, channel, link=cases.LINK)
            assert name in message.text
            assert name in message.subject
            assert cases.CODE in message.subject
            assert f"OK {cases.CODE}" in message.text


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


# --------------------------------------------------------------------------- reasons


def test_escalation_wording() -> None:
    a = cases.alert(
        reason=AlertReason.escalation,
        escalation_step=1,
        level=Level.kabupaten,
        jurisdiction_code="63.10",
        jurisdiction_name="Tanah Bumbu",
    )
    for channel in ("sms", *cases.CHAT):
        assert "ESKALASI" in render(a, cases.MEMBER, channel, link=cases.LINK).text
        assert "ESCALATED" in render(a, cases.MEMBER_EN, channel, link=cases.LINK).text
    assert "DIESKALASI" in render(a, cases.MEMBER, "email", link=cases.LINK).text
    assert "ESCALATED" in render(a, cases.MEMBER_EN, "email", link=cases.LINK).text
    assert "ESKALASI" in render(a, cases.MEMBER, "email", link=cases.LINK).subject
    assert "ESCALATED" in render(a, cases.MEMBER_EN, "email", link=cases.LINK).subject
    plain = cases.alert()
    for person in (cases.MEMBER, cases.MEMBER_EN):
        for channel in ("sms", "telegram", "email"):
            message = render(plain, person, channel, link=cases.LINK)
            for word in ("ESKALASI", "ESCALATED"):
                assert word not in message.text
                assert word not in message.subject


def test_update_wording() -> None:
    a = cases.alert(reason=AlertReason.update, occurrence_count=3, version=3)
    for channel in ("sms", *cases.CHAT):
        assert "Pembaruan ke-3" in render(a, cases.MEMBER, channel, link=cases.LINK).text
        assert "Update #3" in render(a, cases.MEMBER_EN, channel, link=cases.LINK).text
    assert "pembaruan ke-3" in render(a, cases.MEMBER, "email", link=cases.LINK).text
    assert "update #3" in render(a, cases.MEMBER_EN, "email", link=cases.LINK).text
    for channel in ("sms", "telegram", "email"):
        assert "embaruan" not in render(cases.alert(), cases.MEMBER, channel, link=cases.LINK).text
        assert (
            "pdate #" not in render(cases.alert(), cases.MEMBER_EN, channel, link=cases.LINK).text
        )


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


# --------------------------------------------------------------------------- places and times


def test_place_names() -> None:
    text = render(cases.alert(), cases.MEMBER, "telegram", link=cases.LINK).text
    assert "Satui" in text
    assert "Tanah Bumbu" in text
    assert (
        "Kabupaten Tanah Bumbu"
        not in render(cases.alert(), cases.MEMBER, "sms", link=cases.LINK).text
    )
    bare = cases.alert()
    bare.report.location = Location(kecamatan_code="63.10.04")
    # the jurisdiction name
    assert "Satui" in render(bare, cases.MEMBER, "sms", link=cases.LINK).text
    nameless = cases.alert(jurisdiction_name=None)
    nameless.report.location = Location(kecamatan_code="63.10.04")
    assert "63.10.04" in render(nameless, cases.MEMBER, "sms", link=cases.LINK).text


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


def test_chat_shows_the_time_in_wita() -> None:
    assert "14:30 WITA" in render(cases.alert(), cases.MEMBER, "telegram", link=cases.LINK).text
    a = cases.alert()
    a.report.occurred_at = None
    a.report.received_at = datetime(2026, 1, 10, 23, 45, tzinfo=UTC)  # 07:45 next day WITA
    text = render(a, cases.MEMBER, "telegram", link=cases.LINK).text
    assert "11-01-2026 07:45 WITA" in text


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


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_alert_taken_by_the_office_fallback_team_says_why(channel: str) -> None:
    from shared.schemas import Fallback

    a = alert()
    a.fallback = Fallback(office="Kantor Imigrasi Batulicin", unserved_code="32.73.01")
    text = render(a, member(), channel, link=LINK).text
    words = {"sms": "Tanpa tim setempat", "email": "tim cadangan Kantor Imigrasi Batulicin"}
    assert words.get(channel, "(32.73.01); diterima tim cadangan Kantor Imigrasi") in text
    assert "Tanpa tim" not in render(alert(), member(), channel, link=LINK).text


@pytest.mark.parametrize("channel", CHANNELS)
def test_an_alert_held_outside_the_source_area_says_so(channel: str) -> None:
    from shared.schemas import Fallback

    a = alert()
    a.fallback = Fallback(office="Kantor Imigrasi Batulicin", outside_home_area="31.71.01")
    text = render(a, member(), channel, link=LINK).text
    words = {"sms": "Di luar wilayah sumber (31.71.01): ditahan"}
    assert words.get(channel, "tempat laporan (31.71.01) di luar wilayah sumber") in text
    assert "Tanpa tim" not in text
    assert "tidak ada tim" not in text
    english = render(a, member(), channel, link=LINK, language="en").text
    assert "outside" in english.lower()
    assert "(31.71.01)" in english
