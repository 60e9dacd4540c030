"""Email over SMTP (aiosmtplib): plain text, full details (it goes to team addresses).

The ``Message-ID`` is derived from the delivery key, so a retried send carries the same
id and mail systems and people can recognise the duplicate (and the delivery log can be
matched to a mailbox). STARTTLS or implicit TLS are optional, with a timeout.

SMTP replies map to our errors by class: 4xx (greylisting, mailbox busy) is transient,
5xx (unknown user, relaying denied) permanent; connection problems and timeouts are
transient.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib

from notify_service.channels.base import OutgoingMessage, PermanentError, SendResult, TransientError

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
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username or None, password or None
        self.starttls, self.use_tls, self.tls_context = starttls, use_tls, tls_context
        self.timeout = timeout

    def build(self, msg: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = one_line(msg.to_address)
        email["Subject"] = one_line(msg.subject)
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = message_id(msg.delivery_key, self.sender)
        email[DELIVERY_HEADER] = one_line(msg.delivery_key)
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies back
        email.set_content(msg.text)
        return email

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not ADDRESS.match(msg.to_address.strip()):
            raise PermanentError("smtp: invalid recipient address")
        email = self.build(msg)
        try:
            await aiosmtplib.send(email, **self._options())
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            error = f"smtp: recipient refused ({', '.join(map(str, codes))})"
            if codes and all(400 <= c < 500 for c in codes):
                raise TransientError(error) from exc
            raise PermanentError(error) from exc
        except aiosmtplib.SMTPResponseException as exc:
            error = f"smtp {exc.code}: {exc.message}"[:200]
            if 400 <= exc.code < 500:
                raise TransientError(error) from exc
            raise PermanentError(error) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(f"smtp: {type(exc).__name__}") from exc
        return SendResult(provider_message_id=str(email["Message-ID"]))

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
        """Nothing to close: one SMTP connection per message (alerts are few per member)."""
