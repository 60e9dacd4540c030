"""Replies on real Kafka and PostgreSQL: acks on the member page (the signed link), an
SMS reply, Telegram and WhatsApp, each published once; webhooks authenticated."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from devtools import Sinks
from notify_service.signing import make_token
from shared import topics
from shared.schemas import Severity
from shared.settings import NotifySettings, Settings
from tests.integration.notify.test_notify_service import (
    _count,
    _count_channel,
    alert,
    db,
    running,
    send_alerts,
)
from tests.kafkautil import consume, values, wait_for
from tests.member_page import member_pages
from tests.rows import seed_alert

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["db"]  # fixtures


async def test_acks_by_link_sms_reply_and_telegram_publish_once_each(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = alert(severity=Severity.critical)
    async with running(kafka_settings, db, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a)
        await wait_for(lambda: _count(sinks, 4))
        await seed_alert(db, a)  # routing's row: the member page reads the alert's status
        settings = NotifySettings()
        token = make_token(
            settings.secret_key.get_secret_value(), a.alert_id, "kasi", timedelta(hours=1)
        )
        async with member_pages() as member:
            page = await member.open(token)
            assert page.status_code == 200
            assert "Zhang Wei Ming" not in page.text  # masked until the one-time code
            assert "Terima kasih" in (await member.post(token, "ack")).text
            assert "sudah tercatat" in (await member.post(token, "ack")).text
            assert (await member.open("forged.token")).status_code == 404
        sms = await client.get(
            "/v1/webhooks/kannel",
            params={
                "key": "inbound-test-key",
                "from": "6281200000101",
                "text": f"ok {a.ack_code.lower()}",
            },
        )
        assert "dikonfirmasi" in sms.text
        assert (
            await client.get(
                "/v1/webhooks/kannel",
                params={"key": "wrong", "from": "6281200000101", "text": f"OK {a.ack_code}"},
            )
        ).status_code == 401
        tg = await client.post(
            "/v1/webhooks/telegram",
            json={
                "update_id": 1,
                "callback_query": {
                    "id": "1",
                    "from": {"id": 700000102},
                    "data": f"ack:{a.ack_code}",
                },
            },
            headers={"X-Telegram-Bot-Api-Secret-Token": "inbound-test-key"},
        )
        assert tg.json()["ok"] is True
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 3, settle=1.0))
    assert sorted((x["member_id"], x["channel"]) for x in acks) == [
        ("camat", "sms"),
        ("kapolsek", "telegram"),
        ("kasi", "link"),
    ]
    assert {x["alert_id"] for x in acks} == {a.alert_id}


def _whatsapp_notification(sender: str, **message: object) -> bytes:
    """A Cloud API webhook body as Meta posts it (one message from ``sender``)."""
    import orjson

    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "628110000000", "phone_number_id": "1099"},
        "contacts": [{"profile": {"name": "Agus"}, "wa_id": sender}],
        "messages": [{"from": sender, "id": "wamid.T1", "timestamp": "1768198200", **message}],
    }
    return orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
        }
    )


async def test_whatsapp_reply_acks_once_and_the_webhook_is_authenticated(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notify_service.channels.webhook import signature

    monkeypatch.setenv("NOTIFY_WHATSAPP_APP_SECRET", "meta-app-secret")
    monkeypatch.setenv("NOTIFY_WHATSAPP_VERIFY_TOKEN", "verify-me")
    a = alert()
    async with running(kafka_settings, db, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a)
        await wait_for(lambda: _count_channel(sinks, "whatsapp", 1))
        assert f"OK {a.ack_code}" in sinks.by_channel("whatsapp")[0].text  # what they reply

        hub = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
        ok = await client.get(
            "/v1/webhooks/whatsapp", params={**hub, "hub.verify_token": "verify-me"}
        )
        assert (ok.status_code, ok.text) == (200, "1158201444")
        bad = await client.get("/v1/webhooks/whatsapp", params={**hub, "hub.verify_token": "x"})
        assert bad.status_code == 403

        async def post(body: bytes, secret: str = "meta-app-secret") -> httpx.Response:
            return await client.post(
                "/v1/webhooks/whatsapp",
                content=body,
                headers={"X-Hub-Signature-256": signature(secret, body)},
            )

        reply = _whatsapp_notification(
            "6281200000103", type="text", text={"body": f"ok {a.ack_code.lower()}"}
        )
        assert (await post(reply, "wrong-secret")).status_code == 401
        unsigned = await client.post("/v1/webhooks/whatsapp", content=reply)
        assert unsigned.status_code == 401
        first = await post(reply)
        assert first.json() == {"ok": True, "acknowledged": [a.alert_id]}
        assert (await post(reply)).status_code == 200  # Meta redelivers: no second event
        stranger = _whatsapp_notification(
            "6289999999999", type="text", text={"body": f"OK {a.ack_code}"}
        )
        assert (await post(stranger)).json() == {"ok": False, "acknowledged": []}
        status_only = b'{"object":"whatsapp_business_account","entry":[]}'
        assert (await post(status_only)).json()["ok"] is False
        assert (await post(b"not json")).json() == {"ok": False, "reason": "invalid json"}
        too_big = await post(b"x" * 300_000)
        assert too_big.status_code == 413
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 1, settle=1.0))
    assert [(x["alert_id"], x["member_id"], x["channel"]) for x in acks] == [
        (a.alert_id, "danramil", "whatsapp")
    ]
