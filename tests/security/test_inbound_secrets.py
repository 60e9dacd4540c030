"""The attack (#17 item 11): one inbound key opened both Kannel's MO URL (where it sits in
a query string, so in proxy and gateway logs) and the Telegram webhook, and Telegram's
body was read whole whatever its size. Now Telegram has its own secret (production
refuses to share one), Kannel may send its key as Basic auth instead of in the URL, and
an oversized Telegram body is refused before it is read. Notify runs on real Kafka and
PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from devtools import Sinks
from shared.settings import NotifySettings, Settings
from tests.integration.notify.test_notify_service import db, running
from tests.prod_env import production_env

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["db"]

KANNEL_KEY = "inbound-test-key"  # what tests.integration.notify.test_notify_service sets
TELEGRAM_SECRET = "telegram-only-secret"
UPDATE = {"update_id": 1, "message": {"chat": {"id": 700000102}, "text": "/ack ZZZZZ"}}


async def test_each_inbound_channel_has_its_own_secret(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_TELEGRAM_WEBHOOK_SECRET", TELEGRAM_SECRET)
    async with running(kafka_settings, db, sinks, monkeypatch) as client:

        async def telegram(secret: str, **kw: object) -> httpx.Response:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            return await client.post("/v1/webhooks/telegram", headers=headers, **kw)  # type: ignore[arg-type]

        # the key an attacker read in a proxy log of the SMS gateway opens nothing else
        assert (await telegram(KANNEL_KEY, json=UPDATE)).status_code == 401
        assert (await telegram(TELEGRAM_SECRET, json=UPDATE)).status_code == 200
        # a megabyte of JSON is refused unread, after the secret (401 without it)
        huge = b'{"update_id": 1, "x": "' + b"a" * (1024 * 1024) + b'"}'
        assert (await telegram("wrong", content=huge)).status_code == 401
        assert (await telegram(TELEGRAM_SECRET, content=huge)).status_code == 413

        sms = {"from": "6281200000101", "text": "OK ZZZZZ"}
        by_basic = await client.get(
            "/v1/webhooks/kannel", params=sms, auth=httpx.BasicAuth("kannel", KANNEL_KEY)
        )
        assert (by_basic.status_code, by_basic.text) == (200, "Kode tidak dikenal.")
        wrong = httpx.BasicAuth("kannel", TELEGRAM_SECRET)
        assert (await client.get("/v1/webhooks/kannel", params=sms, auth=wrong)).status_code == 401
        by_query = await client.get("/v1/webhooks/kannel", params={**sms, "key": KANNEL_KEY})
        assert by_query.status_code == 200  # still accepted (documented as leaking)


def test_production_refuses_one_secret_for_both(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "p" * 40)
    monkeypatch.setenv("NOTIFY_SMS_SENDER", "+6281100000077")
    base = {"telegram_bot_token": SecretStr("123:abc"), "inbound_key": SecretStr("k" * 32)}
    with pytest.raises(ValidationError, match="NOTIFY_TELEGRAM_WEBHOOK_SECRET"):
        NotifySettings(**base)
    with pytest.raises(ValidationError, match="different from"):
        NotifySettings(**base, telegram_webhook_secret=SecretStr("k" * 32))
    ok = NotifySettings(**base, telegram_webhook_secret=SecretStr("t" * 32))
    assert ok.telegram_secret == SecretStr("t" * 32)
    # without its own secret the Telegram webhook opens to nobody, not to the Kannel key
    assert NotifySettings(inbound_key=SecretStr("k" * 32)).telegram_secret is None
