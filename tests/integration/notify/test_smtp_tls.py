"""Email over TLS: the real SmtpChannel, built from ``NotifySettings`` by ``build_channels``
(so ``NOTIFY_SMTP_CAFILE`` is what makes the server trusted), against real TLS servers with
certificates made for the test by ``devtools.tls`` (openssl):

* ``devtools.SmtpGateway`` with ``starttls=`` / ``implicit_tls=`` (and AUTH PLAIN, only
  over TLS): counts what arrives and records each session's TLS version;
* aiosmtpd itself (``Controller`` in its thread, ``require_starttls``,
  ``auth_require_tls``): the handler checks the session it got the message on was TLS.

Refusals: a certificate for another host name, one from a CA we were not told to trust,
and a server that does not offer STARTTLS when it is configured; each fails the delivery
transiently and nothing (no AUTH, no MAIL, no message) reaches the server.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as AioSmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from pydantic import ValidationError

from devtools import SmtpGateway
from devtools.tls import TestCa
from notify_service.channels import build_channels
from notify_service.channels.base import OutgoingMessage, TransientError
from notify_service.channels.smtp import SmtpChannel, client_tls_context
from shared.settings import NotifySettings

SENDER = "timpora-alert@imigrasi.example.go.id"
USER, PASSWORD = "timpora", "pw-not-in-any-log"
TEXT = "Peringatan Tinggi — Kec. Satui\nLokasi  : Tambang\nBuka https://timpora.example.go.id/a/x"


@dataclass(frozen=True)
class Pki:
    ca_file: Path  # what NOTIFY_SMTP_CAFILE names
    good: ssl.SSLContext  # localhost, 127.0.0.1, signed by that CA
    wrong_host: ssl.SSLContext  # mail.example.org, same CA
    untrusted: ssl.SSLContext  # localhost, 127.0.0.1, another CA


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca, other = TestCa(directory / "ca"), TestCa(directory / "other", "Somebody Else's CA")
    return Pki(
        ca_file=ca.cert,
        good=ca.issue("server", ["localhost", "127.0.0.1"]),
        wrong_host=ca.issue("elsewhere", ["mail.example.org"]),
        untrusted=other.issue("server", ["localhost", "127.0.0.1"]),
    )


def channel_for(port: int, **settings: Any) -> SmtpChannel:
    """The email channel exactly as notify builds it from its settings."""
    values: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": SENDER}
    values |= settings
    channel = build_channels(NotifySettings(**values))["email"]
    assert isinstance(channel, SmtpChannel)
    return channel


def outgoing(i: int = 0) -> OutgoingMessage:
    return OutgoingMessage(f"camat{i}@example.org", "Peringatan — Satui", TEXT, f"A1:1:m{i}:email")


def assert_both_parts(mail: EmailMessage) -> None:
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == TEXT
    assert "Lokasi  : Tambang" in html.get_content()
    assert '<a href="https://timpora.example.go.id/a/x">' in html.get_content()


# ------------------------------------------------------------------------ the fake, encrypted


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_messages_arrive_encrypted_and_authenticated(pki: Pki, mode: str) -> None:
    tls: dict[str, Any] = {"starttls" if mode == "starttls" else "implicit_tls": pki.good}
    async with SmtpGateway(**tls, credentials=(USER, PASSWORD)) as gw:
        channel = channel_for(
            gw.port,
            smtp_starttls=mode == "starttls",
            smtp_use_tls=mode == "implicit",
            smtp_cafile=pki.ca_file,
            smtp_username=USER,
            smtp_password=PASSWORD,
        )
        for i in range(3):
            await channel.send(outgoing(i))
        await channel.aclose()
    assert [r.to for r in gw.received] == [f"camat{i}@example.org" for i in range(3)]
    assert {r.meta["tls"] for r in gw.received} <= {"TLSv1.2", "TLSv1.3"}
    assert all(r.meta["tls"] for r in gw.received)  # every message came over TLS
    assert gw.connections == gw.tls_sessions == gw.auth_attempts == 1  # one pooled session
    for mail in gw.messages:
        assert_both_parts(mail)


# ------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
@pytest.mark.parametrize(
    ("certificate", "reason"),
    [("wrong_host", "address mismatch"), ("untrusted", "unable to get local issuer")],
)
async def test_a_certificate_we_cannot_trust_is_refused_and_nothing_is_sent(
    pki: Pki, mode: str, certificate: str, reason: str
) -> None:
    context = getattr(pki, certificate)
    tls: dict[str, Any] = {"starttls" if mode == "starttls" else "implicit_tls": context}
    async with SmtpGateway(**tls, credentials=(USER, PASSWORD)) as gw:
        channel = channel_for(
            gw.port,
            smtp_starttls=mode == "starttls",
            smtp_use_tls=mode == "implicit",
            smtp_cafile=pki.ca_file,
            smtp_username=USER,
            smtp_password=PASSWORD,
            channel_timeout_seconds=5,
        )
        for _ in range(2):  # a second attempt is refused the same way: no fallback
            with pytest.raises(TransientError, match=f"TLS certificate refused.*{reason}") as e:
                await channel.send(outgoing())
            assert PASSWORD not in str(e.value)
        assert channel._idle == []
        await channel.aclose()
    assert gw.tls_sessions == 0
    assert gw.auth_attempts == gw.request_count == gw.data_received == 0
    assert gw.received == []
    assert gw.messages == []


async def test_the_system_cas_do_not_vouch_for_the_office_relay(pki: Pki) -> None:
    """Without NOTIFY_SMTP_CAFILE the private CA is unknown: refused, not trusted blindly."""
    async with SmtpGateway(starttls=pki.good) as gw:
        channel = channel_for(gw.port, smtp_starttls=True)
        with pytest.raises(TransientError, match="TLS certificate refused"):
            await channel.send(outgoing())
        await channel.aclose()
    assert gw.received == []


async def test_starttls_configured_but_not_offered_is_refused_without_fallback() -> None:
    async with SmtpGateway(credentials=(USER, PASSWORD)) as gw:  # no STARTTLS offered
        channel = channel_for(
            gw.port, smtp_starttls=True, smtp_username=USER, smtp_password=PASSWORD
        )
        for _ in range(2):
            with pytest.raises(TransientError, match="STARTTLS required, not offered") as error:
                await channel.send(outgoing())
            assert PASSWORD not in str(error.value)
        await channel.aclose()
    assert gw.connections == 2  # it connected, read EHLO and hung up, twice
    assert gw.auth_attempts == gw.request_count == gw.data_received == 0
    assert gw.received == []


def test_auth_only_over_tls_and_verification_always_on(pki: Pki) -> None:
    with pytest.raises(ValueError, match="AUTH only over TLS"):
        SmtpChannel("127.0.0.1", 25, SENDER, USER, PASSWORD)
    lax = ssl.create_default_context()
    lax.check_hostname = False
    with pytest.raises(ValueError, match="must verify"):
        SmtpChannel("127.0.0.1", 465, SENDER, use_tls=True, tls_context=lax)
    strict = client_tls_context(pki.ca_file)
    assert strict.check_hostname
    assert strict.verify_mode == ssl.CERT_REQUIRED
    assert strict.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_settings_name_a_ca_file_that_exists_and_only_with_tls(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base: dict[str, Any] = {"smtp_host": "mail.example.go.id", "smtp_port": 587}
    with pytest.raises(ValidationError, match="NOTIFY_SMTP_CAFILE needs TLS"):
        NotifySettings(**base, smtp_cafile=pki.ca_file)
    with pytest.raises(ValidationError, match="smtp_cafile"):
        NotifySettings(**base, smtp_starttls=True, smtp_cafile=tmp_path / "missing.pem")
    monkeypatch.setenv("NOTIFY_SMTP_CAFILE", str(pki.ca_file))  # the variable, as deployed
    assert NotifySettings(**base, smtp_starttls=True).smtp_cafile == pki.ca_file


# ------------------------------------------------------------------------ aiosmtpd, the real one


class _Handler:
    """aiosmtpd handler: keeps each message with whether its session was encrypted."""

    def __init__(self) -> None:
        self.received: list[tuple[bool, EmailMessage]] = []

    async def handle_DATA(self, server: AioSmtpServer, session: Session, envelope: Envelope) -> str:
        transport = server.transport
        encrypted = session.ssl is not None or (  # session.ssl: after STARTTLS only
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        assert isinstance(envelope.content, bytes)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.received.append((encrypted, mail))
        return "250 OK"


def _authenticator(
    server: AioSmtpServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def aiosmtpd_server(pki: Pki, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """aiosmtpd on a thread: STARTTLS and AUTH over it required (``param="starttls"``), or
    implicit TLS (aiosmtpd's ``auth_require_tls`` knows only its own STARTTLS as TLS, so
    there it is off; the handler checks the transport)."""
    handler = _Handler()
    tls: dict[str, Any] = (
        {"tls_context": pki.good, "require_starttls": True, "auth_require_tls": True}
        if request.param == "starttls"
        else {"ssl_context": pki.good, "auth_require_tls": False}
    )
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        ready_timeout=10,
        auth_required=True,
        authenticator=_authenticator,
        **tls,
    )
    await asyncio.to_thread(controller.start)
    yield controller, handler
    await asyncio.to_thread(controller.stop)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit: it is
@pytest.mark.parametrize("aiosmtpd_server", ["starttls", "implicit"], indirect=True)
async def test_aiosmtpd_receives_over_tls(pki: Pki, aiosmtpd_server: Any) -> None:
    controller, handler = aiosmtpd_server
    starttls = controller.ssl_context is None
    channel = channel_for(
        controller.port,
        smtp_starttls=starttls,
        smtp_use_tls=not starttls,
        smtp_cafile=pki.ca_file,
        smtp_username=USER,
        smtp_password=PASSWORD,
    )
    for i in range(2):
        await channel.send(outgoing(i))
    await channel.aclose()
    assert [encrypted for encrypted, _ in handler.received] == [True, True]
    assert [mail["To"] for _, mail in handler.received] == [
        "camat0@example.org",
        "camat1@example.org",
    ]
    for _, mail in handler.received:
        assert_both_parts(mail)
