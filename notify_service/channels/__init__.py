"""Channel construction from settings: only configured channels exist."""

from __future__ import annotations

from notify_service.channels.base import Channel
from notify_service.channels.http_sms import HttpSmsChannel
from notify_service.channels.kannel import KannelChannel
from notify_service.channels.smtp import SmtpChannel
from notify_service.channels.telegram import TelegramChannel
from notify_service.channels.webhook import WebhookChannel
from notify_service.channels.whatsapp import WhatsAppChannel
from shared.settings import NotifySettings


def _secret(value: object) -> str:
    return value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined]


def build_channels(s: NotifySettings) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    if s.kannel_url:
        channels["sms"] = KannelChannel(
            s.kannel_url, s.kannel_username, _secret(s.kannel_password), s.kannel_from
        )
    elif s.http_sms_url:
        channels["sms"] = HttpSmsChannel(s.http_sms_url, _secret(s.http_sms_token))
    if s.smtp_host:
        channels["email"] = SmtpChannel(
            s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_username, _secret(s.smtp_password) or None
        )
    if s.telegram_base_url and s.telegram_bot_token:
        channels["telegram"] = TelegramChannel(s.telegram_base_url, _secret(s.telegram_bot_token))
    if s.whatsapp_base_url and s.whatsapp_token and s.whatsapp_phone_number_id:
        channels["whatsapp"] = WhatsAppChannel(
            s.whatsapp_base_url, _secret(s.whatsapp_token), s.whatsapp_phone_number_id
        )
    if s.webhook_secret:
        channels["webhook"] = WebhookChannel(_secret(s.webhook_secret))
    return channels


__all__ = ["Channel", "build_channels"]
