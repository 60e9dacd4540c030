"""The attack: a field officer's report hides personal data in shapes the old scrubber did
not know (alphanumeric passports, grouped numbers, phones in local formats, names of people
nobody listed). What SMS and chat members receive must not carry any of it in clear, and
the places the report is about must survive.

The messages are rendered by notify's real renderer (``AlertMessages``) for an SMS and a
Telegram member, and the log filter is run on a real logger.
"""

from __future__ import annotations

import logging

import pytest

from notify_service.render.messages import AlertMessages
from shared.pii import PiiLogFilter, scrub_report_text, scrub_text
from shared.schemas import Channel, Member
from tests.unit.pii.factories import full_alert

ATTACK = (
    "LAPOR: WNA atas nama Mr Ivan Petrov, paspor C01X00T47 (lama c01x00t46), NIK 6310 0412 "
    "3456 0001, nomor lain E 1234 5678, HP 0812-3456-7890 / +62 812 3456 7891 / "
    "(0518) 21234 / 62812345678, surel ivan.p@example.ru; tinggal di rumah Ibu Siti Aminah "
    "bersama Nguyen Van An. Dilihat di Satui, Angsana dan Kotabaru, kode 63.10.04."
)
CLEAR = (
    "Ivan", "Petrov", "C01X00T47", "c01x00t46", "6310 0412", "3456 0001", "1234 5678",
    "0812-3456-7890", "812 3456 7891", "21234", "62812345678", "ivan.p@", "Siti", "Aminah",
    "Nguyen", " An.",
)  # fmt: skip
KEPT = ("Satui", "Angsana", "Kotabaru", "63.10.04", "LAPOR: WNA atas nama", "tinggal di rumah")


def _members() -> list[tuple[Member, str]]:
    return [
        (Member(member_id="s", name="Siti Contoh", phone="+6281200000101"), "sms"),
        (Member(member_id="t", name="Budi", telegram_chat_id="7001", channels=[Channel.telegram]),
         "telegram"),
    ]  # fmt: skip


@pytest.mark.parametrize("max_segments", [2, 8])
def test_sms_and_chat_never_carry_hidden_personal_data(max_segments: int) -> None:
    alert = full_alert()
    alert.report.text = ATTACK
    messages = AlertMessages(alert, max_sms_segments=max_segments)
    for member, channel in _members():
        text = messages.render(member, channel, "https://t.example/a/x").text
        for clear in CLEAR:
            assert clear not in text, (channel, clear)
    chat = messages.render(*_members()[1], "https://t.example/a/x").text
    for kept in KEPT:
        assert kept in chat, kept


def test_the_scrubbed_text_masks_every_shape_and_keeps_places() -> None:
    alert = full_alert()
    alert.report.text = ATTACK
    scrubbed = scrub_report_text(alert.report)
    for clear in CLEAR:
        assert clear not in scrubbed, clear
    for kept in KEPT:
        assert kept in scrubbed, kept
    assert "atas nama M. I. P." in scrubbed  # a title after a cue is masked with the name
    assert "C01****47" in scrubbed


def test_places_and_ordinary_words_survive() -> None:
    text = (
        "Tim Timpora Kecamatan Satui, Angsana dan Kotabaru memeriksa Tambang PT Contoh di "
        "Simpang Empat; Ibu Kota provinsi, Pak Camat hadir. 5 WNA, 2 orang kabur, jam 10:00 "
        "WITA tanggal 2026-01-12, kode 63.10.06.2001, alert 01JH8Z3K6Y2QW4E5R6T7Y8U9HA, "
        "sha256 dan covid19, ada yang tinggal di mess."
    )
    assert scrub_text(text) == text


def test_the_log_filter_masks_names_the_record_marks_and_numbers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("timpora.security.logs")
    log_filter = PiiLogFilter()
    logger.addFilter(log_filter)
    try:
        with caplog.at_level(logging.INFO, logger="timpora.security.logs"):
            logger.info(
                "guest %s checked in with %s, contact %s",
                "LI WEI",
                "C01X00T47",
                "0812-3456-7890",
                extra={"pii": {"full_name": "Li Wei"}},
            )
            logger.info("report names a man bernama Ivan Petrov")
    finally:
        logger.removeFilter(log_filter)
    for clear in ("LI WEI", "C01X00T47", "0812-3456-7890", "Ivan", "Petrov"):
        assert clear not in caplog.text, clear
    assert caplog.records[0].pii == {"full_name": "L. W."}
    assert "guest L. W. checked in with C01****47" in caplog.text
