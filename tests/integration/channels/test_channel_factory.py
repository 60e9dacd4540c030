"""build_channels from NotifySettings (declared fields only), then real sends."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

from devtools import (
    HttpSmsGateway,
    KannelGateway,
    Sinks,
    SmtpGateway,
    TelegramGateway,
    WebhookReceiver,
    WhatsAppGateway,
)
from notify_service.channels import Channel, build_channels, close_channels
from notify_service.channels.base import OutgoingMessage
from notify_service.channels.http_sms import HttpSmsChannel
from notify_service.channels.kannel import KannelChannel
from shared.settings import NotifySettings

Make = Callable[..., OutgoingMessage]


async def test_every_channel_from_the_settings_delivers(
    kannel_gw: KannelGateway,
    telegram_gw: TelegramGateway,
    whatsapp_gw: WhatsAppGateway,
    webhook_rx: WebhookReceiver,
    smtp_gw: SmtpGateway,
    outgoing: Make,
) -> None:
    channels = build_channels(
        NotifySettings(
            **{
                "kannel_url": f"{kannel_gw.base_url}/cgi-bin/sendsms",
                "kannel_username": kannel_gw.username,
                "kannel_password": SecretStr(kannel_gw.password),
                "sms_sender": "+6281100000000",
                "smtp_host": smtp_gw.host,
                "smtp_port": smtp_gw.port,
                "smtp_from": "timpora@example.go.id",
                "telegram_base_url": telegram_gw.base_url,
                "telegram_bot_token": SecretStr(telegram_gw.token),
                "whatsapp_base_url": whatsapp_gw.base_url,
                "whatsapp_token": whatsapp_gw.token,
                "whatsapp_phone_number_id": whatsapp_gw.phone_number_id,
                "webhook_secret": webhook_rx.secret,
                "channel_timeout_seconds": 2,
            }
        )
    )
    try:
        assert sorted(channels) == ["email", "sms", "telegram", "webhook", "whatsapp"]
        assert all(isinstance(c, Channel) for c in channels.values())
        await channels["sms"].send(outgoing())
        await channels["email"].send(outgoing(to_address="kasi@example.org"))
        await channels["telegram"].send(outgoing(to_address="700000102"))
        await channels["whatsapp"].send(outgoing(to_address="+6281200000103"))
        await channels["webhook"].send(outgoing(to_address=webhook_rx.url))
    finally:
        await close_channels(channels)
    for gateway in (kannel_gw, telegram_gw, whatsapp_gw, webhook_rx, smtp_gw):
        assert len(gateway.received) == 1, gateway


async def test_notify_settings_work_too(http_sms_gw: HttpSmsGateway, outgoing: Make) -> None:
    settings = NotifySettings(
        http_sms_url=f"{http_sms_gw.base_url}/sms",
        http_sms_token=SecretStr(http_sms_gw.token),
    )
    channels = build_channels(settings)
    try:
        assert list(channels) == ["sms"]
        assert isinstance(channels["sms"], HttpSmsChannel)
        assert (await channels["sms"].send(outgoing())).provider_message_id == "sms-1"
    finally:
        await close_channels(channels)


async def test_kannel_wins_over_http_sms_and_unconfigured_channels_are_absent() -> None:
    channels = build_channels(
        NotifySettings(kannel_url="http://127.0.0.1:9/cgi-bin/sendsms", http_sms_url="http://x/sms")
    )
    try:
        assert list(channels) == ["sms"]
        assert isinstance(channels["sms"], KannelChannel)
    finally:
        await close_channels(channels)
    assert build_channels(NotifySettings()) == {}
    no_number = NotifySettings(whatsapp_token=SecretStr("t"))  # no phone number id
    assert "whatsapp" not in build_channels(no_number)


async def test_the_sinks_bundle_configures_notify(outgoing: Make) -> None:
    async with Sinks() as sinks:
        env = sinks.notify_env()
        assert env["NOTIFY_KANNEL_URL"].endswith("/cgi-bin/sendsms")
        settings = NotifySettings(**{k.removeprefix("NOTIFY_").lower(): v for k, v in env.items()})
        channels = build_channels(settings)
        try:
            assert sorted(channels) == ["email", "sms", "telegram", "webhook", "whatsapp"]
            await channels["telegram"].send(outgoing(to_address="1"))
            await channels["sms"].send(outgoing())
            await channels["email"].send(outgoing(to_address="kasi@example.org"))
        finally:
            await close_channels(channels)
        assert [r.channel for r in sinks.received] == ["telegram", "sms", "email"]
        assert len(sinks.by_channel("sms")) == 1
        http_sms = build_channels(NotifySettings(**sinks.notify_settings(sms="http_sms")))
        try:
            assert isinstance(http_sms["sms"], HttpSmsChannel)
            await http_sms["sms"].send(outgoing())
        finally:
            await close_channels(http_sms)
        assert len(sinks.http_sms.received) == 1
