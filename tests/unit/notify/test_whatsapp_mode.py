"""WhatsApp's 24-hour window: template vs. free text, the template's parameters (masked,
one line, within Meta's limits), the request bodies, and the template as the office
registers it (docs/whatsapp-templates.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify_service.channels.base import OutgoingMessage, PermanentError
from notify_service.channels.whatsapp import WhatsAppChannel
from notify_service.render import AlertMessages
from notify_service.render.whatsapp import template_params
from notify_service.whatsapp_templates import (
    ALERT,
    BODY_MAX,
    EXAMPLE_EN,
    EXAMPLE_ID,
    REGISTERED,
    as_param,
    param_problem,
)
from notify_service.whatsapp_window import number_key, whatsapp_mode
from shared.schemas import AlertReason
from tests.unit.notify.factories import LINK, NAME, PASSPORT, alert, member, report, subject

NOW = datetime(2026, 5, 14, 1, 30, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "whatsapp-templates.md"


@pytest.mark.parametrize(
    ("age", "mode"),
    [
        (None, "template"),  # never wrote
        (timedelta(0), "free"),
        (timedelta(hours=23, minutes=49, seconds=59), "free"),
        (timedelta(hours=23, minutes=50), "template"),  # the margin: it may arrive too late
        (timedelta(hours=24), "template"),
        (timedelta(days=3), "template"),
        (-timedelta(seconds=5), "free"),  # clocks a little apart
    ],
)
def test_template_outside_the_window_free_text_inside(age: timedelta | None, mode: str) -> None:
    assert whatsapp_mode(None if age is None else NOW - age, NOW) == mode


def test_a_number_is_keyed_however_it_is_written_and_not_stored_in_clear() -> None:
    keys = {number_key("s", n) for n in ("+6281200000103", "081200000103", "62 812-0000-0103")}
    assert len(keys) == 1
    [key] = keys
    assert key is not None
    assert "81200000103" not in key
    assert len(key) == 64
    assert number_key("other secret", "+6281200000103") != key
    assert number_key("s", "not a number") is None


def _params(language: str = "id", **alert_overrides: object) -> tuple[str, tuple[str, ...]]:
    texts = AlertMessages(alert(**alert_overrides))
    return template_params(texts, member(language=language), LINK)


def test_params_are_the_masked_chat_values_one_line_each() -> None:
    language, values = _params()
    assert language == "id"
    assert len(values) == ALERT["id"].param_count == 8
    team, severity, category, place, when, details, link, code = values
    assert (team, severity, category) == (
        "Kecamatan Satui",
        "Tinggi",
        "WNA bekerja tanpa izin (5 orang)",
    )
    assert place == "Kec. Satui, Tanah Bumbu — Tambang PT Contoh"
    assert when == "12-01-2026 10:00 WITA"
    assert details.startswith("Subjek: Z. W. M. (CHN) paspor E12****89 · Isi: 5 WNA bekerja")
    assert (link, code) == (LINK, alert().ack_code)
    body = ALERT["id"].fill(values)
    assert NAME not in body
    assert PASSPORT not in body
    assert "Budi Pelapor" not in body
    assert all(param_problem(v) is None for v in values)


def test_english_members_get_the_english_template_and_marks_follow_the_chat() -> None:
    language, values = _params("en", reason=AlertReason.escalation)
    assert language == "en"
    assert values[0] == "District Satui — ESCALATED"
    texts = AlertMessages(alert(reason=AlertReason.cancelled))
    _, values = template_params(texts, member(), LINK, repeat=True)
    assert values[0] == "[ULANG] Kecamatan Satui — DIBATALKAN"
    assert values[5].startswith("Dibatalkan oleh sumber (kanim-batulicin)")


def test_long_details_are_cut_so_the_body_fits_and_code_and_link_stay() -> None:
    many = [
        subject(full_name=f"Orang Nomor {i} Contoh", passport_number=f"X{i:08d}") for i in range(30)
    ]
    long_report = report(text="kalimat panjang\n\tdengan  spasi     " * 100, subjects=many)
    _, values = _params(report=long_report)
    body = ALERT["id"].fill(values)
    assert len(body) <= BODY_MAX
    assert len(body) > BODY_MAX - 30  # cut, not dropped
    assert values[5].endswith("…")
    assert values[6] == LINK
    assert values[7] == alert().ack_code
    assert "+20" in values[5] or "…" in values[5]
    assert all(param_problem(v) is None for v in values)


def test_empty_details_are_a_dash() -> None:
    _, values = _params(report=report(subjects=[], text=None))
    assert values[5] == "-"


@given(st.text(max_size=300))
def test_as_param_always_gives_what_meta_accepts(text: str) -> None:
    assert param_problem(as_param(text)) is None


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "a\tb", "a     b", None, 3])
def test_param_problems_meta_refuses(bad: object) -> None:
    assert param_problem(bad) is not None
    assert param_problem("a    b") is None  # four spaces are allowed


# --- the request bodies (no network: body() is what send() posts)

CHANNEL = WhatsAppChannel(None, "t", "1", clock=lambda: NOW)


def _msg(**overrides: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "to_address": "+62 812-0000-0103",
        "subject": "s",
        "text": "🛂 TIMPORA Kecamatan Satui\nBalas OK 7KQ2M untuk konfirmasi.",
        "delivery_key": "k",
        "ack_code": "7KQ2M",
        "template": ("id", EXAMPLE_ID),
    }
    return OutgoingMessage(**(values | overrides))  # type: ignore[arg-type]


def test_outside_the_window_an_alert_is_the_template_with_its_ack_button() -> None:
    msg = _msg(last_inbound_at=NOW - timedelta(hours=30))
    assert CHANNEL.mode(msg) == "template"
    body = CHANNEL.body(msg, "template")
    assert body["type"] == "template"
    assert body["to"] == "6281200000103"
    template = body["template"]
    assert (template["name"], template["language"]) == ("timpora_peringatan", {"code": "id"})
    [params, button] = template["components"]
    assert [p["text"] for p in params["parameters"]] == list(EXAMPLE_ID)
    assert button == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "ack:7KQ2M"}],
    }
    renamed = WhatsAppChannel(None, "t", "1", template_name="kanim_batulicin_alert")
    assert renamed.body(msg, "template")["template"]["name"] == "kanim_batulicin_alert"


def test_inside_the_window_the_chat_text_with_a_reply_button() -> None:
    msg = _msg(last_inbound_at=NOW - timedelta(hours=2))
    assert CHANNEL.mode(msg) == "free"
    body = CHANNEL.body(msg, "free")
    assert body["interactive"] == {
        "type": "button",
        "body": {"text": msg.text},
        "action": {"buttons": [{"type": "reply", "reply": {"id": "ack:7KQ2M", "title": "Terima"}}]},
    }
    english = _msg(template=("en", EXAMPLE_EN))
    assert CHANNEL.body(english, "free")["interactive"]["action"]["buttons"][0]["reply"][
        "title"
    ] == ("Acknowledge")


def test_inside_the_window_a_long_text_or_a_notice_is_plain_text() -> None:
    long_text = _msg(text="x" * 1025)
    assert CHANNEL.body(long_text, "free")["text"] == {"body": "x" * 1025, "preview_url": False}
    notice = _msg(
        text="[TIMPORA] Diterima oleh Camat Kecamatan Satui: 7KQ2M", ack_code=None, template=None
    )
    assert CHANNEL.body(notice, "free")["type"] == "text"


async def test_outside_the_window_a_message_without_a_template_is_not_sent() -> None:
    notice = _msg(ack_code=None, template=None)  # a notice
    with pytest.raises(PermanentError, match="24-hour window"):
        await CHANNEL.send(notice)  # refused before any request (the URL is unreachable)
    code = _msg(ack_code=None, template=None, one_time_code="482913")
    unregistered = WhatsAppChannel(None, "t", "1", code_template_name="", clock=lambda: NOW)
    with pytest.raises(PermanentError, match="24-hour window"):
        await unregistered.send(code)  # NOTIFY_WHATSAPP_TEMPLATE_CODE= (none registered)


def test_a_one_time_code_outside_the_window_is_the_authentication_template() -> None:
    code = _msg(text="Kode 482913", ack_code=None, template=None, one_time_code="482913")
    body = CHANNEL.body(code, "template")
    value = [{"type": "text", "text": "482913"}]
    assert body["template"] == {
        "name": "timpora_kode",
        "language": {"code": "id"},
        "components": [
            {"type": "body", "parameters": value},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": value},
        ],
    }
    english = CHANNEL.body(_msg(ack_code=None, one_time_code="482913", language="en"), "template")
    assert english["template"]["language"] == {"code": "en"}
    assert CHANNEL.body(code, "free") == {  # inside the window: the text
        **{k: body[k] for k in ("messaging_product", "recipient_type", "to")},
        "type": "text",
        "text": {"body": "Kode 482913", "preview_url": False},
    }


# --- what the office registers


def test_the_docs_show_exactly_the_templates_the_code_sends() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for template in REGISTERED.values():
        assert template.body in docs, template.language
        assert template.fill(template.example) in docs, template.language
        assert f"`{template.button}`" in docs
        for i, value in enumerate(template.example, start=1):
            assert f"| {{{{{i}}}}} |" in docs
            assert value in docs
    assert "UTILITY" in docs
    assert "timpora_peringatan" in docs
    assert '"category": "AUTHENTICATION"' in docs
    assert "timpora_kode" in docs


def test_every_template_is_one_meta_would_take() -> None:
    for template in REGISTERED.values():
        placeholders = [int(n) for n in re.findall(r"\{\{(\d+)\}\}", template.body)]
        assert placeholders == list(range(1, template.param_count + 1))  # in order, once
        if template.category != "AUTHENTICATION":  # Meta's preset text starts with the code
            assert not template.body.startswith("{{")
        assert not template.body.endswith("}}")
        assert len(template.body) <= BODY_MAX
        assert 1 <= len(template.button) <= 20
        assert len(template.example) == template.param_count
        assert re.fullmatch(r"[a-z0-9_]+", template.name)
