"""Minimal provider sinks for the benchmark: the same kind of sink for the pipeline and for
Alertmanager.

``notify_service.sinks.Sinks`` (starlette + uvicorn, aiosmtpd in a thread, every request
checked strictly and every e-mail parsed) is what the integration tests use to pin the
providers' contracts. In a benchmark on two cores it competed with the services it
measured (~0.3 ms of CPU per delivery, more than PostgreSQL), while Alertmanager's webhook
went to a bare HTTP server. Here every provider gets the bare kind: HTTP/1.1 keep-alive
and SMTP, answered as the provider answers (Kannel ``0: Accepted``, Bot API and Cloud API
JSON, ``250`` per SMTP command), each message counted per channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import Callable

from notify_service.sinks import Sinks, free_port

Answer = tuple[bytes, bytes, bytes]  # status line, content type, body


class _Server:
    """A TCP server on a free local port; subclasses implement ``_serve``."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class HttpSink(_Server):
    """HTTP/1.1 keep-alive (Content-Length or chunked bodies); ``answer(method, target,
    body)`` gives the reply."""

    def __init__(self, answer: Callable[[bytes, bytes, bytes], Answer]) -> None:
        super().__init__()
        self.answer = answer

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *lines = head.split(b"\r\n")
                method, target, _ = request_line.split(b" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (x.partition(b":") for x in lines)
                }
                if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                    body = await _read_chunked(reader)
                else:
                    body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
                status, content_type, reply = self.answer(method, target, body)
                writer.write(
                    b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s"
                    % (status, content_type, len(reply), reply)
                )
                await writer.drain()
        finally:
            writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


class SmtpSink(_Server):
    """Enough SMTP (RFC 5321) for a pooled client: EHLO, MAIL, RCPT, DATA (dot-terminated),
    RSET, NOOP, QUIT; ``on_message()`` is called once per recipient of each message."""

    def __init__(self, on_message: Callable[[], None]) -> None:
        super().__init__()
        self.on_message = on_message

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 bench-sink ESMTP\r\n")
        recipients = 0
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    await writer.drain()
                    await reader.readuntil(b"\r\n.\r\n")
                    for _ in range(recipients):
                        self.on_message()
                    recipients = 0
                    writer.write(b"250 Message accepted for delivery\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    await writer.drain()
                    return
                else:
                    if verb == b"RCPT":
                        recipients += 1
                    elif verb in (b"MAIL", b"RSET"):
                        recipients = 0
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return
        finally:
            writer.close()


class BenchSinks:
    """Every provider the notify service is configured with, on bare servers: Kannel, the
    Telegram Bot API, the WhatsApp Cloud API and webhooks on one HTTP port, SMTP on another.
    ``counts`` holds the messages received per channel."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.http = HttpSink(self._answer)
        self.smtp = SmtpSink(self._count_email)
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}"

    def notify_env(self) -> dict[str, str]:
        """NOTIFY_* settings pointing the notify service here (same credentials as
        :class:`notify_service.sinks.Sinks`)."""
        return Sinks.notify_env_for(self.base_url, self.smtp.port)

    def _count_email(self) -> None:
        self.counts["email"] += 1

    def _answer(self, method: bytes, target: bytes, _body: bytes) -> Answer:
        path = target.split(b"?", 1)[0]
        if path == b"/cgi-bin/sendsms":
            channel, reply = "sms", (b"202 Accepted", b"text/plain", b"0: Accepted for delivery")
        elif path.endswith(b"/sendMessage"):
            body = b'{"ok":true,"result":{"message_id":%d}}' % next(self._ids)
            channel, reply = "telegram", (b"200 OK", b"application/json", body)
        elif path.endswith(b"/messages"):
            body = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.B%d"}]}' % next(
                self._ids
            )
            channel, reply = "whatsapp", (b"200 OK", b"application/json", body)
        elif path == b"/hook" and method == b"POST":
            channel, reply = "webhook", (b"200 OK", b"text/plain", b"ok")
        else:
            return b"404 Not Found", b"text/plain", b"unknown path"
        self.counts[channel] += 1
        return reply

    async def start(self) -> None:
        await self.http.start()
        await self.smtp.start()

    async def stop(self) -> None:
        await self.http.stop()
        await self.smtp.stop()
