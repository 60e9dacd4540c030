"""One-time codes: where one goes, what is stored of it, what the message says."""

from __future__ import annotations

from notify_service.plan import code_channel
from notify_service.render.notice import step_up_text
from notify_service.signing import code_digest, new_code
from shared.schemas import Channel
from tests.unit.notify.factories import member


def test_a_code_goes_to_the_links_channel_or_the_members_first_phone_or_chat() -> None:
    m = member(
        phone="+6281200000101",
        telegram_chat_id="700000101",
        email="camat@example.id",
        channels=[Channel.email, Channel.telegram, Channel.sms],
    )
    assert code_channel(m, "sms") == "sms"
    assert code_channel(m, "email") == "telegram"  # never a mailbox
    assert code_channel(m, None) == "telegram"
    assert code_channel(m.model_copy(update={"telegram_chat_id": None}), None) == "sms"


def test_a_member_with_only_email_or_a_webhook_gets_no_code() -> None:
    m = member(phone=None, email="x@example.id", channels=[Channel.email])
    assert code_channel(m, "email") is None
    assert code_channel(m, "sms") is None  # no number to send it to


def test_codes_are_six_digits_and_stored_only_as_a_digest_bound_to_the_request() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190
    digest = code_digest("secret", "req-1", "123456")
    assert "123456" not in digest
    assert digest == code_digest("secret", "req-1", " 123456 ")
    assert digest != code_digest("secret", "req-2", "123456")
    assert digest != code_digest("other", "req-1", "123456")


def test_the_code_message_names_the_alert_and_the_lifetime() -> None:
    text = step_up_text(code="048213", ack_code="7KQ2M", minutes=10)
    assert text == (
        "[TIMPORA] Kode 048213 untuk melihat data lengkap peringatan 7KQ2M. Berlaku 10 menit. "
        "Jangan berikan kode ini kepada siapa pun."
    )
    assert "Never share" in step_up_text(code="1", ack_code="X", minutes=5, language="en")


def test_whatsapp_carries_a_code_only_inside_the_members_window() -> None:
    """Outside the 24-hour window Meta delivers only registered templates, and none is
    registered for codes: the code goes by the member's next phone or chat."""
    m = member(
        phone="+6281200000103",
        whatsapp="+6281200000103",
        telegram_chat_id=None,
        channels=[Channel.whatsapp, Channel.sms],
    )
    assert code_channel(m, "whatsapp") == "whatsapp"
    assert code_channel(m, "whatsapp", whatsapp_open=False) == "sms"
    assert code_channel(m, None, whatsapp_open=False) == "sms"
    only_whatsapp = m.model_copy(update={"channels": [Channel.whatsapp]})
    assert code_channel(only_whatsapp, "whatsapp", whatsapp_open=False) is None
