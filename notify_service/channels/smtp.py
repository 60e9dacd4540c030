"""Email over SMTP (aiosmtplib); the Message-ID comes from the delivery key."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notify_service.channels.base import OutgoingMessage, PermanentError, SendResult, TransientError


class SmtpChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout = (
            username,
            password,
            starttls,
            timeout,
        )

    async def send(self, msg: OutgoingMessage) -> SendResult:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = msg.to_address
        email["Subject"] = msg.subject
        domain = self.sender.partition("@")[2] or "timpora.local"
        email["Message-ID"] = f"<{msg.delivery_key}@{domain}>"
        email.set_content(msg.text)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"smtp: recipient refused {exc.recipients!r}"[:200]) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentError(f"smtp {exc.code}: {exc.message}"[:200]) from exc
            raise TransientError(f"smtp {exc.code}: {exc.message}"[:200]) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(f"smtp: {type(exc).__name__}") from exc
        return SendResult(provider_message_id=email["Message-ID"])

    async def aclose(self) -> None:
        return None
