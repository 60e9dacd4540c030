"""Development tools, never shipped: fake providers and the demo scenario.

One fake per provider, each a real server on 127.0.0.1 speaking that provider's API,
strict about request shapes and recording what a phone or mailbox would show:

* :mod:`devtools.kannel` — Kannel smsbox ``GET /cgi-bin/sendsms``
* :mod:`devtools.http_sms` — the generic JSON SMS API (``reference`` idempotency)
* :mod:`devtools.telegram` — Bot API ``POST /bot<token>/sendMessage``
* :mod:`devtools.whatsapp` — Cloud API ``POST /<version>/<phone_number_id>/messages``
* :mod:`devtools.webhook` — the signed webhook (``X-Timpora-Signature``)
* :mod:`devtools.smtp` — an SMTP server
* :mod:`devtools.sinks` — all of them at once, with the ``NOTIFY_*`` settings for them
* :mod:`devtools.scenario` — the Tanah Bumbu scenario the demo plays and e2e tests check

Every fake keeps ``received`` (accepted messages, per recipient), plays a
:class:`~devtools.base.Script` of faults (fail, hang, down, delay), can really stop
listening (``go_down()``/``come_up()``), and has a ``fast`` mode for the benchmark (no
checks, nothing kept but counts). Start one with ``async with KannelGateway() as gw:``
or ``await gw.start()``/``stop()``; ``gw.base_url`` points a client at it.

Only the standard library and orjson (and ``notify_service.whatsapp_templates``, plain
data: the WhatsApp templates an office registers, so the fake and the sender agree): the
product's packages never import this one.
"""

from devtools.base import HANG, Received, Script, free_port, free_ports
from devtools.http_server import HttpServer, Request, Response
from devtools.http_sms import HttpSmsGateway
from devtools.kannel import KannelGateway
from devtools.sinks import Sinks
from devtools.smtp import SmtpGateway
from devtools.telegram import TelegramGateway
from devtools.webhook import WebhookReceiver
from devtools.whatsapp import WhatsAppGateway

__all__ = [
    "HANG",
    "HttpServer",
    "HttpSmsGateway",
    "KannelGateway",
    "Received",
    "Request",
    "Response",
    "Script",
    "Sinks",
    "SmtpGateway",
    "TelegramGateway",
    "WebhookReceiver",
    "WhatsAppGateway",
    "free_port",
    "free_ports",
]
