"""SmtpChannel against a real SMTP server (devtools.smtp, strict as aiosmtpd), over plain
text; the message bytes are in tests/unit/notify/test_smtp_message, TLS in
tests/integration/notify/test_smtp_tls."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from devtools import SmtpGateway
from notify_service.channels.base import OutgoingMessage, PermanentError, TransientError
from notify_service.channels.smtp import SmtpChannel, message_id
from notify_service.render import render
from tests.unit.notify.factories import LINK, alert, member

Make = Callable[..., OutgoingMessage]
SENDER = "timpora-alert@imigrasi.example.go.id"


def email_message(**overrides: object) -> dict[str, object]:
    a = alert()
    rendered = render(a, member(), "email", link=LINK)
    return {
        "to_address": "camat.satui@example.org",
        "subject": rendered.subject,
        "text": rendered.text,
        "delivery_key": f"{a.alert_id}:1:camat:email",
        "ack_code": a.ack_code,
    } | overrides


async def test_email_is_received_with_headers_and_full_body(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    msg = outgoing(**email_message())
    result = await smtp.send(msg)
    [mail] = smtp_gw.messages
    assert mail["From"] == SENDER
    assert mail["To"] == "camat.satui@example.org"
    assert mail["Subject"] == msg.subject  # UTF-8 (the em dash) survives encoding
    assert mail["Message-ID"] == result.provider_message_id
    assert mail["Message-ID"] == message_id(msg.delivery_key, SENDER)
    assert mail["X-Timpora-Delivery"] == msg.delivery_key
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"  # parts: test_smtp_message
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    html = mail.get_body(("html",))
    assert html is not None
    assert f'<a href="{LINK}">' in html.get_content()
    [received] = smtp_gw.received
    assert received.to == "camat.satui@example.org"
    assert received.meta["mail_from"] == SENDER
    body = received.text
    assert "Zhang Wei Ming" in body
    assert "E12345689" in body
    assert f'balas "OK {msg.ack_code}"' in body
    assert LINK in body


async def test_a_retry_carries_the_same_message_id(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    msg = outgoing(**email_message())
    first = await smtp.send(msg)
    second = await smtp.send(msg)
    assert first.provider_message_id == second.provider_message_id
    assert smtp_gw.messages[0]["Message-ID"] == smtp_gw.messages[1]["Message-ID"]


async def test_header_injection_is_flattened(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    msg = outgoing(**email_message(subject="Satui\r\nBcc: spy@example.org"))
    await smtp.send(msg)
    [mail] = smtp_gw.messages
    assert mail["Bcc"] is None
    assert mail["Subject"] == "Satui Bcc: spy@example.org"
    assert [r.to for r in smtp_gw.received] == ["camat.satui@example.org"]


async def test_greylisting_is_transient(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    smtp_gw.script.fail(1, 450)
    with pytest.raises(TransientError, match="450"):
        await smtp.send(outgoing(**email_message()))
    await smtp.send(outgoing(**email_message()))
    assert len(smtp_gw.received) == 1


async def test_unknown_user_is_permanent(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    smtp_gw.script.fail(1, 550)
    with pytest.raises(PermanentError, match="550"):
        await smtp.send(outgoing(**email_message()))


async def test_service_not_available_is_transient(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    smtp_gw.script.down = True
    with pytest.raises(TransientError):
        await smtp.send(outgoing(**email_message()))


async def test_no_server_is_transient(outgoing: Make) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = SmtpChannel("127.0.0.1", port, SENDER, timeout=1)
    with pytest.raises(TransientError, match="smtp"):
        await channel.send(outgoing(**email_message()))
    await channel.aclose()


@pytest.mark.parametrize("address", ["", "not-an-address", "a@b", "x y@example.org"])
async def test_invalid_address_is_permanent(
    smtp: SmtpChannel, outgoing: Make, address: str
) -> None:
    with pytest.raises(PermanentError, match="invalid recipient"):
        await smtp.send(outgoing(**email_message(to_address=address)))


# --------------------------------------------------------------------------- connection reuse


async def test_one_connection_carries_successive_messages(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    for i in range(5):
        await smtp.send(outgoing(**email_message(delivery_key=f"k{i}")))
    assert len(smtp_gw.received) == 5
    assert smtp.connections_opened == 1


async def test_a_dropped_or_stale_connection_is_replaced_not_used(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notify_service.channels import smtp as module

    await smtp.send(outgoing(**email_message(delivery_key="a")))
    [(_, client)] = smtp._idle
    client.close()  # the server went away while the connection was idle
    await smtp.send(outgoing(**email_message(delivery_key="b")))
    assert smtp.connections_opened == 2
    monkeypatch.setattr(module, "IDLE_REUSE_S", 0.0)  # idle too long: not trusted
    await smtp.send(outgoing(**email_message(delivery_key="c")))
    assert smtp.connections_opened == 3
    assert [r.meta["mail_from"] for r in smtp_gw.received] == [SENDER] * 3


async def test_the_connection_stays_usable_after_a_refused_recipient(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    smtp_gw.script.fail(1, 550)
    with pytest.raises(PermanentError):
        await smtp.send(outgoing(**email_message(delivery_key="x")))
    await smtp.send(outgoing(**email_message(delivery_key="y")))
    assert [r.to for r in smtp_gw.received] == ["camat.satui@example.org"]
    assert smtp.connections_opened == 1


async def test_concurrent_sends_share_fewer_connections_than_messages(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    for _ in range(3):  # bursts of 4 at once: the pool carries them over
        await asyncio.gather(
            *(smtp.send(outgoing(**email_message(delivery_key=f"k{i}"))) for i in range(4))
        )
    assert len(smtp_gw.received) == 12
    assert smtp_gw.connections == smtp.connections_opened <= 4


async def test_a_connection_the_server_dropped_while_idle_is_replaced_once(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    await smtp.send(outgoing(**email_message(delivery_key="a")))
    smtp_gw.drop_on_mail = 1  # closed on the next MAIL, before we noticed it had gone
    result = await smtp.send(outgoing(**email_message(delivery_key="b")))
    assert result.provider_message_id == message_id("b", SENDER)
    assert smtp.connections_opened == smtp_gw.connections == 2
    assert [m["Message-ID"] for m in smtp_gw.messages] == [
        message_id(k, SENDER) for k in ("a", "b")
    ]
    await smtp.send(outgoing(**email_message(delivery_key="c")))  # the new one is kept
    assert smtp.connections_opened == 2


async def test_a_fresh_connection_dropped_on_mail_is_not_retried(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    smtp_gw.drop_on_mail = 1
    with pytest.raises(TransientError, match="smtp: SMTPServerDisconnected"):
        await smtp.send(outgoing(**email_message()))
    assert smtp_gw.connections == 1
    assert smtp._idle == []


async def test_no_resend_once_the_message_went_out(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    await smtp.send(outgoing(**email_message(delivery_key="a")))
    smtp_gw.drop_on_data = 1  # the server has the message, we never hear back
    with pytest.raises(TransientError, match="smtp: SMTPServerDisconnected"):
        await smtp.send(outgoing(**email_message(delivery_key="b")))
    assert smtp_gw.data_received == 2  # sent once: the engine decides about a retry later
    assert smtp.connections_opened == 1
    assert smtp._idle == []  # the connection is not reused


async def test_a_timeout_discards_the_connection(smtp_gw: SmtpGateway, outgoing: Make) -> None:
    channel = SmtpChannel(smtp_gw.host, smtp_gw.port, SENDER, timeout=0.3)
    smtp_gw.script.hang(1, seconds=1.0)  # RCPT answered after our timeout
    with pytest.raises(TransientError, match="smtp: SMTPReadTimeoutError"):
        await channel.send(outgoing(**email_message(delivery_key="a")))
    assert channel._idle == []  # its late reply would be read as the next one's
    await channel.send(outgoing(**email_message(delivery_key="b")))
    assert channel.connections_opened == 2
    await channel.aclose()


async def test_aclose_quits_every_idle_connection(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make
) -> None:
    await asyncio.gather(
        *(smtp.send(outgoing(**email_message(delivery_key=f"k{i}"))) for i in range(3))
    )
    clients = [client for _, client in smtp._idle]
    assert len(clients) == smtp.connections_opened == 3
    await smtp.aclose()
    assert smtp._idle == []
    assert not any(client.is_connected for client in clients)


def test_the_pool_is_sized_to_the_sends_in_flight() -> None:
    from notify_service.channels import build_channels
    from shared.settings import NotifySettings

    channels = build_channels(NotifySettings(smtp_host="127.0.0.1", max_in_flight=5))
    assert channels["email"].pool_size == 5  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "ASCII only\nsecond line\n.\n..a line starting with a dot",
        "Bahasa dan 中文 — ringkasan\nbaris dua",
        "x" * 2000,  # longer than SMTP's 998-character line limit
        "",
    ],
)
async def test_bodies_arrive_exactly_as_written(
    smtp: SmtpChannel, smtp_gw: SmtpGateway, outgoing: Make, text: str
) -> None:
    await smtp.send(outgoing(**email_message(text=text, subject="Peringatan — Kec. Satui 中文")))
    [received] = smtp_gw.received
    # SMTP carries CRLF line ends; a mail client shows them as line breaks
    assert received.text.replace("\r\n", "\n").rstrip("\n") == text.rstrip("\n")
    assert received.subject == "Peringatan — Kec. Satui 中文"
