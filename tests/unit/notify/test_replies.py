"""parse_reply: the one grammar of acks and closes for SMS, Telegram and WhatsApp."""

from __future__ import annotations

import pytest

from notify_service.replies import Reply, parse_reply, telegram_update


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("OK 7KQ2M", Reply("ack", "7KQ2M")),
        ("ok 7kq2m", Reply("ack", "7KQ2M")),
        ("  Ok: 7KQ2M terima kasih", Reply("ack", "7KQ2M")),  # an ack carries no note
        ("/ack 7KQ2M", Reply("ack", "7KQ2M")),
        ("/ack@TimporaBot 7KQ2M", Reply("ack", "7KQ2M")),
        ("ack:7KQ2M", Reply("ack", "7KQ2M")),
        ("siap 7KQ2M", Reply("ack", "7KQ2M")),
        ("7KQ2M", Reply("ack", "7KQ2M")),
        ("SELESAI 7KQ2M", Reply("close", "7KQ2M")),
        ("selesai 7kq2m", Reply("close", "7KQ2M")),
        ("Selesai 7KQ2M", Reply("close", "7KQ2M")),
        ("/selesai 7KQ2M", Reply("close", "7KQ2M")),
        ("close:7KQ2M", Reply("close", "7KQ2M")),
        (
            "SELESAI 7KQ2M  WNA sudah\n diamankan Polsek",
            Reply("close", "7KQ2M", "WNA sudah diamankan Polsek"),
        ),
        (
            "Selesai 7KQ2M: izin kerja ternyata ada",
            Reply("close", "7KQ2M", "izin kerja ternyata ada"),
        ),
    ],
)
def test_acks_and_closes(text: str, reply: Reply) -> None:
    assert parse_reply(text) == reply


@pytest.mark.parametrize("text", ["", "OK", "SELESAI", "terima kasih", "?", "OK 7K"])
def test_not_a_reply(text: str) -> None:
    assert parse_reply(text) is None


def test_a_close_note_is_capped() -> None:
    reply = parse_reply("SELESAI 7KQ2M " + "x" * 900)
    assert reply is not None
    assert reply.note is not None
    assert len(reply.note) == 500


def test_telegram_updates() -> None:
    press = telegram_update(
        {"callback_query": {"id": "4382", "from": {"id": 700000102}, "data": "ack:7KQ2M"}}
    )
    assert press is not None
    assert (press.chat_id, press.text, press.callback_query_id) == (
        "700000102",
        "ack:7KQ2M",
        "4382",
    )
    command = telegram_update({"message": {"chat": {"id": -100}, "text": "/selesai 7KQ2M"}})
    assert command is not None
    assert (command.chat_id, command.callback_query_id) == ("-100", None)
    assert telegram_update([1]) is None
    odd = telegram_update({"callback_query": "x", "message": {"chat": "y"}})
    assert odd is not None
    assert odd.text == ""
