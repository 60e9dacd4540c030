"""Email over SMTP (aiosmtplib): text and HTML alternatives, full details (it goes to
team addresses; the bytes are built in :mod:`notify_service.channels.smtp_message`).

The ``Message-ID`` is derived from the delivery key, so a retried send carries the same
id and mail systems and people can recognise the duplicate (and the delivery log can be
matched to a mailbox).

TLS (required in production by ``NotifySettings``): ``starttls`` (port 587) or ``use_tls``
(implicit TLS, port 465). The server's certificate is always verified, host name included
(``ssl.create_default_context``: TLS 1.2 or later); ``cafile`` (``NOTIFY_SMTP_CAFILE``)
names the CA certificates (PEM) to trust *instead of* the system's, for an office relay
with its own CA. A context that does not verify is refused. With STARTTLS configured, a
server that does not offer it is refused: there is no plain-text fallback. STARTTLS and
AUTH run in ``_connect`` after connecting, not through aiosmtplib's ``connect()`` options
(whose default, ``start_tls=None``, upgrades only if the server offers it and logs in
either way), so the order and the refusal are this module's, and tested. ``AUTH`` goes
only over an encrypted connection: a username without TLS is refused (here and by the
settings). A TLS refusal (untrusted CA, wrong host name, no STARTTLS) is transient:
nothing was sent; the delivery engine retries and finally records the failure, whose
error says why (``smtp: TLS certificate refused (Hostname mismatch, ...)``).

Connections are kept and reused (connect, EHLO, STARTTLS and AUTH once, then one
MAIL/RCPT/DATA per message): a connection per message cost more than the message.
Up to ``pool_size`` idle connections are kept (notify bounds sends in flight per channel;
the factory sizes the pool to that bound). A connection idle for longer than
``IDLE_REUSE_S`` is closed rather than reused (servers drop idle clients); one the server
dropped anyway, found dead on its first command (MAIL), is replaced once by a fresh
connection: nothing was sent yet. Never once DATA went out (the server may have taken the
message; a duplicate email is worse than a retry later). After an error reply the
connection is RSET and kept; after a timeout or a lost connection (unknown state) it is
discarded.

SMTP replies map to our errors by class: 4xx (greylisting, mailbox busy) is transient,
5xx (unknown user, relaying denied) permanent; connection problems and timeouts are
transient.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
from pathlib import Path

import aiosmtplib

from notify_service.channels.base import OutgoingMessage, PermanentError, SendResult, TransientError
from notify_service.channels.smtp_message import build_message, message_id

SMTP_POOL_SIZE = 16  # idle connections kept by default
QUIT_TIMEOUT_S = 2.0  # on close: a server that does not answer QUIT is just dropped
IDLE_REUSE_S = 20.0  # well below common server idle timeouts (Postfix 300 s, aiosmtpd 300 s)
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
ADDRESS_MAX = 254  # RFC 5321 4.5.3.1.3: a path is at most 256 characters with its <>


class TlsRefused(Exception):
    """The connection could not be made secure as configured (nothing was sent on it)."""


def client_tls_context(cafile: str | Path | None = None) -> ssl.SSLContext:
    """A verifying client context: certificate and host name checked, TLS 1.2 or later;
    only ``cafile``'s CAs are trusted when it is given, else the system's."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.minimum_version = max(context.minimum_version, ssl.TLSVersion.TLSv1_2)
    return context


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
        cafile: str | Path | None = None,
        tls_context: ssl.SSLContext | None = None,
        pool_size: int = SMTP_POOL_SIZE,
    ) -> None:
        if starttls and use_tls:
            raise ValueError("smtp: STARTTLS or implicit TLS, not both")
        if username and not (starttls or use_tls):
            raise ValueError("smtp: AUTH only over TLS (STARTTLS or implicit TLS)")
        if tls_context is not None and cafile is not None:
            raise ValueError("smtp: a CA file or a TLS context, not both")
        if tls_context is not None and not (
            tls_context.check_hostname and tls_context.verify_mode == ssl.CERT_REQUIRED
        ):
            raise ValueError("smtp: the TLS context must verify the certificate and host name")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username or None, password or None
        self.starttls, self.use_tls = starttls, use_tls
        self.tls_context = tls_context
        if self.tls_context is None and (starttls or use_tls):
            self.tls_context = client_tls_context(cafile)  # once: loading CAs takes ms
        self.timeout = timeout
        self.pool_size = pool_size
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []  # (idle since, connection)
        self.connections_opened = 0  # for operators and tests

    def build(self, msg: OutgoingMessage) -> bytes:
        """The message as RFC 5322 bytes: text and HTML alternatives (see smtp_message)."""
        return build_message(
            sender=self.sender,
            to_address=msg.to_address,
            subject=msg.subject,
            text=msg.text,
            delivery_key=msg.delivery_key,
        )

    async def send(self, msg: OutgoingMessage) -> SendResult:
        recipient = msg.to_address.strip()
        if len(recipient) > ADDRESS_MAX or not ADDRESS.match(recipient):
            raise PermanentError("smtp: invalid recipient address")
        data = self.build(msg)
        try:
            await self._transaction(recipient, data)
        except aiosmtplib.SMTPRecipientRefused as exc:
            error = f"smtp: recipient refused ({exc.code})"
            if 400 <= exc.code < 500:
                raise TransientError(error) from exc
            raise PermanentError(error) from exc
        except aiosmtplib.SMTPResponseException as exc:
            error = f"smtp {exc.code}: {exc.message}"[:200]
            if 400 <= exc.code < 500:
                raise TransientError(error) from exc
            raise PermanentError(error) from exc
        except UnicodeEncodeError as exc:  # a non-ASCII address (no SMTPUTF8 here)
            raise PermanentError("smtp: address is not ASCII") from exc
        except TlsRefused as exc:
            raise TransientError(f"smtp: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(_tls_failure(exc) or f"smtp: {type(exc).__name__}") from exc
        return SendResult(provider_message_id=message_id(msg.delivery_key, self.sender))

    async def _transaction(self, recipient: str, data: bytes) -> None:
        """MAIL, RCPT, DATA on a pooled connection (SMTP replies raise as aiosmtplib does).

        A reused connection found dead on MAIL (the server dropped it while it was idle and
        we had not noticed yet) is replaced once by a fresh one: nothing was sent on it.
        Never later: once DATA went out the server may have taken the message, and a
        duplicate email is worse than a retry later.
        """
        client, reused = await self._checkout()
        state = "broken"  # how to check the connection back in: clean, reset, broken
        try:
            try:
                await client.mail(self.sender, options=_mail_options(client, data))
            except (OSError, aiosmtplib.SMTPException) as exc:
                if not (reused and _looks_dropped(exc)):
                    raise
                client.close()
                client = await self._connect()
                await client.mail(self.sender, options=_mail_options(client, data))
            await client.rcpt(recipient)
            await client.data(data)
            state = "clean"
        except aiosmtplib.SMTPResponseException:
            state = "reset"  # a reply, so the session is in step; RSET before reuse
            raise
        finally:
            await self._checkin(client, state)

    async def _checkout(self) -> tuple[aiosmtplib.SMTP, bool]:
        """An idle connection used recently (reused=True), or a new one."""
        while self._idle:
            since, client = self._idle.pop()
            if client.is_connected and time.monotonic() - since < IDLE_REUSE_S:
                return client, True
            await _close(client)
        return await self._connect(), False

    async def _connect(self) -> aiosmtplib.SMTP:
        """A new connection: connect (TLS first if implicit), EHLO, STARTTLS as configured
        (refused if not offered: no plain-text fallback) and EHLO again, then AUTH, only
        over TLS."""
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.use_tls,
            start_tls=False,  # run below, where a missing STARTTLS is refused
            tls_context=self.tls_context,
        )  # no username: aiosmtplib would log in inside connect(), before our STARTTLS
        await client.connect()
        try:
            await client.ehlo()
            if self.starttls:
                if not client.supports_extension("starttls"):
                    raise TlsRefused("STARTTLS required, not offered by the server")
                await client.starttls()
                await client.ehlo()  # RFC 3207 4.2: what the server said before is void
            encrypted = client.get_transport_info("ssl_object") is not None
            if (self.starttls or self.use_tls) and not encrypted:
                raise TlsRefused("the connection is not encrypted")
            if self.username:  # __init__ refuses a username without TLS: never reached plain
                await client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        self.connections_opened += 1
        return client

    async def _checkin(self, client: aiosmtplib.SMTP, state: str) -> None:
        """Back to the pool if its state is known (RSET first after an error reply)."""
        if state == "broken":  # a timeout or a lost connection: no QUIT, just close
            client.close()
            return
        if client.is_connected and len(self._idle) < self.pool_size:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                if state == "reset":
                    await client.rset()
                self._idle.append((time.monotonic(), client))
                return
        await _close(client)

    async def aclose(self) -> None:
        """QUIT every idle connection, all at once (a shutdown waits at most
        ``QUIT_TIMEOUT_S`` for a server that does not answer)."""
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_close(client) for _, client in idle))


async def _close(client: aiosmtplib.SMTP) -> None:
    """QUIT politely; a connection that is already gone is just dropped."""
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            await client.quit(timeout=QUIT_TIMEOUT_S)
    client.close()


def _mail_options(client: aiosmtplib.SMTP, data: bytes) -> list[str]:
    """``SIZE`` (RFC 1870) when the server takes it, as ``sendmail`` did."""
    return [f"SIZE={len(data)}"] if client.supports_extension("size") else []


def _looks_dropped(exc: BaseException) -> bool:
    """An error saying the server had closed (or was closing) the connection."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code == 421  # "service not available, closing transmission channel"
    return isinstance(exc, ConnectionError | OSError) and not isinstance(exc, TimeoutError)


def _tls_failure(exc: BaseException) -> str | None:
    """Why TLS failed, if that was the error (aiosmtplib wraps it when connecting with
    implicit TLS): the certificate's CA not trusted, not for this host name, ..."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"smtp: TLS certificate refused ({cause.verify_message})"[:200]
        if isinstance(cause, ssl.SSLError):
            return f"smtp: TLS failed ({cause.reason or type(cause).__name__})"[:200]
        cause = cause.__cause__
    return None
