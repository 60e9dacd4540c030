"""Telegram Bot API and WhatsApp Cloud API channels against servers of their shape."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devtools import TelegramGateway, WhatsAppGateway
from notify_service.channels.base import OutgoingMessage, PermanentError, TransientError
from notify_service.channels.telegram import TelegramChannel
from notify_service.channels.whatsapp import WhatsAppChannel
from notify_service.whatsapp_templates import ALERT, EXAMPLE_ID

Make = Callable[..., OutgoingMessage]

# --------------------------------------------------------------------------- Telegram


async def test_telegram_send_message_shape(
    telegram: TelegramChannel, telegram_gw: TelegramGateway, outgoing: Make
) -> None:
    msg = outgoing(to_address="700000102", text="🛂 TIMPORA Kecamatan Satui\nBalas OK 7KQ2M")
    result = await telegram.send(msg)
    assert result.provider_message_id == "1"
    request = telegram_gw.last
    assert (request.method, request.path) == ("POST", f"/bot{telegram_gw.token}/sendMessage")
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "chat_id": 700000102,
        "text": msg.text,
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [[{"text": "✅ Terima (ACK)", "callback_data": "ack:7KQ2M"}]]
        },
    }
    assert telegram_gw.received[0].to == "700000102"


async def test_telegram_channel_names_and_no_button_without_a_code(
    telegram: TelegramChannel, telegram_gw: TelegramGateway, outgoing: Make
) -> None:
    await telegram.send(outgoing(to_address="@timpora_satui", ack_code=None))
    body = telegram_gw.last.json()
    assert body["chat_id"] == "@timpora_satui"
    assert "reply_markup" not in body
    await telegram.send(outgoing(to_address="-1001234567890"))
    assert telegram_gw.last.json()["chat_id"] == -1001234567890  # a group


async def test_telegram_429_is_transient_with_retry_after(
    telegram: TelegramChannel, telegram_gw: TelegramGateway, outgoing: Make
) -> None:
    telegram_gw.script.fail(1, 429, retry_after=7)
    with pytest.raises(TransientError, match="telegram 429") as caught:
        await telegram.send(outgoing(to_address="1"))
    assert caught.value.retry_after == 7
    assert (await telegram.send(outgoing(to_address="1"))).provider_message_id == "1"


@pytest.mark.parametrize("status", [500, 502])
async def test_telegram_server_errors_are_transient(
    telegram: TelegramChannel, telegram_gw: TelegramGateway, outgoing: Make, status: int
) -> None:
    telegram_gw.script.fail(1, status)
    with pytest.raises(TransientError):
        await telegram.send(outgoing(to_address="1"))


async def test_telegram_bad_request_is_permanent(
    telegram: TelegramChannel, telegram_gw: TelegramGateway, outgoing: Make
) -> None:
    with pytest.raises(PermanentError, match="message text is empty"):
        await telegram.send(outgoing(to_address="1", text="   "))
    with pytest.raises(PermanentError, match="message is too long"):
        await telegram.send(outgoing(to_address="1", text="x" * 4097))
    with pytest.raises(PermanentError, match="empty chat id"):
        await telegram.send(outgoing(to_address=""))


async def test_telegram_wrong_token_is_permanent_and_not_quoted(
    telegram_gw: TelegramGateway, outgoing: Make
) -> None:
    async with TelegramChannel(telegram_gw.base_url, "999:WRONG-TOKEN") as channel:
        with pytest.raises(PermanentError, match="telegram 401") as caught:
            await channel.send(outgoing(to_address="1"))
    assert "WRONG-TOKEN" not in str(caught.value)


async def test_telegram_timeout_and_outage_are_transient(
    telegram: TelegramChannel, telegram_gw: TelegramGateway, outgoing: Make
) -> None:
    telegram_gw.script.hang(1, seconds=5)
    with pytest.raises(TransientError, match="timeout"):
        await telegram.send(outgoing(to_address="1"))
    await telegram_gw.go_down()
    with pytest.raises(TransientError) as caught:
        await telegram.send(outgoing(to_address="1"))
    assert telegram_gw.token not in str(caught.value)


# --------------------------------------------------------------------------- WhatsApp


async def test_whatsapp_messages_shape(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    msg = outgoing(to_address="+62 812-0000-0103", text="Balas OK 7KQ2M untuk konfirmasi.")
    result = await whatsapp.send(msg)  # never wrote to us: the template (whatsapp_window)
    assert result.provider_message_id == "wamid.TEST1"
    request = whatsapp_gw.last
    assert (request.method, request.path) == (
        "POST",
        f"/v21.0/{whatsapp_gw.phone_number_id}/messages",
    )
    assert request.headers["authorization"] == f"Bearer {whatsapp_gw.token}"
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281200000103",
        "type": "template",
        "template": {
            "name": "timpora_peringatan",
            "language": {"code": "id"},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": v} for v in EXAMPLE_ID]},
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "0",
                    "parameters": [{"type": "payload", "payload": "ack:7KQ2M"}],
                },
            ],
        },
    }
    assert whatsapp_gw.received[0].text == ALERT["id"].fill(EXAMPLE_ID)


async def test_whatsapp_throttling_is_transient(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    whatsapp_gw.script.fail(1, 429, retry_after=30)
    with pytest.raises(TransientError, match="130429"):
        await whatsapp.send(outgoing())
    whatsapp_gw.script.fail(1, 503)
    with pytest.raises(TransientError):
        await whatsapp.send(outgoing())
    assert (await whatsapp.send(outgoing())).provider_message_id


async def test_whatsapp_client_errors_are_permanent(
    whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    async with WhatsAppChannel(
        whatsapp_gw.base_url, "bad-token", whatsapp_gw.phone_number_id
    ) as ch:
        with pytest.raises(PermanentError, match="HTTP 401 code 190"):
            await ch.send(outgoing())
    async with WhatsAppChannel(whatsapp_gw.base_url, whatsapp_gw.token, "000") as ch:
        with pytest.raises(PermanentError, match="HTTP 400"):
            await ch.send(outgoing())
    async with WhatsAppChannel(whatsapp_gw.base_url, whatsapp_gw.token, "1") as ch:
        with pytest.raises(PermanentError, match="no phone number"):
            await ch.send(outgoing(to_address="n/a"))


async def test_whatsapp_timeout_is_transient(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    whatsapp_gw.script.hang(1, seconds=5)
    with pytest.raises(TransientError, match="timeout"):
        await whatsapp.send(outgoing())


async def test_telegram_answers_a_button_press_as_the_bot_api_takes_it(
    telegram: TelegramChannel, telegram_gw: TelegramGateway
) -> None:
    await telegram.answer_callback("4382", "Diterima")
    request = telegram_gw.last
    assert request.path == f"/bot{telegram_gw.token}/answerCallbackQuery"
    assert request.json() == {"callback_query_id": "4382", "text": "Diterima"}
    assert telegram_gw.callback_answers == [{"callback_query_id": "4382", "text": "Diterima"}]
    assert telegram_gw.received == []  # a toast, not a message
    with pytest.raises(PermanentError, match="query ID is invalid"):
        await telegram.answer_callback("4382", "Diterima")  # a query is answered once
