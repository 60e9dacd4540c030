"""Fake provider gateways for tests: real servers on 127.0.0.1 speaking each provider's
protocol, strict about request shapes, recording what a phone or mailbox would show.

* :class:`KannelGateway` — Kannel smsbox ``GET /cgi-bin/sendsms`` (answers as gw/smsbox.c)
* :class:`HttpSmsGateway` — the generic JSON SMS API (honours ``reference`` idempotency)
* :class:`TelegramGateway` — Bot API ``POST /bot<token>/sendMessage``
* :class:`WhatsAppGateway` — Cloud API ``POST /<version>/<phone_number_id>/messages``
* :class:`WebhookReceiver` — verifies ``X-Timpora-Signature`` (HMAC-SHA256 of the body)
* :class:`SmtpGateway` — an aiosmtpd SMTP server

Every gateway keeps ``requests`` (everything that arrived, for exact-shape assertions)
and ``received`` (accepted messages only), and obeys a :class:`Script`::

    gw.script.fail(2, status=500)   # the next two requests get 500, then success
    gw.script.fail(1, status=429, retry_after=3)
    gw.script.hang(1)               # hold the next request (client times out)
    gw.script.down = True           # every request gets 503 until reset
    await gw.go_down(); await gw.come_up()   # really stop listening (connection refused)

Start with ``async with KannelGateway() as gw:`` or ``await gw.start()``/``stop()``;
``gw.base_url`` / ``gw.port`` point a client at it (ephemeral port, no collisions).
:class:`Gateways` runs all of them together and says how to configure notify for them
(``notify_env()`` for a subprocess, ``notify_settings()`` for ``build_channels``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

HANG = "hang"


@dataclass
class Received:
    """One message as the recipient would see it."""

    channel: str
    to: str
    text: str
    subject: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # arrival, to merge gateways in order


@dataclass
class RecordedRequest:
    """One HTTP request exactly as it arrived."""

    method: str
    path: str
    query: dict[str, str]
    query_list: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Script:
    """What the gateway does with the next requests, before answering normally."""

    failures: list[int | str] = field(default_factory=list)  # statuses, or HANG
    down: bool = False  # answer every request with 503 (SMTP: 421)
    delay: float = 0.0  # seconds before every normal answer
    retry_after: float | None = None  # sent with scripted 429/503 answers
    hang_seconds: float = 30.0

    def fail(self, times: int = 1, status: int = 500, retry_after: float | None = None) -> Script:
        self.failures += [status] * times
        if retry_after is not None:
            self.retry_after = retry_after
        return self

    def hang(self, times: int = 1, seconds: float = 30.0) -> Script:
        self.failures += [HANG] * times
        self.hang_seconds = seconds
        return self

    def reset(self) -> None:
        self.failures.clear()
        self.down, self.delay, self.retry_after = False, 0.0, None

    def next_failure(self) -> int | str | None:
        if self.down:
            return 503
        return self.failures.pop(0) if self.failures else None


def _bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class _QuietServer(uvicorn.Server):
    """uvicorn without signal handling: tests own the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def,override]
        yield


class HttpGateway:
    """Base: a Starlette app on uvicorn in a background task of the running loop."""

    channel = "http"

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.requests: list[RecordedRequest] = []
        self.peers: list[tuple[str, int] | None] = []  # client address per request
        self.script = Script()
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._ids = 0

    # --- lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, port: int | None = None) -> HttpGateway:
        sock = _bind(self.port if port is None else port)
        self.port = sock.getsockname()[1]
        self._stopping = asyncio.Event()
        config = uvicorn.Config(
            Starlette(routes=self.routes()),
            log_level="warning",
            access_log=False,  # Kannel's password is in the query string
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.should_exit = True
        if self._task:
            with contextlib.suppress(asyncio.CancelledError, SystemExit):
                await self._task
        self._server, self._task = None, None

    async def go_down(self) -> None:
        """Stop listening, keeping the port: clients get 'connection refused'."""
        await self.stop()

    async def come_up(self) -> None:
        await self.start(self.port)

    async def __aenter__(self) -> HttpGateway:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- for subclasses
    def routes(self) -> list[Route]:
        raise NotImplementedError

    def error_response(self, status: int, retry_after: float | None) -> Response:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return PlainTextResponse(f"scripted failure {status}", status, headers=headers)

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def record(self, item: Received) -> None:
        self.received.append(item)

    async def intercept(self, request: Request) -> tuple[RecordedRequest, Response | None]:
        """Record the request, then play the script; no response means answer normally."""
        recorded = RecordedRequest(
            request.method,
            request.url.path,
            dict(request.query_params),
            list(request.query_params.multi_items()),
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
        )
        self.requests.append(recorded)
        self.peers.append(tuple(request.client) if request.client else None)  # type: ignore[arg-type]
        failure = self.script.next_failure()
        if failure == HANG:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.script.hang_seconds)
            return recorded, PlainTextResponse("too late", 504)
        if isinstance(failure, int):
            return recorded, self.error_response(failure, self.script.retry_after)
        if self.script.delay:
            await asyncio.sleep(self.script.delay)
        return recorded, None

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]


# --------------------------------------------------------------------------- Kannel

KANNEL_PARAMS = frozenset(
    [
        "username",
        "password",
        "from",
        "to",
        "text",
        "charset",
        "udh",
        "smsc",
        "flash",
        "mclass",
        "mwi",
        "compress",
        "coding",
        "validity",
        "deferred",
        "dlr-mask",
        "dlrmask",
        "dlr-url",
        "dlrurl",
        "pid",
        "alt-dcs",
        "rpi",
        "account",
        "binfo",
        "priority",
        "meta-data",
    ]
)


class KannelGateway(HttpGateway):
    """Kannel smsbox's sendsms interface, validating as gw/smsbox.c does.

    Success: 202 ``0: Accepted for delivery`` (``queue=True``: ``3: Queued for later
    delivery``). Errors: 403 ``Authorization failed for sendsms``, 400 ``Missing
    receiver number, rejected`` / ``... field misformed, rejected``; scripted 5xx answer
    ``Temporal failure, try again later.`` (503) or ``Sending failed.`` (500).
    Unknown parameters are rejected (400) so a client drifting from the contract fails.
    """

    channel = "sms"

    def __init__(self, username: str = "timpora", password: str = "kannel-pass") -> None:
        super().__init__()
        self.username, self.password = username, password
        self.queue = False

    def routes(self) -> list[Route]:
        return [Route("/cgi-bin/sendsms", self._sendsms, methods=["GET", "POST"])]

    def error_response(self, status: int, retry_after: float | None) -> Response:
        text = {
            503: "Temporal failure, try again later.",
            500: "Sending failed.",
            403: "Not routable. Do not try again.",
        }.get(status, "Wrong sendsms args, rejected")
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return PlainTextResponse(text, status, headers=headers)

    def _invalid(self, q: dict[str, str], names: list[str]) -> Response | None:
        unknown = sorted(set(names) - KANNEL_PARAMS)
        if unknown:
            return PlainTextResponse(f"Unknown parameter(s) {', '.join(unknown)}, rejected", 400)
        if len(names) != len(set(names)):
            return PlainTextResponse("Repeated parameter, rejected", 400)
        if (q.get("username"), q.get("password")) != (self.username, self.password):
            return PlainTextResponse("Authorization failed for sendsms", 403)
        if "to" not in q:
            return PlainTextResponse("Missing receiver number, rejected", 400)
        if not q["to"].strip():
            return PlainTextResponse("Empty receiver number not allowed, rejected", 400)
        if "text" not in q and "udh" not in q:
            return PlainTextResponse("Wrong sendsms args, rejected", 400)
        checks = {"coding": range(-1, 3), "dlr-mask": range(-1, 67), "mclass": range(-1, 4)}
        for name, allowed in checks.items():
            if name in q and (not q[name].lstrip("-").isdigit() or int(q[name]) not in allowed):
                label = {"dlr-mask": "DLR-Mask", "mclass": "MClass"}.get(name, "Coding")
                return PlainTextResponse(f"{label} field misformed, rejected", 400)
        if q.get("dlr-url") and not q["dlr-url"].lower().startswith(("http://", "https://")):
            return PlainTextResponse("DLR-URL field misformed, rejected", 400)
        return None

    async def _sendsms(self, request: Request) -> Response:
        _, failure = await self.intercept(request)
        if failure is not None:
            return failure
        q = dict(request.query_params)
        names = [k for k, _ in request.query_params.multi_items()]
        if invalid := self._invalid(q, names):
            return invalid
        text = q.get("text", "")
        meta = {k: v for k, v in q.items() if k not in ("username", "password", "text", "to")}
        meta.setdefault("coding", "0")
        self.record(Received("sms", q["to"], text, meta=meta))
        answer = "3: Queued for later delivery" if self.queue else "0: Accepted for delivery"
        return PlainTextResponse(answer, 202)


# --------------------------------------------------------------------------- HTTP SMS


class HttpSmsGateway(HttpGateway):
    """JSON ``POST /sms`` ``{to, message, reference}`` with ``Authorization: Bearer``.

    A repeated ``reference`` returns the first id and is not delivered again (the
    provider-side idempotency the client relies on).
    """

    channel = "sms"

    def __init__(self, token: str = "http-sms-token") -> None:
        super().__init__()
        self.token = token
        self.by_reference: dict[str, str] = {}

    def routes(self) -> list[Route]:
        return [Route("/sms", self._send, methods=["POST"])]

    def error_response(self, status: int, retry_after: float | None) -> Response:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return JSONResponse({"error": f"scripted {status}"}, status, headers=headers)

    async def _send(self, request: Request) -> Response:
        recorded, failure = await self.intercept(request)
        if failure is not None:
            return failure
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"error": "unauthorized"}, 401)
        try:
            body = recorded.json()
        except ValueError:
            return JSONResponse({"error": "invalid json"}, 400)
        if not isinstance(body, dict) or set(body) != {"to", "message", "reference"}:
            return JSONResponse({"error": "expected {to, message, reference}"}, 422)
        if body["reference"] in self.by_reference:
            return JSONResponse({"id": self.by_reference[body["reference"]], "duplicate": True})
        message_id = f"sms-{self.next_id()}"
        self.by_reference[body["reference"]] = message_id
        self.record(Received("sms", body["to"], body["message"], meta={"id": message_id}))
        return JSONResponse({"id": message_id}, 201)


# --------------------------------------------------------------------------- Telegram


class TelegramGateway(HttpGateway):
    """Bot API ``sendMessage``: token in the path, JSON body, Telegram's answer shapes."""

    channel = "telegram"

    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        super().__init__()
        self.token = token

    def routes(self) -> list[Route]:
        return [Route("/bot{token}/sendMessage", self._send, methods=["POST"])]

    def error_response(self, status: int, retry_after: float | None) -> Response:
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            wait = int(retry_after if retry_after is not None else 5)
            body |= {"description": f"Too Many Requests: retry after {wait}"}
            body["parameters"] = {"retry_after": wait}
        else:
            body["description"] = {500: "Internal Server Error", 502: "Bad Gateway"}.get(
                status, "Bad Request: scripted"
            )
        return JSONResponse(body, status)

    @staticmethod
    def _bad(description: str, code: int = 400) -> Response:
        return JSONResponse({"ok": False, "error_code": code, "description": description}, code)

    def _check_markup(self, markup: Any) -> str | None:
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            return "Bad Request: inline keyboard must be an array of arrays"
        for button in (b for row in rows for b in row):
            data = button.get("callback_data", "") if isinstance(button, dict) else None
            if data is None or not button.get("text") or not 1 <= len(data.encode()) <= 64:
                return "Bad Request: BUTTON_DATA_INVALID"
        return None

    async def _send(self, request: Request) -> Response:
        recorded, failure = await self.intercept(request)
        if failure is not None:
            return failure
        if request.path_params["token"] != self.token:
            return self._bad("Unauthorized", 401)
        try:
            body = recorded.json()
        except ValueError:
            return self._bad("Bad Request: invalid JSON")
        chat_id, text = body.get("chat_id"), body.get("text")
        if not isinstance(chat_id, int | str) or isinstance(chat_id, bool) or chat_id == "":
            return self._bad("Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._bad("Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._bad("Bad Request: message is too long")
        if "reply_markup" in body and (problem := self._check_markup(body["reply_markup"])):
            return self._bad(problem)
        message_id = self.next_id()
        self.record(Received("telegram", str(chat_id), text, meta=body))
        chat = {"id": chat_id, "type": "private"}
        return JSONResponse({"ok": True, "result": {"message_id": message_id, "chat": chat}})


# --------------------------------------------------------------------------- WhatsApp


class WhatsAppGateway(HttpGateway):
    """Cloud API ``messages``: Bearer token, phone number id in the path, Graph errors."""

    channel = "whatsapp"

    def __init__(self, token: str = "wa-test-token", phone_number_id: str = "109876") -> None:
        super().__init__()
        self.token, self.phone_number_id = token, phone_number_id

    def routes(self) -> list[Route]:
        return [Route("/{version}/{phone_id}/messages", self._send, methods=["POST"])]

    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "T"}
        return JSONResponse({"error": error}, status)

    def error_response(self, status: int, retry_after: float | None) -> Response:
        code = {429: 130429, 500: 131000, 503: 131016}.get(status, 100)
        return self._error(status, code, f"scripted {status}")

    async def _send(self, request: Request) -> Response:
        recorded, failure = await self.intercept(request)
        if failure is not None:
            return failure
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token.")
        if request.path_params["phone_id"] != self.phone_number_id:
            return self._error(400, 100, "Unsupported post request.")
        if not request.path_params["version"].startswith("v"):
            return self._error(400, 2500, "Unknown path components")
        try:
            body = recorded.json()
        except ValueError:
            return self._error(400, 100, "Invalid JSON")
        text = body.get("text") if isinstance(body.get("text"), dict) else {}
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "text":
            return self._error(400, 100, "Invalid parameter")
        to, message = body.get("to"), text.get("body")
        if not isinstance(to, str) or not to.lstrip("+").isdigit():
            return self._error(400, 131009, "Parameter value is not valid")
        if not isinstance(message, str) or not message or len(message) > 4096:
            return self._error(400, 131009, "Parameter value is not valid")
        wamid = f"wamid.TEST{self.next_id()}"
        self.record(Received("whatsapp", to, message, meta={"id": wamid}))
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": wamid}],
            }
        )


# --------------------------------------------------------------------------- webhook


class WebhookReceiver(HttpGateway):
    """Accepts ``POST /hook`` (any path below it) when the HMAC signature verifies."""

    channel = "webhook"

    def __init__(self, secret: str = "hook-secret") -> None:
        super().__init__()
        self.secret = secret
        self.deliveries: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    def routes(self) -> list[Route]:
        return [
            Route("/hook", self._receive, methods=["POST"]),
            Route("/hook/{rest:path}", self._receive, methods=["POST"]),
        ]

    async def _receive(self, request: Request) -> Response:
        recorded, failure = await self.intercept(request)
        if failure is not None:
            return failure
        body = recorded.body
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-timpora-signature", "")):
            return PlainTextResponse("bad signature", 401)
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return PlainTextResponse("expected application/json", 415)
        try:
            json.loads(body)
        except ValueError:
            return PlainTextResponse("invalid json", 400)
        key = request.headers.get("x-timpora-delivery", "")
        self.deliveries[key] += 1
        self.record(Received("webhook", str(request.url), body.decode(), meta={"delivery": key}))
        return PlainTextResponse("ok")


# --------------------------------------------------------------------------- SMTP


class _SmtpHandler:
    def __init__(self, gateway: SmtpGateway) -> None:
        self.gateway = gateway

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        session.host_name = hostname
        self.gateway.connections += 1  # one EHLO per connection (no STARTTLS here)
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # type: ignore[no-untyped-def]
        if self.gateway.drop_on_mail:  # as a server dropping a client idle too long
            self.gateway.drop_on_mail -= 1
            server.transport.close()
            return "421 4.4.2 never sent"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        failure = self.gateway.script.next_failure()
        if failure == 503:
            return "421 4.3.2 Service not available"
        if isinstance(failure, int):
            text = "4.2.0 Try again later" if failure < 500 else "5.1.1 User unknown"
            return f"{failure} {text}"
        if failure == HANG:
            await asyncio.sleep(self.gateway.script.hang_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.gateway.data_received += 1
        if self.gateway.drop_on_data:  # the message arrived; the reply never does
            self.gateway.drop_on_data -= 1
            server.transport.close()
            return "451 4.3.0 never sent"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.gateway.messages.append(message)
        body = message.get_body(("plain",))
        text = body.get_content() if body else ""
        for rcpt in envelope.rcpt_tos:
            self.gateway.received.append(
                Received(
                    "email",
                    rcpt,
                    text,
                    subject=str(message["Subject"]),
                    meta={
                        "message_id": str(message["Message-ID"]),
                        "mail_from": envelope.mail_from,
                    },
                )
            )
        return "250 Message accepted for delivery"


class SmtpGateway:
    """An SMTP server (aiosmtpd, in its own thread) keeping every message.

    Script: ``fail(1, 450)`` answers RCPT with 450 (greylisting), ``fail(1, 550)`` with
    550 (unknown user); ``down`` answers 421. ``drop_on_mail``/``drop_on_data``: close the
    connection without a reply on the next N MAIL commands / message contents.
    ``connections`` counts connections (EHLOs), ``data_received`` message contents.
    """

    channel = "email"

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.messages: list[EmailMessage] = []
        self.script = Script()
        self.connections = 0
        self.data_received = 0
        self.drop_on_mail = 0
        self.drop_on_data = 0
        self.port = 0
        self._controller: Controller | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    async def start(self) -> SmtpGateway:
        with socket.socket() as s:  # aiosmtpd needs a concrete port
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self._controller.start)
        return self

    async def stop(self) -> None:
        if self._controller:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None

    async def __aenter__(self) -> SmtpGateway:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


# --------------------------------------------------------------------------- all of them


class Gateways:
    """Every fake provider at once, for end-to-end tests of the notify service."""

    def __init__(self) -> None:
        self.kannel = KannelGateway()
        self.http_sms = HttpSmsGateway()
        self.telegram = TelegramGateway()
        self.whatsapp = WhatsAppGateway()
        self.webhook = WebhookReceiver()
        self.smtp = SmtpGateway()

    @property
    def http(self) -> list[HttpGateway]:
        return [self.kannel, self.http_sms, self.telegram, self.whatsapp, self.webhook]

    async def start(self) -> Gateways:
        for gateway in self.http:
            await gateway.start()
        await self.smtp.start()
        return self

    async def stop(self) -> None:
        for gateway in self.http:
            await gateway.stop()
        await self.smtp.stop()

    async def __aenter__(self) -> Gateways:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def received(self) -> list[Received]:
        """Everything delivered, across gateways, in arrival order."""
        items = [r for g in (*self.http, self.smtp) for r in g.received]
        return sorted(items, key=lambda r: r.at)

    def by_channel(self, channel: str) -> list[Received]:
        return [r for r in self.received if r.channel == channel]

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
                "kannel_url": f"{self.kannel.base_url}/cgi-bin/sendsms",
                "kannel_username": self.kannel.username,
                "kannel_password": self.kannel.password,
            }
        else:
            settings |= {
                "http_sms_url": f"{self.http_sms.base_url}/sms",
                "http_sms_token": self.http_sms.token,
            }
        return settings

    def notify_env(self, sms: str = "kannel") -> dict[str, str]:
        """The same as ``NOTIFY_*`` environment variables, for a notify subprocess."""
        return {f"NOTIFY_{k.upper()}": str(v) for k, v in self.notify_settings(sms).items()}
