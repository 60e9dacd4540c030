"""Email over SMTP (aiosmtplib): plain text, full details (it goes to team addresses).

The ``Message-ID`` is derived from the delivery key, so a retried send carries the same
id and mail systems and people can recognise the duplicate (and the delivery log can be
matched to a mailbox). STARTTLS or implicit TLS are optional, with a timeout.

Connections are kept and reused (connect, EHLO, STARTTLS and AUTH once, then one
MAIL/RCPT/DATA per message): a connection per message cost more than the message.
A connection idle for longer than ``IDLE_REUSE_S`` is closed rather than reused (servers
drop idle clients), and one in an unknown state after an error is discarded.

SMTP replies map to our errors by class: 4xx (greylisting, mailbox busy) is transient,
5xx (unknown user, relaying denied) permanent; connection problems and timeouts are
transient.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import ssl
import time
from email.header import Header
from email.utils import formatdate
from typing import Any

import aiosmtplib

from notify_service.channels.base import OutgoingMessage, PermanentError, SendResult, TransientError

IDLE_REUSE_S = 20.0  # well below common server idle timeouts (Postfix 300 s, aiosmtpd 300 s)
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
DELIVERY_HEADER = "X-Timpora-Delivery"


def message_id(delivery_key: str, sender: str) -> str:
    """``<readable-key.hash@sender-domain>``: valid RFC 5322 and stable per delivery."""
    domain = sender.rpartition("@")[2].strip(">") or "timpora.local"
    readable = re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+", ".", delivery_key).strip(".")[:64]
    digest = hashlib.sha256(delivery_key.encode()).hexdigest()[:12]
    return f"<{readable}.{digest}@{domain}>" if readable else f"<{digest}@{domain}>"


def one_line(value: str) -> str:
    """Header values never contain line breaks (header injection)."""
    return " ".join(value.split())


def _header_value(value: str) -> str:
    """ASCII as is; anything else as RFC 2047 encoded words (folded with CRLF)."""
    if value.isascii():
        return value
    return Header(value, "utf-8").encode().replace("\n", "\r\n")


class SmtpChannel:
    name = "email"
    provider = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
        *,
        use_tls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        pool_size: int = 16,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username or None, password or None
        self.starttls, self.use_tls, self.tls_context = starttls, use_tls, tls_context
        self.timeout = timeout
        self.pool_size = pool_size
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []  # (idle since, connection)
        self.connections_opened = 0  # for operators and tests

    def build(self, msg: OutgoingMessage) -> bytes:
        """The message as RFC 5322 bytes (CRLF), plain text in UTF-8.

        Written directly rather than through ``email.message.EmailMessage``, whose header
        registry cost ~1 ms per message. Header values are single lines (no injection);
        a non-ASCII subject is RFC 2047-encoded; a body that is not short-lined ASCII
        goes as base64.
        """
        headers = [
            ("From", one_line(self.sender)),
            ("To", one_line(msg.to_address)),
            ("Subject", _header_value(one_line(msg.subject))),
            ("Date", formatdate(localtime=False, usegmt=True)),
            ("Message-ID", message_id(msg.delivery_key, self.sender)),
            (DELIVERY_HEADER, _header_value(one_line(msg.delivery_key))),
            ("Auto-Submitted", "auto-generated"),  # RFC 3834: no auto-replies back
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
        ]
        lines = msg.text.splitlines() or [""]
        if msg.text.isascii() and all(len(line) <= 998 for line in lines):
            headers.append(("Content-Transfer-Encoding", "7bit"))
            body = "\r\n".join(lines)
        else:
            headers.append(("Content-Transfer-Encoding", "base64"))
            body = base64.encodebytes(msg.text.encode()).decode().replace("\n", "\r\n")
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        return f"{head}\r\n{body}\r\n".encode()

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not ADDRESS.match(msg.to_address.strip()):
            raise PermanentError("smtp: invalid recipient address")
        data = self.build(msg)
        recipient = msg.to_address.strip()
        client: aiosmtplib.SMTP | None = None
        state = "broken"  # how to check the connection back in: clean, reset, broken
        try:
            client = await self._checkout()
            await client.sendmail(self.sender, [recipient], data)
            state = "clean"
        except aiosmtplib.SMTPRecipientsRefused as exc:
            state = "clean"  # aiosmtplib sent RSET itself
            codes = [r.code for r in exc.recipients]
            error = f"smtp: recipient refused ({', '.join(map(str, codes))})"
            if codes and all(400 <= c < 500 for c in codes):
                raise TransientError(error) from exc
            raise PermanentError(error) from exc
        except aiosmtplib.SMTPResponseException as exc:
            state = "reset"  # a reply, so the session is in step; RSET before reuse
            error = f"smtp {exc.code}: {exc.message}"[:200]
            if 400 <= exc.code < 500:
                raise TransientError(error) from exc
            raise PermanentError(error) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(f"smtp: {type(exc).__name__}") from exc
        finally:
            if client is not None:
                await self._checkin(client, state)
        return SendResult(provider_message_id=message_id(msg.delivery_key, self.sender))

    async def _checkout(self) -> aiosmtplib.SMTP:
        """An idle connection used recently, or a new one (connect, EHLO, TLS, AUTH)."""
        while self._idle:
            since, client = self._idle.pop()
            if client.is_connected and time.monotonic() - since < IDLE_REUSE_S:
                return client
            await _close(client)
        client = aiosmtplib.SMTP(**self._options())
        await client.connect()
        self.connections_opened += 1
        return client

    async def _checkin(self, client: aiosmtplib.SMTP, state: str) -> None:
        if state != "broken" and client.is_connected and len(self._idle) < self.pool_size:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                if state == "reset":
                    await client.rset()
                self._idle.append((time.monotonic(), client))
                return
        await _close(client)

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "timeout": self.timeout,
            "use_tls": self.use_tls,
            "start_tls": self.starttls if not self.use_tls else False,
            "username": self.username,
            "password": self.password,
        }
        if self.tls_context is not None:
            options["tls_context"] = self.tls_context
        return options

    async def aclose(self) -> None:
        """QUIT every idle connection."""
        idle, self._idle = self._idle, []
        for _, client in idle:
            await _close(client)


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely; a connection that is already gone is just dropped."""
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            await client.quit()
    client.close()
