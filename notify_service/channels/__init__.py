"""Channel construction from settings: only configured channels exist.

``build_channels`` takes anything settings-like: a ``NotifySettings`` object or a plain
mapping with the same field names (``kannel_url``, ``telegram_bot_token``...). Secret
values may be ``SecretStr``. The result maps a channel name (``sms``, ``email``,
``telegram``, ``whatsapp``, ``webhook``) to a ready channel; call ``aclose`` on each at
shutdown (:func:`close_channels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
from notify_service.channels.whatsapp import DEFAULT_API_VERSION, WhatsAppChannel
from shared.settings import DEV_SMS_SENDER


def _get(settings: Mapping[str, Any] | object, key: str, default: Any = None) -> Any:
    """A setting from a mapping or an object, with ``SecretStr`` unwrapped."""
    if isinstance(settings, Mapping):
        value = settings.get(key, default)
    else:
        value = getattr(settings, key, default)
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return default if value is None else value


def _timeout(s: Mapping[str, Any] | object) -> dict[str, Any]:
    seconds = _get(s, "channel_timeout_seconds")
    return {"timeout": float(seconds)} if seconds else {}


def _sms(s: Mapping[str, Any] | object) -> Channel | None:
    if _get(s, "kannel_url"):
        return KannelChannel(
            _get(s, "kannel_url"),
            _get(s, "kannel_username", ""),
            _get(s, "kannel_password", ""),
            _get(s, "sms_sender", DEV_SMS_SENDER),
            smsc=_get(s, "kannel_smsc") or None,
            dlr_url=_get(s, "kannel_dlr_url") or None,
            dlr_mask=int(_get(s, "kannel_dlr_mask", 31)),
            **_timeout(s),
        )
    if _get(s, "http_sms_url"):
        return HttpSmsChannel(_get(s, "http_sms_url"), _get(s, "http_sms_token", ""), **_timeout(s))
    return None


def _email(s: Mapping[str, Any] | object) -> Channel | None:
    if not _get(s, "smtp_host"):
        return None
    return SmtpChannel(
        _get(s, "smtp_host"),
        int(_get(s, "smtp_port", 25)),
        _get(s, "smtp_from", "timpora-alert@example.org"),
        _get(s, "smtp_username") or None,
        _get(s, "smtp_password") or None,
        starttls=bool(_get(s, "smtp_starttls", False)),
        timeout=float(_get(s, "channel_timeout_seconds", 10.0)),
        use_tls=bool(_get(s, "smtp_use_tls", False)),
        pool_size=int(_get(s, "max_in_flight", SMTP_POOL_SIZE)),  # idle connections kept
    )


def build_channels(settings: Mapping[str, Any] | object) -> dict[str, Channel]:
    """The configured channels by name (a channel without credentials is absent)."""
    s = settings
    channels: dict[str, Channel | None] = {"sms": _sms(s), "email": _email(s)}
    if _get(s, "telegram_bot_token"):
        channels["telegram"] = TelegramChannel(
            _get(s, "telegram_base_url") or None, _get(s, "telegram_bot_token"), **_timeout(s)
        )
    if _get(s, "whatsapp_token") and _get(s, "whatsapp_phone_number_id"):
        channels["whatsapp"] = WhatsAppChannel(
            _get(s, "whatsapp_base_url") or None,
            _get(s, "whatsapp_token"),
            _get(s, "whatsapp_phone_number_id"),
            _get(s, "whatsapp_api_version", DEFAULT_API_VERSION),
            **_timeout(s),
        )
    if _get(s, "webhook_secret"):
        channels["webhook"] = WebhookChannel(_get(s, "webhook_secret"), **_timeout(s))
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
