"""Long SMS and delivery-report URLs through Kannel: the coding and charset Kannel needs
to split a text into concatenated parts itself (153 GSM-7 / 67 UCS-2 characters a part),
counted at the fake as Kannel counts them, and the dlr-url Kannel calls back."""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import quote

import httpx

from devtools import HttpServer, KannelGateway, Request, Response
from devtools.kannel import USERNAME
from notify_service.channels.base import OutgoingMessage
from notify_service.channels.kannel import KannelChannel
from notify_service.render import render, sms_segments
from tests.kafkautil import wait_for
from tests.unit.notify.factories import LINK, alert, member, report

Make = Callable[..., OutgoingMessage]
CHINESE = "五名外国人在矿区工作没有工作许可证"  # 17 characters, none in GSM-7


async def test_a_long_gsm_text_is_one_request_kannel_splits_in_153s(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    text = ("Lima WNA bekerja di tambang Satui tanpa izin kerja. " * 8)[:400]
    await kannel.send(outgoing(text=text))
    [received] = kannel_gw.received
    assert "coding" not in kannel_gw.last.query  # GSM-7, Kannel's default
    assert received.text == text
    assert received.meta["segments"] == 3 == sms_segments(text)[0]  # 306 < 400 <= 459


async def test_a_long_ucs2_text_goes_as_coding_2_and_splits_in_67s(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    text = (CHINESE * 9)[:150]
    await kannel.send(outgoing(text=text))
    q = kannel_gw.last.query
    assert (q["coding"], q["charset"]) == ("2", "UTF-8")
    [received] = kannel_gw.received
    assert received.text == text
    assert received.meta["segments"] == 3 == sms_segments(text)[0]  # 134 < 150 <= 201


async def test_one_part_holds_160_gsm_or_70_ucs2(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    for text, parts in (("a" * 160, 1), ("a" * 161, 2), ("五" * 70, 1), ("五" * 71, 2)):
        await kannel.send(outgoing(text=text))
        assert kannel_gw.received[-1].meta["segments"] == parts, text


async def test_rendered_alerts_take_the_parts_the_renderer_counted(
    kannel: KannelChannel, kannel_gw: KannelGateway
) -> None:
    for text in ("Lima WNA bekerja di area tambang", f"{CHINESE} di area tambang Satui"):
        a = alert(report=report(text=text))
        rendered = render(a, member(), "sms", link=LINK)
        await kannel.send(OutgoingMessage("+6281200000101", "", rendered.text, "k1"))
        received = kannel_gw.received[-1]
        assert received.meta["coding"] == ("2" if rendered.encoding == "UCS-2" else "0")
        assert received.meta["segments"] == rendered.segments
        assert "truncated" not in received.meta


async def test_the_fake_refuses_ucs2_text_sent_as_coding_0(kannel_gw: KannelGateway) -> None:
    auth = {"username": kannel_gw.username, "password": kannel_gw.password, "to": "+62812"}
    async with httpx.AsyncClient(base_url=kannel_gw.base_url) as client:
        bad = await client.get("/cgi-bin/sendsms", params={**auth, "text": CHINESE})
        assert (bad.status_code, bad.text) == (400, "Text not in GSM 03.38 for coding 0, rejected")
        # coding 2 without a charset is UTF-16BE, as Kannel reads it
        raw = quote(CHINESE.encode("utf-16-be"), safe="")
        target = "/cgi-bin/sendsms?" + "&".join(f"{k}={quote(v)}" for k, v in auth.items())
        ok = await client.get(f"{target}&coding=2&text={raw}")
        assert ok.status_code == 202
        garbled = await client.get(f"{target}&coding=2&charset=NOPE&text=x")
        assert (garbled.status_code, garbled.text) == (400, "Charset or body misformed, rejected")
    assert [m.text for m in kannel_gw.received] == [CHINESE]


async def test_kannel_cuts_past_max_messages(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.max_messages = 2
    await kannel.send(outgoing(text="a" * 400))
    [received] = kannel_gw.received
    assert (received.meta["segments"], received.meta["truncated"]) == (2, True)
    assert received.text == "a" * 306


async def test_the_dlr_url_carries_the_delivery_id_and_the_key_kannel_calls_back(
    kannel_gw: KannelGateway, outgoing: Make
) -> None:
    calls: list[Request] = []

    async def notify(request: Request) -> Response:
        calls.append(request)
        return Response.plain("ok")

    async with HttpServer(notify) as dlr_server:
        channel = KannelChannel(
            kannel_gw.url,
            USERNAME,
            kannel_gw.password,
            "+6281100000000",
            smsc="telkomsel",
            dlr_url=f"{dlr_server.base_url}/v1/webhooks/kannel/dlr",
            dlr_mask=31,
            dlr_key="inbound-key",
        )
        async with channel:
            await channel.send(outgoing(delivery_key="01JH8Z3K6Y2QW4E5R6T7Y8V9WA"))
        q = kannel_gw.last.query
        assert q["dlr-url"] == (
            f"http://kannel:inbound-key@127.0.0.1:{dlr_server.port}/v1/webhooks/kannel/dlr"
            "?id=01JH8Z3K6Y2QW4E5R6T7Y8V9WA&type=%d&at=%T"
        )
        await wait_for(lambda: _n(calls, 2), timeout=5)
    basic = "Basic " + base64.b64encode(b"kannel:inbound-key").decode()
    assert [c.headers["authorization"] for c in calls] == [basic, basic]
    assert [(c.path, c.query["id"], c.query["type"]) for c in calls] == [
        ("/v1/webhooks/kannel/dlr", "01JH8Z3K6Y2QW4E5R6T7Y8V9WA", "8"),
        ("/v1/webhooks/kannel/dlr", "01JH8Z3K6Y2QW4E5R6T7Y8V9WA", "1"),
    ]
    assert all(c.query["at"].isdigit() for c in calls)
    assert [c.status for c in kannel_gw.callbacks.made] == [200, 200]


async def _n(calls: list[Request], n: int) -> bool:
    return len(calls) >= n
