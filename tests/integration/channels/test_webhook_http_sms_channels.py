"""The signed webhook and the generic HTTP SMS provider."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from aiohttp import web

from devtools import HttpSmsGateway, WebhookReceiver
from notify_service.channels.base import OutgoingMessage, PermanentError, TransientError
from notify_service.channels.http_sms import HttpSmsChannel
from notify_service.channels.webhook import WebhookChannel, signature, verify_signature
from shared.pii import mask_json
from tests.unit.notify.factories import alert

Make = Callable[..., OutgoingMessage]

# --------------------------------------------------------------------------- webhook


async def test_webhook_posts_the_signed_payload(
    webhook: WebhookChannel, webhook_rx: WebhookReceiver, outgoing: Make
) -> None:
    payload = json.dumps(mask_json(alert().model_dump(mode="json"))).encode()
    msg = outgoing(to_address=webhook_rx.url, payload=payload)
    result = await webhook.send(msg)
    assert result.provider_message_id == msg.delivery_key
    request = webhook_rx.last
    assert request.body == payload
    assert request.headers["x-timpora-signature"] == signature(webhook_rx.secret, payload)
    assert verify_signature(webhook_rx.secret, payload, request.headers["x-timpora-signature"])
    assert request.headers["x-timpora-delivery"] == msg.delivery_key
    assert request.headers["content-type"] == "application/json"
    [received] = webhook_rx.received
    assert "E12345689" not in received.text
    assert "Zhang" not in received.text


async def test_webhook_without_a_payload_sends_json(
    webhook: WebhookChannel, webhook_rx: WebhookReceiver, outgoing: Make
) -> None:
    msg = outgoing(to_address=f"{webhook_rx.url}/satui")
    await webhook.send(msg)
    assert webhook_rx.last.json() == {
        "subject": msg.subject,
        "text": msg.text,
        "delivery_key": msg.delivery_key,
    }


async def test_webhook_wrong_secret_is_permanent(
    webhook_rx: WebhookReceiver, outgoing: Make
) -> None:
    async with WebhookChannel("not-the-secret") as channel:
        with pytest.raises(PermanentError, match="HTTP 401"):
            await channel.send(outgoing(to_address=webhook_rx.url))
    assert webhook_rx.received == []
    assert not verify_signature(webhook_rx.secret, b"{}", signature("not-the-secret", b"{}"))
    assert not verify_signature(webhook_rx.secret, b"{}", None)


async def test_webhook_retry_carries_the_same_delivery_key(
    webhook: WebhookChannel, webhook_rx: WebhookReceiver, outgoing: Make
) -> None:
    webhook_rx.script.fail(1, 500)
    msg = outgoing(to_address=webhook_rx.url)
    with pytest.raises(TransientError):
        await webhook.send(msg)
    await webhook.send(msg)
    keys = [r.headers["x-timpora-delivery"] for r in webhook_rx.requests]
    assert keys == [msg.delivery_key, msg.delivery_key]
    assert webhook_rx.deliveries[msg.delivery_key] == 1


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "mailto:x@example.org", "hook"])
async def test_webhook_bad_urls_are_permanent(
    webhook: WebhookChannel, outgoing: Make, url: str
) -> None:
    with pytest.raises(PermanentError, match="http"):
        await webhook.send(outgoing(to_address=url))


async def test_webhook_unreachable_is_transient(
    webhook: WebhookChannel, webhook_rx: WebhookReceiver, outgoing: Make
) -> None:
    url = webhook_rx.url
    await webhook_rx.go_down()
    with pytest.raises(TransientError, match="ClientConnectorError"):
        await webhook.send(outgoing(to_address=url))


async def test_webhook_redirects_are_not_followed(webhook: WebhookChannel, outgoing: Make) -> None:
    """A redirect is an unexpected answer (permanent); the signed body goes nowhere else."""
    hits: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(status=307, headers={"Location": "/elsewhere"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", moved)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(PermanentError, match="webhook HTTP 307"):
            await webhook.send(outgoing(to_address=f"http://127.0.0.1:{port}/hook"))
    finally:
        await runner.cleanup()
    assert hits == ["/hook"]


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookChannel("")


# --------------------------------------------------------------------------- HTTP SMS


async def test_http_sms_request_shape(
    http_sms: HttpSmsChannel, http_sms_gw: HttpSmsGateway, outgoing: Make
) -> None:
    msg = outgoing()
    result = await http_sms.send(msg)
    assert result.provider_message_id == "sms-1"
    request = http_sms_gw.last
    assert (request.method, request.path) == ("POST", "/sms")
    assert request.headers["authorization"] == f"Bearer {http_sms_gw.token}"
    assert request.headers["idempotency-key"] == msg.delivery_key
    assert request.json() == {
        "to": msg.to_address,
        "message": msg.text,
        "reference": msg.delivery_key,
    }


async def test_http_sms_retry_is_deduplicated_by_reference(
    http_sms: HttpSmsChannel, http_sms_gw: HttpSmsGateway, outgoing: Make
) -> None:
    msg = outgoing()
    first = await http_sms.send(msg)
    again = await http_sms.send(msg)
    assert first == again
    assert len(http_sms_gw.received) == 1


async def test_http_sms_error_mapping(
    http_sms: HttpSmsChannel, http_sms_gw: HttpSmsGateway, outgoing: Make
) -> None:
    http_sms_gw.script.fail(1, 500)
    with pytest.raises(TransientError, match="HTTP 500"):
        await http_sms.send(outgoing())
    http_sms_gw.script.fail(1, 429, retry_after=12)
    with pytest.raises(TransientError) as caught:
        await http_sms.send(outgoing())
    assert caught.value.retry_after == 12
    http_sms_gw.script.fail(1, 400)
    with pytest.raises(PermanentError, match="HTTP 400"):
        await http_sms.send(outgoing())
    http_sms_gw.script.hang(1, seconds=5)
    with pytest.raises(TransientError, match="timeout"):
        await http_sms.send(outgoing())
    assert (await http_sms.send(outgoing())).provider_message_id == "sms-1"


async def test_http_sms_bad_token_is_permanent(http_sms_gw: HttpSmsGateway, outgoing: Make) -> None:
    async with HttpSmsChannel(f"{http_sms_gw.base_url}/sms", "wrong") as channel:
        with pytest.raises(PermanentError, match="HTTP 401"):
            await channel.send(outgoing())
