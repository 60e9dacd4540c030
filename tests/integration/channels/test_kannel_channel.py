"""KannelChannel against a server speaking Kannel's sendsms contract."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

from devtools import KannelGateway
from notify_service.channels.base import OutgoingMessage, PermanentError, TransientError
from notify_service.channels.kannel import KannelChannel
from notify_service.render import render
from tests.unit.notify.factories import LINK, alert, member, report

Make = Callable[..., OutgoingMessage]


async def test_gsm_text_is_sent_with_exactly_the_sendsms_parameters(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    msg = outgoing()
    result = await kannel.send(msg)
    assert result.provider_message_id == msg.delivery_key  # Kannel returns no id
    request = kannel_gw.last
    assert (request.method, request.path) == ("GET", "/cgi-bin/sendsms")
    assert request.query_list == [
        ("username", "timpora"),
        ("password", "kannel-pass"),
        ("from", "TIMPORA"),
        ("to", "+6281200000101"),
        ("text", msg.text),
        ("charset", "UTF-8"),
    ]
    [received] = kannel_gw.received
    assert (received.to, received.text, received.meta["coding"]) == (
        "+6281200000101",
        msg.text,
        "0",
    )


async def test_ucs2_text_is_sent_with_coding_2(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    text = "Laporan: 五名外国人在矿区 Balas OK 7KQ2M"
    await kannel.send(outgoing(text=text))
    assert kannel_gw.last.query["coding"] == "2"
    assert kannel_gw.last.query["charset"] == "UTF-8"
    assert kannel_gw.received[0].text == text  # UTF-8 in the URL, decoded intact


async def test_typographic_punctuation_is_sent_as_gsm(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    await kannel.send(outgoing(text="Warga: “ada WNA” — dermaga…"))
    assert "coding" not in kannel_gw.last.query
    assert kannel_gw.received[0].text == 'Warga: "ada WNA" - dermaga...'


async def test_route_and_delivery_report_url(kannel_gw: KannelGateway, outgoing: Make) -> None:
    channel = KannelChannel(
        f"{kannel_gw.base_url}/cgi-bin/sendsms",
        kannel_gw.username,
        kannel_gw.password,
        "TIMPORA",
        smsc="telkomsel",
        dlr_url="https://notify.example.go.id/v1/dlr/kannel?key={delivery_key}&status=%d",
    )
    async with channel:
        msg = outgoing()
        await channel.send(msg)
    q = kannel_gw.last.query
    assert q["smsc"] == "telkomsel"
    assert q["dlr-mask"] == "31"
    dlr = urlsplit(q["dlr-url"])
    assert dict(parse_qsl(dlr.query)) == {"key": msg.delivery_key, "status": "%d"}


async def test_queued_for_later_delivery_is_success(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.queue = True
    assert (await kannel.send(outgoing())).provider_message_id


async def test_a_rendered_alert_goes_through_intact(
    kannel: KannelChannel, kannel_gw: KannelGateway
) -> None:
    a = alert(report=report(text="Lima WNA bekerja di area tambang, 2 orang dari “PT X”"))
    rendered = render(a, member(), "sms", link=LINK)
    msg = OutgoingMessage("+6281200000101", rendered.subject, rendered.text, "k1", None, a.ack_code)
    await kannel.send(msg)
    [received] = kannel_gw.received
    assert received.text == rendered.text
    assert received.meta["coding"] == ("2" if rendered.encoding == "UCS-2" else "0")
    assert f"OK {a.ack_code}" in received.text
    assert "E12345689" not in received.text


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_transient(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make, status: int
) -> None:
    kannel_gw.script.fail(1, status)
    with pytest.raises(TransientError, match=f"kannel HTTP {status}"):
        await kannel.send(outgoing())
    assert kannel_gw.received == []


async def test_fail_twice_then_succeed(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.script.fail(2, 503)
    for _ in range(2):
        with pytest.raises(TransientError, match="Temporal failure"):
            await kannel.send(outgoing())
    await kannel.send(outgoing())
    assert len(kannel_gw.requests) == 3
    assert len(kannel_gw.received) == 1


async def test_wrong_credentials_are_permanent_and_never_echo_the_password(
    kannel_gw: KannelGateway, outgoing: Make
) -> None:
    async with KannelChannel(
        f"{kannel_gw.base_url}/cgi-bin/sendsms", "timpora", "wrong-secret", "TIMPORA"
    ) as channel:
        with pytest.raises(PermanentError, match="Authorization failed") as caught:
            await channel.send(outgoing())
    assert "wrong-secret" not in str(caught.value)


async def test_bad_request_is_permanent(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.script.fail(1, 400)
    with pytest.raises(PermanentError):
        await kannel.send(outgoing())
    with pytest.raises(PermanentError, match="empty receiver"):
        await kannel.send(outgoing(to_address="  "))


async def test_not_routable_is_permanent(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.script.fail(1, 403)
    with pytest.raises(PermanentError, match="Not routable"):
        await kannel.send(outgoing())


async def test_timeout_is_transient(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.script.hang(1, seconds=5)
    with pytest.raises(TransientError, match="timeout"):
        await kannel.send(outgoing())


async def test_gateway_down_is_transient_and_recovers(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    await kannel_gw.go_down()
    with pytest.raises(TransientError, match="kannel: ClientConnectorError") as caught:
        await kannel.send(outgoing())
    assert "kannel-pass" not in str(caught.value)
    await kannel_gw.come_up()
    await kannel.send(outgoing())
    assert len(kannel_gw.received) == 1


async def test_scripted_down_answers_503(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.script.down = True
    for _ in range(3):
        with pytest.raises(TransientError):
            await kannel.send(outgoing())
    kannel_gw.script.reset()
    await kannel.send(outgoing())


async def test_an_unexpected_success_answer_is_not_retried(
    kannel_gw: KannelGateway, outgoing: Make
) -> None:
    # A proxy answering 200 with its own page: the SMS may or may not have gone out;
    # retrying could send it twice, so the engine must fall back instead.
    async with KannelChannel(f"{kannel_gw.base_url}/elsewhere", "u", "p", "T") as channel:
        with pytest.raises(PermanentError):
            await channel.send(outgoing())  # 404 from the gateway: permanent as well


async def test_the_gateway_rejects_drift_from_the_contract(kannel_gw: KannelGateway) -> None:
    """The fake is strict: a client sending unknown or malformed parameters fails."""
    import httpx

    base = f"{kannel_gw.base_url}/cgi-bin/sendsms"
    auth = {"username": kannel_gw.username, "password": kannel_gw.password}
    async with httpx.AsyncClient() as client:
        cases = {
            "Unknown parameter(s) message": {**auth, "to": "1", "message": "x"},
            "Missing receiver number": {**auth, "text": "x"},
            "Empty receiver number": {**auth, "to": " ", "text": "x"},
            "Coding field misformed": {**auth, "to": "1", "text": "x", "coding": "7"},
            "DLR-Mask field misformed": {**auth, "to": "1", "text": "x", "dlr-mask": "99"},
            "DLR-URL field misformed": {**auth, "to": "1", "text": "x", "dlr-url": "ftp://x"},
        }
        for expected, params in cases.items():
            response = await client.get(base, params=params)
            assert response.status_code == 400, expected
            assert expected in response.text
    assert kannel_gw.received == []


# --------------------------------------------------------------------------- HTTP client


@pytest.mark.parametrize(
    "text",
    [
        "Naik 50% + 3 & lebih = ? # / ; spasi  ganda, tab\tdan ~*'()!",
        "五名 + 外国人 & 50% = ? # spasi  ganda",  # UCS-2 (coding=2)
    ],
)
async def test_reserved_characters_arrive_intact(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make, text: str
) -> None:
    msg = outgoing(text=text, to_address="+62 812-0000-0101")
    await kannel.send(msg)
    params = kannel.params(msg)  # the text after GSM-friendly mapping (a tab is a space)
    assert kannel_gw.last.query_list == list(params.items())
    [received] = kannel_gw.received
    assert (received.to, received.text) == (msg.to_address, params["text"])
    assert params["text"].replace(" ", "") == text.replace(" ", "").replace("\t", "")


async def test_one_kept_alive_connection_and_our_user_agent(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    for _ in range(3):
        await kannel.send(outgoing())
    assert len(set(kannel_gw.peers)) == 1
    assert {r.headers["user-agent"] for r in kannel_gw.requests} == {"timpora-alert-router"}


async def test_the_session_is_made_in_the_loop_and_again_after_aclose(
    kannel_gw: KannelGateway, outgoing: Make
) -> None:
    channel = KannelChannel(
        f"{kannel_gw.base_url}/cgi-bin/sendsms", kannel_gw.username, kannel_gw.password, "T"
    )
    assert channel._session is None  # nothing made at construction (no loop needed)
    await channel.send(outgoing())
    await channel.aclose()
    await channel.send(outgoing())  # a new session on next use
    await channel.aclose()
    assert len(kannel_gw.received) == 2


def test_construction_outside_a_loop_makes_no_session() -> None:
    channel = KannelChannel("http://127.0.0.1:9/cgi-bin/sendsms", "u", "p", "T")
    assert channel._session is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://127.0.0.1/cgi-bin/sendsms", "unsupported URL scheme"),
        ("http:///cgi-bin/sendsms", "unsupported URL scheme"),  # no host
        ("http://[::1/cgi-bin/sendsms", "invalid URL"),
    ],
)
async def test_bad_gateway_urls_are_permanent_and_never_quoted(
    outgoing: Make, url: str, expected: str
) -> None:
    async with KannelChannel(url, "timpora", "s3cret-pass", "T") as channel:
        with pytest.raises(PermanentError, match=expected) as caught:
            await channel.send(outgoing())
    assert "s3cret-pass" not in str(caught.value)
    assert "cgi-bin" not in str(caught.value)


async def test_a_timeout_names_neither_url_nor_password(
    kannel: KannelChannel, kannel_gw: KannelGateway, outgoing: Make
) -> None:
    kannel_gw.script.hang(1, seconds=5)
    with pytest.raises(TransientError, match="kannel: timeout") as caught:
        await kannel.send(outgoing())
    for secret in (kannel_gw.password, str(kannel_gw.port), "sendsms"):
        assert secret not in str(caught.value)
    assert caught.value.retry_after is None
