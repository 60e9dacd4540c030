"""Every fake provider at once, and how to point the notify service at them.

:class:`Sinks` runs Kannel, the generic HTTP SMS API, the Bot API, the Cloud API, the
webhook receiver and SMTP, each on its own local port (chosen when the bundle is made, so
URLs are known before it starts). ``notify_env()`` gives the ``NOTIFY_*`` variables for
a notify process (SMS through Kannel, or ``sms="http_sms"``), ``notify_settings()`` the
same mapping for ``build_channels``. Used by the integration and end-to-end tests, the
live demo (``scripts/run --demo``) and, with ``fast=True``, the benchmark.

What arrived: ``received`` (every accepted message, in arrival order), ``by_channel()``,
``per_recipient()`` (messages per channel and address: what each person got),
``counts`` (accepted per channel; the only record in fast mode), ``requests`` (attempts
per channel, refused ones included). ``scripts[channel]`` is the fault script of the
provider notify uses for that channel.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from devtools.base import OnReceive, Received, Script, free_ports
from devtools.http_server import HttpFake
from devtools.http_sms import HttpSmsGateway
from devtools.kannel import KannelGateway
from devtools.smtp import SmtpGateway
from devtools.telegram import TelegramGateway
from devtools.webhook import WebhookReceiver
from devtools.whatsapp import WhatsAppGateway


class Sinks:
    """All the fakes (see the module docstring); ``fast`` as each fake's ``fast``."""

    def __init__(self, *, fast: bool = False, on_receive: OnReceive = None) -> None:
        ports = iter(free_ports(6))
        options: dict[str, Any] = {"fast": fast, "on_receive": on_receive}
        self.kannel = KannelGateway(port=next(ports), **options)
        self.http_sms = HttpSmsGateway(port=next(ports), **options)
        self.telegram = TelegramGateway(port=next(ports), **options)
        self.whatsapp = WhatsAppGateway(port=next(ports), **options)
        self.webhook = WebhookReceiver(port=next(ports), **options)
        self.smtp = SmtpGateway(port=next(ports), **options)

    @property
    def http(self) -> list[HttpFake]:
        return [self.kannel, self.http_sms, self.telegram, self.whatsapp, self.webhook]

    async def start(self) -> Sinks:
        for fake in self.http:
            await fake.start()
        await self.smtp.start()
        return self

    async def stop(self) -> None:
        for fake in self.http:
            await fake.stop()
        await self.smtp.stop()

    async def __aenter__(self) -> Sinks:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what arrived
    @property
    def received(self) -> list[Received]:
        """Every accepted message, across providers, in arrival order."""
        items = [r for fake in (*self.http, self.smtp) for r in fake.received]
        return sorted(items, key=lambda r: r.at)

    def by_channel(self, channel: str) -> list[Received]:
        return [r for r in self.received if r.channel == channel]

    def per_recipient(self) -> Counter[tuple[str, str]]:
        """Messages per (channel, address)."""
        return Counter((r.channel, r.to) for r in self.received)

    @property
    def counts(self) -> Counter[str]:
        """Messages accepted per channel (kept in fast mode too)."""
        counts: Counter[str] = Counter()
        for fake in (*self.http, self.smtp):
            counts[fake.channel] += fake.accepted
        return +counts

    @property
    def requests(self) -> Counter[str]:
        """Attempts per channel (HTTP requests on the provider's route, SMTP RCPTs)."""
        counts: Counter[str] = Counter()
        for fake in (*self.http, self.smtp):
            counts[fake.channel] += fake.request_count
        return +counts

    @property
    def scripts(self) -> dict[str, Script]:
        """The fault script per channel, of the provider ``notify_env()`` configures."""
        fakes = (self.kannel, self.telegram, self.whatsapp, self.webhook, self.smtp)
        return {fake.channel: fake.script for fake in fakes}

    # --- configuration for notify
    def notify_settings(self, sms: str = "kannel") -> dict[str, Any]:
        """Settings for ``notify_service.channels.build_channels`` (SMS via ``kannel`` or
        ``http_sms``)."""
        settings: dict[str, Any] = {
            "smtp_host": self.smtp.host,
            "smtp_port": self.smtp.port,
            "telegram_base_url": self.telegram.base_url,
            "telegram_bot_token": self.telegram.token,
            "whatsapp_base_url": self.whatsapp.base_url,
            "whatsapp_token": self.whatsapp.token,
            "whatsapp_phone_number_id": self.whatsapp.phone_number_id,
            "webhook_secret": self.webhook.secret,
        }
        if sms == "kannel":
            settings |= {
                "kannel_url": self.kannel.url,
                "kannel_username": self.kannel.username,
                "kannel_password": self.kannel.password,
            }
        else:
            settings |= {"http_sms_url": self.http_sms.url, "http_sms_token": self.http_sms.token}
        return settings

    def notify_env(self, sms: str = "kannel") -> dict[str, str]:
        """The same as ``NOTIFY_*`` environment variables, for a notify process."""
        return {f"NOTIFY_{k.upper()}": str(v) for k, v in self.notify_settings(sms).items()}
