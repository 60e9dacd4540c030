"""Fake SMTP server (RFC 5321, answering as aiosmtpd 1.4 does), on asyncio streams in the
running loop.

Greeting ``220``; ``EHLO`` advertises ``SIZE 33554432``, ``8BITMIME``, ``STARTTLS`` and
``AUTH PLAIN`` when configured (below) and ``HELP`` (no ``SMTPUTF8``); ``HELO``, ``MAIL
FROM:<...>`` (parameters ``SIZE``, ``BODY=7BIT|8BITMIME``), ``RCPT TO:<...>``, ``DATA``
(dot-terminated, dot-unstuffed), ``RSET``, ``NOOP``, ``QUIT``. Checked as aiosmtpd
checks them: ``503`` for a command out of sequence (MAIL before EHLO, RCPT before MAIL,
DATA before RCPT, nested MAIL), ``501`` for a malformed address, ``555`` for unknown
parameters, ``500`` for an unknown command or a line longer than 1,000 characters (RFC
5321 4.5.3.1.6), ``552`` for too much data. Each accepted message is parsed (``email``,
``policy.default``): kept whole in ``messages`` and recorded once per recipient (``text``
= the plain-text part, ``meta["tls"]`` = the session's TLS version such as ``TLSv1.3``,
``""`` over plain text).

TLS, with a server context (``devtools.tls.TestCa(...).issue(...)`` makes one):
``starttls=context`` offers ``STARTTLS`` (RFC 3207: ``220``, the handshake, then a fresh
session: EHLO again, STARTTLS no longer offered); ``implicit_tls=context`` speaks TLS from
the first byte (port 465 style; a client refusing the certificate never gets a greeting).
``credentials=(user, password)`` requires ``AUTH PLAIN`` before MAIL (``530``), offered
and accepted only over TLS (``538 5.7.11`` otherwise, as aiosmtpd's
``auth_require_tls``); ``235`` or ``535 5.7.8``.

Script (on RCPT): ``fail(1, 450)`` answers ``450 4.2.0`` (greylisting), ``fail(1, 550)``
``550 5.1.1`` (unknown user), ``down`` ``421 4.3.2``, ``hang`` holds the reply.
``drop_on_mail`` / ``drop_on_data``: close the connection without a reply on the next N
MAIL commands / message contents (a server dropping an idle client; a message taken
whose reply never arrives). ``connections`` counts greetings (one per connection that
got past an implicit-TLS handshake), ``tls_sessions`` completed TLS handshakes,
``auth_attempts`` AUTH commands, ``data_received`` message contents, ``request_count``
RCPT commands.

``fast=True`` reads each message whole without checking or parsing it and only counts
recipients (``accepted``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Self

from devtools.base import HANG, OnReceive, Received, Recorder, TcpServer

LINE_LIMIT = 1001  # 1,000 characters and CRLF; aiosmtpd's limit for commands and data
SIZE_LIMIT = 33554432
MAIL_FROM = re.compile(r"FROM:\s*<([^<>]*)>(.*)", re.IGNORECASE)
RCPT_TO = re.compile(r"TO:\s*<([^<>]+)>(.*)", re.IGNORECASE)


@dataclass
class _Session:
    helo: str | None = None
    mail_from: str | None = None
    rcpts: list[str] = field(default_factory=list)
    tls: str = ""  # the TLS version once encrypted
    authenticated: bool = False

    def reset(self) -> None:
        self.mail_from, self.rcpts = None, []


class SmtpGateway(Recorder, TcpServer):
    """An SMTP server keeping every message (see the module docstring)."""

    channel = "email"

    def __init__(
        self,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ):
        Recorder.__init__(self, fast=fast, on_receive=on_receive)
        TcpServer.__init__(self, port)
        if starttls is not None and implicit_tls is not None:
            raise ValueError("STARTTLS or implicit TLS, not both")
        self.starttls, self.implicit_tls, self.credentials = starttls, implicit_tls, credentials
        self.messages: list[EmailMessage] = []
        self.connections = 0
        self.tls_sessions = 0
        self.auth_attempts = 0
        self.data_received = 0
        self.request_count = 0
        self.drop_on_mail = 0
        self.drop_on_data = 0

    async def start(self, port: int | None = None) -> Self:
        """Listen; with ``implicit_tls``, every connection starts with the TLS handshake."""
        if self.implicit_tls is None:
            return await super().start(port)
        self._server = await asyncio.start_server(
            self._connection,
            self.host,
            self.port if port is None else port,
            reuse_address=True,
            ssl=self.implicit_tls,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session()
        if self.implicit_tls is not None:
            session.tls = _tls_version(writer)
            self.tls_sessions += 1
        self.connections += 1
        writer.write(b"220 127.0.0.1 ESMTP devtools\r\n")
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # longer than the stream's buffer: not SMTP
                return
            if not line:
                return
            if len(line) > LINE_LIMIT:
                reply: str | None = "500 Error: line too long"
            else:
                verb, _, arg = line.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
                verb, arg = verb.upper(), arg.strip()
                if verb == "STARTTLS" and self.starttls is not None and not session.tls:
                    if not await self._start_tls(arg, session, writer):
                        return  # the client refused our certificate
                    continue
                reply = await self._command(verb, arg, session, reader, writer)
            if reply is None:  # the connection is dropped without a reply
                return
            writer.write(reply.encode() + b"\r\n")
            await writer.drain()
            if reply.startswith("221"):
                return

    async def _command(
        self,
        verb: str,
        arg: str,
        session: _Session,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> str | None:
        if verb in ("EHLO", "HELO"):
            if not arg:
                return f"501 Syntax: {verb} hostname"
            session.helo = arg
            session.reset()
            if verb == "HELO":
                return "250 127.0.0.1"
            lines = ["127.0.0.1", "SIZE 33554432", "8BITMIME"]
            if self.credentials is not None and session.tls:
                lines.append("AUTH PLAIN")
            if self.starttls is not None and not session.tls:
                lines.append("STARTTLS")
            return "\r\n".join(f"250-{line}" for line in lines) + "\r\n250 HELP"
        if verb == "AUTH":
            return await self._auth(arg, session, reader, writer)
        if verb == "RSET":
            session.reset()
            return "250 OK"
        if verb == "NOOP":
            return "250 OK"
        if verb == "QUIT":
            return "221 Bye"
        if verb == "MAIL":
            return self._mail(arg, session)
        if verb == "RCPT":
            return await self._rcpt(arg, session)
        if verb == "DATA":
            if session.helo is None:
                return "503 Error: send HELO first"
            if not session.rcpts:
                return "503 Error: need RCPT command"
            if arg:
                return "501 Syntax: DATA"
            writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            await writer.drain()
            return await self._data(session, reader)
        return f'500 Error: command "{verb}" not recognized'

    def _mail(self, arg: str, session: _Session) -> str | None:
        if session.helo is None:
            return "503 Error: send HELO first"
        if self.credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if self.drop_on_mail:
            self.drop_on_mail -= 1
            return None
        if session.mail_from is not None:
            return "503 Error: nested MAIL command"
        match = MAIL_FROM.fullmatch(arg)
        if match is None:
            return "501 Syntax: MAIL FROM: <address>"
        params = {k.upper(): v for k, _, v in (p.partition("=") for p in match[2].split())}
        body, size = params.pop("BODY", "7BIT"), params.pop("SIZE", "0")
        if body.upper() not in ("7BIT", "8BITMIME"):
            return "501 Error: BODY can only be one of 7BIT, 8BITMIME"
        if not size.isdigit():
            return "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]"
        if int(size) > SIZE_LIMIT:
            return "552 Error: message size exceeds fixed maximum message size"
        if params:
            return "555 MAIL FROM parameters not recognized or not implemented"
        session.mail_from = match[1]
        return "250 OK"

    async def _rcpt(self, arg: str, session: _Session) -> str:
        self.request_count += 1
        if session.helo is None:
            return "503 Error: send HELO first"
        if session.mail_from is None:
            return "503 Error: need MAIL command"
        match = RCPT_TO.fullmatch(arg)
        if match is None:
            return "501 Syntax: RCPT TO: <address>"
        if match[2].strip():
            return "555 RCPT TO parameters not recognized or not implemented"
        failure = self.script.next_failure()
        if failure == 503:
            return "421 4.3.2 Service not available"
        if isinstance(failure, int):
            text = "4.2.0 Try again later" if failure < 500 else "5.1.1 User unknown"
            return f"{failure} {text}"
        if failure == HANG:
            await asyncio.sleep(self.script.hang_seconds)
        session.rcpts.append(match[1])
        return "250 OK"

    async def _data(self, session: _Session, reader: asyncio.StreamReader) -> str | None:
        if self.fast:
            await reader.readuntil(b"\r\n.\r\n")
            content = b""
        else:
            content, problem = await _read_data(reader)
            if problem:
                session.reset()
                return problem
        self.data_received += 1
        if self.drop_on_data:
            self.drop_on_data -= 1
            return None
        rcpts, mail_from = session.rcpts, session.mail_from
        session.reset()
        if self.fast:
            self.accepted += len(rcpts)
        else:
            self._keep(content, rcpts, mail_from or "", session.tls)
        return "250 Message accepted for delivery"

    def _keep(self, content: bytes, rcpts: list[str], mail_from: str, tls: str) -> None:
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        body = message.get_body(("plain",))
        text = body.get_content() if body else ""
        meta = {"message_id": str(message["Message-ID"]), "mail_from": mail_from, "tls": tls}
        for rcpt in rcpts:
            item = Received("email", rcpt, text, subject=str(message["Subject"]), meta=meta)
            self.record(item)

    async def _start_tls(self, arg: str, session: _Session, writer: asyncio.StreamWriter) -> bool:
        """RFC 3207: ``220``, the handshake, then a fresh session (the client says EHLO
        again). False when the handshake failed (the client refused the certificate)."""
        assert self.starttls is not None
        if arg:
            writer.write(b"501 Syntax: STARTTLS\r\n")
            return True
        writer.write(b"220 Ready to start TLS\r\n")
        await writer.drain()
        try:
            await writer.start_tls(self.starttls)
        except OSError:  # ssl.SSLError included: the client hung up on our certificate
            return False
        session.helo, session.authenticated = None, False
        session.reset()
        session.tls = _tls_version(writer)
        self.tls_sessions += 1
        return True

    async def _auth(
        self,
        arg: str,
        session: _Session,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> str:
        """``AUTH PLAIN`` (RFC 4616; the initial response on the line or after ``334``),
        only over TLS."""
        if self.credentials is None:
            return '500 Error: command "AUTH" not recognized'
        self.auth_attempts += 1
        if session.helo is None:
            return "503 Error: send HELO first"
        if not session.tls:
            return "538 5.7.11 Encryption required for requested authentication mechanism"
        if session.authenticated:
            return "503 Already authenticated"
        mechanism, _, response = arg.partition(" ")
        if mechanism.upper() != "PLAIN":
            return "504 5.5.4 Unrecognized authentication type"
        if not response:
            writer.write(b"334 \r\n")
            await writer.drain()
            response = (await reader.readline()).decode("utf-8", "replace").strip()
        if response == "*":
            return "501 5.7.0 Auth aborted"
        try:
            _, user, password = base64.b64decode(response, validate=True).split(b"\0")
        except (binascii.Error, ValueError):
            return "501 5.5.2 Can't decode base64"
        if (user.decode(errors="replace"), password.decode(errors="replace")) != self.credentials:
            return "535 5.7.8 Authentication credentials invalid"
        session.authenticated = True
        return "235 2.7.0 Authentication successful"


def _tls_version(writer: asyncio.StreamWriter) -> str:
    ssl_object = writer.get_extra_info("ssl_object")
    return str(ssl_object.version()) if ssl_object is not None else ""


async def _read_data(reader: asyncio.StreamReader) -> tuple[bytes, str | None]:
    """The message up to the lone dot, dot-unstuffed; or the reason it is refused (read to
    the end anyway, as RFC 5321 4.2.5 implies)."""
    lines: list[bytes] = []
    size, problem, fragment = 0, None, False
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as e:  # longer than the stream's buffer
            await reader.readexactly(e.consumed)
            problem, fragment = problem or "500 Line too long (see RFC5321 4.5.3.1.6)", True
            continue
        if fragment:  # the end of that long line
            fragment = False
            continue
        if line == b".\r\n":
            return b"".join(lines), problem
        size += len(line)
        if len(line) > LINE_LIMIT:
            problem = problem or "500 Line too long (see RFC5321 4.5.3.1.6)"
        elif size > SIZE_LIMIT:
            problem = problem or "552 Error: Too much mail data"
        if problem is None:
            lines.append(line[1:] if line.startswith(b".") else line)
