"""Fake provider gateways on 127.0.0.1 (ephemeral ports) and channels pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from devtools import (
    HttpSmsGateway,
    KannelGateway,
    SmtpGateway,
    TelegramGateway,
    WebhookReceiver,
    WhatsAppGateway,
)
from notify_service.channels.base import OutgoingMessage
from notify_service.channels.http_sms import HttpSmsChannel
from notify_service.channels.kannel import KannelChannel
from notify_service.channels.smtp import SmtpChannel
from notify_service.channels.telegram import TelegramChannel
from notify_service.channels.webhook import WebhookChannel
from notify_service.channels.whatsapp import WhatsAppChannel
from notify_service.whatsapp_templates import EXAMPLE_ID

TIMEOUT = 1.0  # seconds: a hanging gateway fails a send quickly


@pytest.fixture
def outgoing() -> Callable[..., OutgoingMessage]:
    def make(**overrides: object) -> OutgoingMessage:
        values: dict[str, object] = {
            "to_address": "+6281200000101",
            "subject": "[TIMPORA Tinggi] WNA bekerja tanpa izin — Kec. Satui (7KQ2M)",
            "text": "[TIMPORA] WASPADA Tinggi: WNA di tambang. Balas OK 7KQ2M utk konfirmasi.",
            "delivery_key": "01JH8Z3K6Y2QW4E5R6T7Y8V9WA:1:camat:sms",
            "ack_code": "7KQ2M",
            "template": ("id", EXAMPLE_ID),  # WhatsApp, outside the window: the template
        }
        return OutgoingMessage(**(values | overrides))  # type: ignore[arg-type]

    return make


@pytest.fixture
async def kannel_gw() -> AsyncIterator[KannelGateway]:
    async with KannelGateway() as gw:
        yield gw  # type: ignore[misc]


@pytest.fixture
async def kannel(kannel_gw: KannelGateway) -> AsyncIterator[KannelChannel]:
    channel = KannelChannel(
        f"{kannel_gw.base_url}/cgi-bin/sendsms",
        kannel_gw.username,
        kannel_gw.password,
        "TIMPORA",
        timeout=TIMEOUT,
    )
    yield channel
    await channel.aclose()


@pytest.fixture
async def http_sms_gw() -> AsyncIterator[HttpSmsGateway]:
    async with HttpSmsGateway() as gw:
        yield gw  # type: ignore[misc]


@pytest.fixture
async def http_sms(http_sms_gw: HttpSmsGateway) -> AsyncIterator[HttpSmsChannel]:
    channel = HttpSmsChannel(f"{http_sms_gw.base_url}/sms", http_sms_gw.token, timeout=TIMEOUT)
    yield channel
    await channel.aclose()


@pytest.fixture
async def telegram_gw() -> AsyncIterator[TelegramGateway]:
    async with TelegramGateway() as gw:
        yield gw  # type: ignore[misc]


@pytest.fixture
async def telegram(telegram_gw: TelegramGateway) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(telegram_gw.base_url, telegram_gw.token, timeout=TIMEOUT)
    yield channel
    await channel.aclose()


@pytest.fixture
async def whatsapp_gw() -> AsyncIterator[WhatsAppGateway]:
    async with WhatsAppGateway() as gw:
        yield gw  # type: ignore[misc]


@pytest.fixture
async def whatsapp(whatsapp_gw: WhatsAppGateway) -> AsyncIterator[WhatsAppChannel]:
    channel = WhatsAppChannel(
        whatsapp_gw.base_url,
        whatsapp_gw.token,
        whatsapp_gw.phone_number_id,
        "v21.0",
        timeout=TIMEOUT,
    )
    yield channel
    await channel.aclose()


@pytest.fixture
async def webhook_rx() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as gw:
        yield gw  # type: ignore[misc]


@pytest.fixture
async def webhook(webhook_rx: WebhookReceiver) -> AsyncIterator[WebhookChannel]:
    channel = WebhookChannel(webhook_rx.secret, timeout=TIMEOUT)
    yield channel
    await channel.aclose()


@pytest.fixture
async def smtp_gw() -> AsyncIterator[SmtpGateway]:
    async with SmtpGateway() as gw:
        yield gw


@pytest.fixture
async def smtp(smtp_gw: SmtpGateway) -> AsyncIterator[SmtpChannel]:
    channel = SmtpChannel(
        smtp_gw.host, smtp_gw.port, "timpora-alert@imigrasi.example.go.id", timeout=2
    )
    yield channel
    await channel.aclose()
