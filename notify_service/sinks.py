"""Local delivery sinks that speak each provider's API: Kannel ``sendsms``, Telegram Bot API,
WhatsApp Cloud API, a signed webhook receiver, and an SMTP server (aiosmtpd).

They record what a phone or mailbox would show. Used by the live demo (``scripts/run
--demo``) and by the integration tests, which can script failures ("500 three times, then
accept") or take a gateway down. They check the request shapes strictly, so a client that
drifts from the provider's contract fails loudly here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


@dataclass
class Received:
    channel: str
    to: str
    text: str
    subject: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Script:
    """Scripted behaviour of one gateway: fail the next N requests, or be down."""

    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer, in order
    down: bool = False
    delay: float = 0.0  # seconds to hold each answer (after recording the message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sinks:
    KANNEL_USER, KANNEL_PASSWORD = "timpora", "sinkpass"
    TELEGRAM_TOKEN = "123456:SINK"  # noqa: S105
    WHATSAPP_TOKEN, WHATSAPP_PHONE_ID = "wa-sink-token", "1099"
    WEBHOOK_SECRET = "hook-secret"  # noqa: S105

    def __init__(self, on_receive: Callable[[Received], None] | None = None) -> None:
        self.received: list[Received] = []
        self.scripts: dict[str, Script] = {
            c: Script() for c in ("sms", "telegram", "whatsapp", "webhook", "email")
        }
        self.requests: dict[str, int] = dict.fromkeys(self.scripts, 0)
        self.on_receive = on_receive
        self.http_port = free_port()
        self.smtp_port = free_port()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._smtp: Controller | None = None
        self._message_ids = 0

    # --- what the services are configured with ---
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def notify_env(self) -> dict[str, str]:
        """NOTIFY_* settings pointing the notify service at these sinks."""
        return self.notify_env_for(self.base_url, self.smtp_port)

    @classmethod
    def notify_env_for(cls, base_url: str, smtp_port: int) -> dict[str, str]:
        """NOTIFY_* settings for HTTP providers at ``base_url`` and SMTP at ``smtp_port``."""
        return {
            "NOTIFY_KANNEL_URL": f"{base_url}/cgi-bin/sendsms",
            "NOTIFY_KANNEL_USERNAME": cls.KANNEL_USER,
            "NOTIFY_KANNEL_PASSWORD": cls.KANNEL_PASSWORD,
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(smtp_port),
            "NOTIFY_TELEGRAM_BASE_URL": base_url,
            "NOTIFY_TELEGRAM_BOT_TOKEN": cls.TELEGRAM_TOKEN,
            "NOTIFY_WHATSAPP_BASE_URL": base_url,
            "NOTIFY_WHATSAPP_TOKEN": cls.WHATSAPP_TOKEN,
            "NOTIFY_WHATSAPP_PHONE_NUMBER_ID": cls.WHATSAPP_PHONE_ID,
            "NOTIFY_WEBHOOK_SECRET": cls.WEBHOOK_SECRET,
        }

    def by_channel(self, channel: str) -> list[Received]:
        return [r for r in self.received if r.channel == channel]

    # --- behaviour ---
    def _record(self, item: Received) -> None:
        self.received.append(item)
        if self.on_receive:
            self.on_receive(item)

    def _scripted(self, channel: str) -> Response | None:
        self.requests[channel] += 1
        script = self.scripts[channel]
        if script.down:
            return PlainTextResponse("gateway down", 503)
        if script.fail_next:
            return PlainTextResponse("scripted failure", script.fail_next.pop(0))
        return None

    def _next_id(self) -> int:
        self._message_ids += 1
        return self._message_ids

    async def _kannel(self, request: Request) -> Response:
        if failure := self._scripted("sms"):
            return failure
        q = request.query_params
        if (q.get("username"), q.get("password")) != (self.KANNEL_USER, self.KANNEL_PASSWORD):
            return PlainTextResponse("Authorization failed for sendsms", 403)
        if not q.get("to") or "text" not in q:
            return PlainTextResponse("Missing receiver number", 400)
        self._record(Received("sms", q["to"], q["text"], meta={"coding": q.get("coding", "0")}))
        await asyncio.sleep(self.scripts["sms"].delay)
        return PlainTextResponse("0: Accepted for delivery", 202)

    async def _telegram(self, request: Request) -> Response:
        if request.path_params["token"] != self.TELEGRAM_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        if failure := self._scripted("telegram"):
            return JSONResponse(
                {"ok": False, "error_code": failure.status_code, "description": "scripted"},
                failure.status_code,
            )
        body = await request.json()
        if not isinstance(body.get("chat_id"), str | int) or not body.get("text"):
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request"}, 400)
        self._record(Received("telegram", str(body["chat_id"]), body["text"], meta=body))
        return JSONResponse({"ok": True, "result": {"message_id": self._next_id()}})

    async def _whatsapp(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.WHATSAPP_TOKEN}":
            return JSONResponse(
                {"error": {"message": "Invalid OAuth access token", "code": 190}}, 401
            )
        if request.path_params["phone_id"] != self.WHATSAPP_PHONE_ID:
            return JSONResponse({"error": {"message": "Unknown phone number id", "code": 100}}, 400)
        if failure := self._scripted("whatsapp"):
            return failure
        body = await request.json()
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "text":
            return JSONResponse({"error": {"message": "Invalid parameter", "code": 100}}, 400)
        self._record(Received("whatsapp", body["to"], body["text"]["body"]))
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.SINK{self._next_id()}"}],
            }
        )

    async def _webhook(self, request: Request) -> Response:
        if failure := self._scripted("webhook"):
            return failure
        body = await request.body()
        expected = (
            "sha256=" + hmac.new(self.WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(expected, request.headers.get("x-timpora-signature", "")):
            return PlainTextResponse("bad signature", 401)
        self._record(
            Received("webhook", str(request.url), body.decode(), meta=dict(request.headers))
        )
        return PlainTextResponse("ok")

    # --- lifecycle ---
    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/cgi-bin/sendsms", self._kannel, methods=["GET"]),
                Route("/bot{token}/sendMessage", self._telegram, methods=["POST"]),
                Route("/{version}/{phone_id}/messages", self._whatsapp, methods=["POST"]),
                Route("/hook", self._webhook, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.http_port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 - uvicorn exposes no event
            await asyncio.sleep(0.02)
        self._smtp = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.smtp_port)
        self._smtp.start()

    async def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._smtp:
            self._smtp.stop()


class _SmtpHandler:
    def __init__(self, sinks: Sinks) -> None:
        self.sinks = sinks

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        script = self.sinks.scripts["email"]
        self.sinks.requests["email"] += 1
        if script.down:
            return "421 Service not available"
        if script.fail_next:
            return f"{script.fail_next.pop(0)} scripted failure"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(("plain",))
        for rcpt in envelope.rcpt_tos:
            self.sinks._record(
                Received(
                    "email",
                    rcpt,
                    body.get_content() if body else "",
                    subject=str(message["Subject"]),
                    meta={"message_id": str(message["Message-ID"]), "from": envelope.mail_from},
                )
            )
        return "250 Message accepted for delivery"
