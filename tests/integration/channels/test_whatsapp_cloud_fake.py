"""The fake Cloud API refuses what Meta refuses and delivers what Meta delivers: templates
at any time, free text and interactive messages only inside the 24-hour window (outside
it accepted, then failed 131047, and on nobody's phone). The channel against it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from devtools import WhatsAppGateway
from notify_service.channels.base import OutgoingMessage, PermanentError
from notify_service.channels.whatsapp import WhatsAppChannel
from notify_service.whatsapp_templates import ALERT, CODE, EXAMPLE_ID
from shared.schemas import utcnow

Make = Callable[..., OutgoingMessage]
NUMBER = "6281200000103"


async def post(gw: WhatsAppGateway, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{gw.base_url}/v21.0/{gw.phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "to": NUMBER} | body,
            headers={"Authorization": f"Bearer {gw.token}"},
        )


def template(params: list[Any], **spec: Any) -> dict[str, Any]:
    body = {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
    return {
        "type": "template",
        "template": {"name": "timpora_peringatan", "language": {"code": "id"}}
        | {"components": [body]}
        | spec,
    }


def error(answer: httpx.Response) -> tuple[int, int]:
    return answer.status_code, answer.json()["error"]["code"]


async def test_a_template_is_delivered_outside_the_window_with_its_button(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    result = await whatsapp.send(outgoing(to_address="+" + NUMBER))
    [shown] = whatsapp_gw.received
    assert shown.text == ALERT["id"].fill(EXAMPLE_ID)
    assert shown.meta["type"] == "template"
    assert (shown.meta["buttons"], shown.meta["payloads"]) == (["Terima"], ["ack:7KQ2M"])
    assert [(s.wamid, s.type, s.delivered) for s in whatsapp_gw.sent] == [
        (result.provider_message_id, "template", True)
    ]


async def test_free_text_outside_the_window_is_accepted_then_fails_131047(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    # notify believes the member wrote an hour ago; Meta has no such message
    msg = outgoing(to_address="+" + NUMBER, last_inbound_at=utcnow() - timedelta(hours=1))
    result = await whatsapp.send(msg)
    assert result.provider_message_id  # 200 and a wamid, as Meta answers
    assert whatsapp_gw.received == []  # no phone shows it
    [sent] = whatsapp_gw.sent
    assert (sent.type, sent.delivered, sent.error_code) == ("interactive", False, 131047)


async def test_inside_the_window_the_interactive_message_is_delivered(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    whatsapp_gw.inbound("+62 812-0000-0103")  # the member wrote to the number
    msg = outgoing(to_address="+" + NUMBER, last_inbound_at=utcnow())
    await whatsapp.send(msg)
    await whatsapp.send(outgoing(to_address="+" + NUMBER, last_inbound_at=utcnow(), ack_code=None))
    interactive, text = whatsapp_gw.received
    assert (interactive.meta["type"], interactive.text) == ("interactive", msg.text)
    assert (interactive.meta["buttons"], interactive.meta["payloads"]) == (
        ["Terima"],
        ["ack:7KQ2M"],
    )
    assert text.meta["type"] == "text"
    assert [len(whatsapp_gw.sent_to(NUMBER, t)) for t in ("interactive", "text", "template")] == [
        1,
        1,
        0,
    ]


async def test_the_window_closes_24_hours_after_the_members_last_message(
    whatsapp_gw: WhatsAppGateway,
) -> None:
    whatsapp_gw.inbound(NUMBER, at=time.time() - 24 * 3600 - 1)
    assert not whatsapp_gw.window_open(NUMBER)
    whatsapp_gw.inbound(NUMBER, at=time.time() - 23 * 3600)
    assert whatsapp_gw.window_open(NUMBER)
    whatsapp_gw.inbound(NUMBER, at=time.time() - 30 * 3600)  # an older message changes nothing
    assert whatsapp_gw.window_open(NUMBER)


async def test_refusals_carry_metas_codes(whatsapp_gw: WhatsAppGateway) -> None:
    good = list(EXAMPLE_ID)
    assert (await post(whatsapp_gw, template(good))).status_code == 200
    unknown = template(good, name="timpora_lain")
    assert error(await post(whatsapp_gw, unknown)) == (404, 132001)
    wrong_language = template(good, language={"code": "fr"})
    assert error(await post(whatsapp_gw, wrong_language)) == (404, 132001)
    assert error(await post(whatsapp_gw, template(good[:7]))) == (400, 132000)
    assert error(await post(whatsapp_gw, template([*good, "x"]))) == (400, 132000)
    for bad in ("two\nlines", "a\ttab", "five     spaces", ""):
        answer = await post(whatsapp_gw, template([bad, *good[1:]]))
        assert error(answer) == (400, 132018), bad
    assert error(await post(whatsapp_gw, template([*good[:5], "x" * 1000, *good[6:]]))) == (
        400,
        132005,
    )
    button = {"type": "button", "sub_type": "quick_reply", "index": "1"}
    button["parameters"] = [{"type": "payload", "payload": "ack:7KQ2M"}]  # type: ignore[assignment]
    with_button = template(good)
    with_button["template"]["components"].append(button)
    assert error(await post(whatsapp_gw, with_button)) == (400, 131009)  # no button 1
    assert len(whatsapp_gw.received) == 1


@pytest.mark.parametrize(
    ("interactive", "code"),
    [
        ({"body": {"text": "x" * 1025}}, 131009),
        ({"body": {"text": ""}}, 131008),
        ({"title": "Terima peringatan ini!"}, 131009),  # 22 characters
        ({"buttons": []}, 131009),
        ({"type": "list"}, 131009),
    ],
)
async def test_interactive_limits(
    whatsapp_gw: WhatsAppGateway, interactive: dict[str, Any], code: int
) -> None:
    reply = {"id": "ack:7KQ2M", "title": interactive.pop("title", "Terima")}
    buttons = interactive.pop("buttons", [{"type": "reply", "reply": reply}])
    spec = {"type": "button", "body": {"text": "ok"}, "action": {"buttons": buttons}}
    answer = await post(whatsapp_gw, {"type": "interactive", "interactive": spec | interactive})
    assert error(answer) == (400, code)
    assert whatsapp_gw.sent == []


async def test_a_template_the_office_did_not_register_falls_back(
    whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    async with WhatsAppChannel(
        whatsapp_gw.base_url,
        whatsapp_gw.token,
        whatsapp_gw.phone_number_id,
        template_name="belum_didaftarkan",
    ) as channel:
        with pytest.raises(PermanentError, match="code 132001"):
            await channel.send(outgoing(to_address="+" + NUMBER))


async def test_a_one_time_code_outside_the_window_is_delivered_with_its_copy_button(
    whatsapp: WhatsAppChannel, whatsapp_gw: WhatsAppGateway, outgoing: Make
) -> None:
    code = outgoing(to_address="+" + NUMBER, text="Kode 482913", ack_code=None, template=None,
                    one_time_code="482913", language="en")  # fmt: skip
    await whatsapp.send(code)
    [shown] = whatsapp_gw.received
    assert shown.text == CODE["en"].fill(["482913"])
    assert (shown.meta["template"], shown.meta["buttons"], shown.meta["payloads"]) == (
        "timpora_kode", ["Copy code"], ["482913"],
    )  # fmt: skip


async def test_the_code_templates_button_is_checked_as_meta_does(
    whatsapp_gw: WhatsAppGateway,
) -> None:
    def code_template(*buttons: dict[str, Any]) -> dict[str, Any]:
        body = template(["482913"], name="timpora_kode")
        body["template"]["components"] += list(buttons)
        return body

    url = {"type": "button", "sub_type": "url", "index": "0"}
    good = url | {"parameters": [{"type": "text", "text": "482913"}]}
    assert (await post(whatsapp_gw, code_template(good))).status_code == 200
    assert error(await post(whatsapp_gw, code_template())) == (400, 131008)  # no button
    quick = good | {"sub_type": "quick_reply"}
    assert error(await post(whatsapp_gw, code_template(quick))) == (400, 131009)
    long = url | {"parameters": [{"type": "text", "text": "1" * 16}]}
    assert error(await post(whatsapp_gw, code_template(long))) == (400, 131009)
    assert len(whatsapp_gw.received) == 1
