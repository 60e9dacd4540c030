"""What each channel's template shows: the SMS, chat and e-mail texts, personal data
masked on SMS and chat and in full by e-mail, the fast path equal to Jinja's (pure)."""

from __future__ import annotations

import pytest

from notify_service.render import render, sms_segments
from shared.schemas import Location, Member
from tests.unit.notify import render_cases as cases
from tests.unit.notify.factories import LINK, NAME, PASSPORT, alert, member, report

CLEAR = (PASSPORT, NAME, "Zhang", "2C11AB4455667", "Budi Pelapor", "+6281299990000")


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


# --------------------------------------------------------------------------- personal data


@pytest.mark.parametrize("channel", ["sms", *cases.CHAT])
@pytest.mark.parametrize("member", [cases.MEMBER, cases.MEMBER_EN], ids=["id", "en"])
def test_masked_passport_only_on_sms_and_chat(channel: str, member: Member) -> None:
    a = cases.alert(subjects=2, text="Paspor E12345678 dipegang Zhang Wei Ming, HP +6281299998888")
    message = render(a, member, channel, link=cases.LINK, max_sms_segments=4)
    assert cases.MASKED in message.text
    for clear in (
        cases.PASSPORT,
        "X00000001",
        "Zhang",
        "Person Number1",
        "1985-03-12",
        "2C11AB4455667",
        "6281299998888",
    ):
        assert clear not in message.text, clear
    assert "Z. W. M." in message.text
    assert f"OK {cases.CODE}" in message.text
    assert cases.LINK in message.text
    assert cases.PASSPORT not in message.subject
    assert "Zhang" not in message.subject


@pytest.mark.parametrize("member", [cases.MEMBER, cases.MEMBER_EN], ids=["id", "en"])
def test_email_carries_full_details(member: Member) -> None:
    a = cases.alert(subjects=2, text="Paspor E12345678 dipegang Zhang Wei Ming")
    message = render(a, member, "email", link=cases.LINK)
    text = message.text
    for clear in (
        "Zhang Wei Ming",
        cases.PASSPORT,
        "X00000001",
        "Person Number1",
        "1985-03-12",
        "2026-01-10",  # permit expiry
        "ITK",
        "2C11AB4455667",
        "PT Tambang Contoh",
        "Paspor E12345678 dipegang Zhang Wei Ming",
        "Tambang batubara PT Contoh",
        "Jl. Tambang Km 12, Desa Sungai Danau",
        "63.10.04",
        a.report_id,
        "polres-tanbu",
        "illegal-work-mining",
        "14:30 WITA",
        f"OK {cases.CODE}",
        cases.LINK,
    ):
        assert clear in text, clear
    assert cases.MASKED not in text
    assert message.segments == 0
    assert cases.CODE in message.subject


def test_sms_scrubs_pii_in_the_free_text() -> None:
    text = f"Zhang Wei paspor {PASSPORT} HP 081234567890, lapor ke zw@example.cn"
    msg = render(alert(report=report(text=text)), member(), "sms", link=LINK, max_sms_segments=4)
    for clear in (PASSPORT, "Zhang", "081234567890", "zw@example.cn"):
        assert clear not in msg.text
    assert "Z. W. paspor E12****89" in msg.text


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize("kind", ["sms", "email", "chat", "subject"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_fast_template_path_renders_what_jinja_renders(kind: str, language: str) -> None:
    from notify_service.render.context import template_context
    from notify_service.render.templates import environment, render_template

    ctx = template_context(cases.alert(subjects=3), language, "https://timpora.example/a/token")
    expected = environment().get_template(f"{kind}.{language}.j2").render(**ctx)
    assert render_template(kind, language, ctx) == expected
