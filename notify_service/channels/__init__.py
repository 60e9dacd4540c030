"""Channel construction from settings: only configured channels exist.

``build_channels`` reads declared, validated ``NotifySettings`` fields only (an unknown
``NOTIFY_*`` variable is refused at start-up, so no setting is silently ignored). The
result maps a channel name (``sms``, ``email``,
``telegram``, ``whatsapp``, ``webhook``) to a ready channel; call ``aclose`` on each at
shutdown (:func:`close_channels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from notify_service.channels.base import (
    Channel,
    OutgoingMessage,
    PermanentError,
    SendResult,
    TransientError,
)
from notify_service.channels.http_sms import HttpSmsChannel
from notify_service.channels.kannel import KannelChannel
from notify_service.channels.smtp import SMTP_POOL_SIZE, SmtpChannel
from notify_service.channels.telegram import TelegramChannel
from notify_service.channels.webhook import WebhookChannel
from notify_service.channels.whatsapp import WhatsAppChannel
from shared.settings import NotifySettings


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _timeout(s: NotifySettings) -> dict[str, Any]:
    return {"timeout": s.channel_timeout_seconds} if s.channel_timeout_seconds else {}


def _sms(s: NotifySettings) -> Channel | None:
    if s.kannel_url:
        return KannelChannel(
            s.kannel_url,
            s.kannel_username,
            _secret(s.kannel_password),
            s.sms_sender,
            smsc=s.kannel_smsc,
            dlr_url=s.kannel_dlr_url,
            dlr_mask=s.kannel_dlr_mask,
            dlr_key=_secret(s.inbound_key),  # Kannel's reports come back with it
            **_timeout(s),
        )
    if s.http_sms_url:
        return HttpSmsChannel(s.http_sms_url, _secret(s.http_sms_token), **_timeout(s))
    return None


def _email(s: NotifySettings) -> Channel | None:
    if not s.smtp_host:
        return None
    return SmtpChannel(
        s.smtp_host,
        s.smtp_port,
        s.smtp_from,
        s.smtp_username,
        _secret(s.smtp_password) or None,
        starttls=s.smtp_starttls,
        timeout=s.channel_timeout_seconds or 10.0,
        use_tls=s.smtp_use_tls,
        cafile=s.smtp_cafile,  # verified against it (host name included), never unverified
        pool_size=s.max_in_flight or SMTP_POOL_SIZE,  # idle connections kept
    )


def build_channels(settings: NotifySettings) -> dict[str, Channel]:
    """The configured channels by name (a channel without credentials is absent)."""
    s = settings
    channels: dict[str, Channel | None] = {"sms": _sms(s), "email": _email(s)}
    if s.telegram_bot_token:
        channels["telegram"] = TelegramChannel(
            s.telegram_base_url, _secret(s.telegram_bot_token), **_timeout(s)
        )
    if s.whatsapp_token and s.whatsapp_phone_number_id:
        channels["whatsapp"] = WhatsAppChannel(
            s.whatsapp_base_url,
            _secret(s.whatsapp_token),
            s.whatsapp_phone_number_id,
            s.whatsapp_api_version,
            template_name=s.whatsapp_template_alert,
            code_template_name=s.whatsapp_template_code,
            **_timeout(s),
        )
    if s.webhook_secret:
        channels["webhook"] = WebhookChannel(_secret(s.webhook_secret), **_timeout(s))
    return {name: channel for name, channel in channels.items() if channel is not None}


async def close_channels(channels: Mapping[str, Channel]) -> None:
    for channel in channels.values():
        await channel.aclose()


__all__ = [
    "Channel",
    "OutgoingMessage",
    "PermanentError",
    "SendResult",
    "TransientError",
    "build_channels",
    "close_channels",
]
