"""The email's bytes (notify_service.channels.smtp_message), read back by the stdlib parser
(``email``, ``policy.default``) as a mail client would: both alternatives, same content.

No I/O: delivery over a real SMTP server is in tests/integration/channels/test_smtp_channel
and, with TLS, tests/integration/notify/test_smtp_tls.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from notify_service.channels.base import OutgoingMessage
from notify_service.channels.smtp import SmtpChannel
from notify_service.channels.smtp_message import message_id
from notify_service.render import render
from tests.unit.notify.factories import LINK, alert, member

SENDER = "timpora-alert@imigrasi.example.go.id"


class _Html(HTMLParser):
    """What a reader of the HTML part sees and can click: the text, the links, and every
    tag and attribute (to show there is nothing else)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_pre = self._in_pre or tag == "pre"
        if tag == "a":
            self.links.append(dict(attrs)["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_pre = self._in_pre and tag != "pre"

    def handle_data(self, data: str) -> None:
        if self._in_pre:
            self.text += data


def parse(data: bytes) -> tuple[EmailMessage, str, _Html]:
    """The message, its text part and its HTML part as read, line ends as ``\\n`` (CRLF
    on the wire, a line break to a reader)."""
    mail = message_from_bytes(data, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    plain, rich = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None
    assert rich is not None
    page = _Html()
    page.feed(rich.get_content())
    # <pre>'s first newline is not content (HTML parsing rules); html.parser keeps it
    page.text = page.text.replace("\r\n", "\n").removeprefix("\n")
    return mail, plain.get_content().replace("\r\n", "\n"), page


def build(text: str, subject: str = "Peringatan", key: str = "01JH:1:camat:email") -> bytes:
    return SmtpChannel("127.0.0.1", 25, SENDER).build(
        OutgoingMessage("camat.satui@example.org", subject, text, key)
    )


def lines_of(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    lines = data[:-2].split(b"\r\n")
    assert not any(b"\n" in line or b"\r" in line for line in lines)  # CRLF only, no bare LF
    return lines


def test_the_team_email_is_text_and_html_with_the_same_content() -> None:
    a = alert()
    rendered = render(a, member(), "email", link=LINK)
    key = f"{a.alert_id}:1:camat:email"
    data = build(rendered.text, rendered.subject, key)
    mail, plain, page = parse(data)
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in mail.iter_parts())
    # headers
    assert mail["From"] == SENDER
    assert mail["To"] == "camat.satui@example.org"
    assert mail["Subject"] == rendered.subject
    assert mail["Message-ID"] == message_id(key, SENDER)
    assert mail["X-Timpora-Delivery"] == key
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["MIME-Version"] == "1.0"
    assert mail["Date"].datetime.tzinfo is not None
    assert mail.defects == []
    assert all(p.defects == [] for p in mail.iter_parts())
    # the same content in both, line for line
    assert plain.rstrip("\n") == rendered.text.rstrip("\n")
    assert page.text == plain.rstrip("\n")
    assert page.links == [LINK]
    assert max(len(line) for line in lines_of(data)) <= 998


def test_the_html_is_escaped_and_fetches_nothing() -> None:
    text = (
        '<script>alert("x")</script> & <img src="https://evil.example/p.png">\n'
        "Lihat https://timpora.example.go.id/a/tok?x=1&y=2, atau (https://b.example/c).\n"
        "javascript:alert(1) bukan tautan; <a href='https://x.example'>juga bukan</a>"
    )
    _, plain, page = parse(build(text))
    assert page.text == plain.rstrip("\n") == text  # shown as written, tags included
    assert page.links == [  # a URL is a link to click, never an image to load
        "https://evil.example/p.png",
        "https://timpora.example.go.id/a/tok?x=1&y=2",
        "https://b.example/c",
        "https://x.example",
    ]
    assert [tag for tag, _ in page.tags] == ["html", "head", "meta", "body", "pre"] + ["a"] * 4
    attributes = {name for _, attrs in page.tags for name in attrs}
    assert attributes == {"charset", "style", "href"}  # no src: nothing is fetched


@pytest.mark.parametrize(
    "text",
    [
        "ASCII only\nsecond line\n.\n..a line starting with a dot",
        "Bahasa dan 中文 — ringkasan\nbaris dua",
        "\nstarts with a blank line\n\n\nand blank lines   aligned   ",
        "x" * 2000,  # longer than SMTP's 998-character line limit: base64
        "&" * 300,  # short as text, 1,500 characters once escaped
        "--=_timpora_ 'looks like a boundary'\n--",
        "",
    ],
)
def test_both_parts_decode_to_the_text_within_the_line_limit(text: str) -> None:
    data = build(text, subject="Peringatan — Kec. Satui 中文")
    mail, plain, page = parse(data)
    assert plain.rstrip("\n") == text.rstrip("\n")
    assert page.text == text.rstrip("\n")
    assert mail["Subject"] == "Peringatan — Kec. Satui 中文"
    assert max(len(line) for line in lines_of(data)) <= 998


def test_the_boundary_is_random_per_message() -> None:
    first, second = build("teks"), build("teks")
    boundaries = {
        message_from_bytes(d, policy=policy.default).get_boundary() for d in (first, second)
    }
    assert len(boundaries) == 2
    assert all(b is not None and b.startswith("=_timpora_") for b in boundaries)


def test_message_id_is_valid_and_stable() -> None:
    mid = message_id("01JH8Z3K6Y2QW4E5R6T7Y8V9WA:1:camat:email", SENDER)
    assert mid.startswith("<01JH8Z3K6Y2QW4E5R6T7Y8V9WA.1.camat.email.")
    assert mid.endswith("@imigrasi.example.go.id>")
    assert ":" not in mid  # not allowed in a msg-id's left part
    assert mid == message_id("01JH8Z3K6Y2QW4E5R6T7Y8V9WA:1:camat:email", SENDER)
    assert mid != message_id("01JH8Z3K6Y2QW4E5R6T7Y8V9WA.1.camat.email", SENDER)


@pytest.mark.parametrize(
    "subject",
    [
        "Peringatan — Kec. Satui",
        "中文" * 60,  # many encoded words
        "a" * 41 + "€" * 30,  # a word boundary inside a 3-byte character
        "🙂 " * 40,
        "Satui —\r\nBcc: spy@example.org",
    ],
)
def test_non_ascii_headers_are_encoded_words_on_short_lines(subject: str) -> None:
    data = build("teks", subject)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    mail = message_from_bytes(data, policy=policy.default)
    assert mail["Subject"] == " ".join(subject.split())
    assert mail["Bcc"] is None


def test_an_ascii_subject_too_long_for_a_line_is_folded_too() -> None:
    subject = "Satui " + "x" * 1200
    data = build("teks", subject)
    assert max(len(line) for line in lines_of(data)) <= 998
    assert message_from_bytes(data, policy=policy.default)["Subject"] == subject
