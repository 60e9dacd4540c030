"""Provider delivery reports end to end, on real Kafka and PostgreSQL, with notify serving
HTTP on a real port so the fake providers call it back as Kannel and Meta do: Kannel's
dlr-url (Basic auth with the inbound key), the Cloud API's signed status webhook.

Counted at the fakes: a WhatsApp ``failed`` status brings the member's SMS within
:data:`FALLBACK_S`, once; a Kannel DLR 16 or 2 brings the member's next channel, once;
delivered reports mark deliveries delivered (read after it), duplicates change nothing;
a silent SMS becomes ``unconfirmed`` and a late DLR upgrades it; a bad signature or key
is refused and changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from devtools import Sinks, free_port
from devtools.whatsapp_statuses import sign
from notify_service.app import create_app
from notify_service.models import DeliveryRow
from shared.settings import NotifySettings, Settings
from tests.integration.notify.test_notify_service import alert, db, env_for, rows, send_alerts
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["db"]  # fixtures

FALLBACK_S = 5.0  # a failed report -> the next channel's message at the fake, at most
APP_SECRET, KEY = "wa-app-secret", "inbound-test-key"
CAMAT, KAPOLSEK, DANRAMIL = "+6281200000101", "+6281200000102", "+6281200000103"
CAMAT_MAIL, DANRAMIL_WA = "camat.satui@example.org", "6281200000103"


@dataclass
class Notify:
    url: str
    http: httpx.AsyncClient


@asynccontextmanager
async def serving(
    kafka: Settings,
    db: str,
    sinks: Sinks,
    monkeypatch: pytest.MonkeyPatch,
    **env: str,
) -> AsyncIterator[Notify]:
    """Notify on a real port, Kannel's dlr-url and the status webhook pointed at it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    values = {
        **env_for(kafka, db, sinks),
        "NOTIFY_KANNEL_DLR_URL": f"{url}/v1/webhooks/kannel/dlr",
        "NOTIFY_WHATSAPP_APP_SECRET": APP_SECRET,
        **env,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    sinks.whatsapp.status_url = f"{url}/v1/webhooks/whatsapp"
    sinks.whatsapp.app_secret = APP_SECRET
    app = create_app(NotifySettings())
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: _started(server), timeout=30)
        async with httpx.AsyncClient(base_url=url) as http:
            yield Notify(url, http)
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started


def to(sinks: Sinks, channel: str, address: str) -> list[str]:
    return [m.text for m in sinks.by_channel(channel) if m.to == address]


async def row_of(db: str, member: str, channel: str) -> DeliveryRow | None:
    return next((r for r in await rows(db) if (r.member_id, r.channel) == (member, channel)), None)


async def receipt_is(db: str, member: str, channel: str, receipt: str) -> bool:
    row = await row_of(db, member, channel)
    return row is not None and row.receipt == receipt


async def test_a_whatsapp_failed_status_brings_the_members_sms_within_seconds_once(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks.whatsapp.fail_numbers = {DANRAMIL_WA: 131026}  # accepted, then reported failed
    async with serving(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: _failed_status_made(sinks), timeout=30)
        reported = time.monotonic()
        await wait_for(lambda: _has(sinks, "sms", DANRAMIL), timeout=FALLBACK_S)
        assert time.monotonic() - reported <= FALLBACK_S
        await wait_for(lambda: receipt_is(db, "danramil", "whatsapp", "failed"), timeout=10)
        await asyncio.sleep(1.5)  # to catch a second SMS or a retried WhatsApp
    assert len(to(sinks, "sms", DANRAMIL)) == 1
    assert len(sinks.whatsapp.sent_to(DANRAMIL_WA)) == 1  # a failed report is not retried
    assert to(sinks, "whatsapp", DANRAMIL_WA) == []  # the phone never showed it
    whatsapp = await row_of(db, "danramil", "whatsapp")
    sms = await row_of(db, "danramil", "sms")
    assert whatsapp is not None
    assert sms is not None
    assert (whatsapp.status, whatsapp.receipt) == ("gave_up", "failed")
    assert whatsapp.error == "whatsapp 131026: Message undeliverable"
    assert sms.status == "sent"
    assert all(c.status == 200 for c in sinks.whatsapp.callbacks.made)


async def _failed_status_made(sinks: Sinks) -> bool:
    return any(b'"failed"' in c.body for c in sinks.whatsapp.callbacks.made)


async def _has(sinks: Sinks, channel: str, address: str) -> bool:
    return bool(to(sinks, channel, address))


@pytest.mark.parametrize("dlr", [16, 2])
async def test_a_kannel_failed_dlr_falls_back_to_the_next_channel_once(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch, dlr: int
) -> None:
    sinks.kannel.fail_numbers = {CAMAT: dlr}  # camat: sms, then email
    async with serving(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: _dlr_made(sinks, dlr), timeout=30)
        reported = time.monotonic()
        await wait_for(lambda: _has(sinks, "email", CAMAT_MAIL), timeout=FALLBACK_S)
        assert time.monotonic() - reported <= FALLBACK_S
        await asyncio.sleep(1.5)
    assert len(to(sinks, "email", CAMAT_MAIL)) == 1
    assert to(sinks, "sms", CAMAT) == []  # the SMSC never got it to the phone
    assert [m.to for m in sinks.kannel.undelivered] == [CAMAT]
    sms = await row_of(db, "camat", "sms")
    assert sms is not None
    assert (sms.status, sms.receipt) == ("gave_up", "failed")
    assert sms.error is not None
    assert sms.error.startswith(f"kannel DLR {dlr}:")
    assert all(c.status == 200 for c in sinks.kannel.callbacks.made)


async def _dlr_made(sinks: Sinks, dlr: int) -> bool:
    return any(f"type={dlr}&" in c.url for c in sinks.kannel.callbacks.made)


async def test_delivered_reports_mark_deliveries_and_duplicates_change_nothing(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks.whatsapp.read_numbers = {DANRAMIL_WA}
    async with serving(kafka_settings, db, sinks, monkeypatch) as notify:
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: receipt_is(db, "camat", "sms", "delivered"), timeout=30)
        await wait_for(lambda: receipt_is(db, "danramil", "whatsapp", "read"), timeout=30)
        await wait_for(lambda: _settled(sinks), timeout=10)
        before = {(r.delivery_id, r.status, r.receipt, r.receipt_at) for r in await rows(db)}
        received = len(sinks.received)
        # Meta and Kannel repeat themselves: every report once more, and a late failure
        for call in sinks.whatsapp.callbacks.made:
            headers = {"X-Hub-Signature-256": sign(APP_SECRET, call.body)}
            answer = await notify.http.post(
                "/v1/webhooks/whatsapp", content=call.body, headers=headers
            )
            assert answer.status_code == 200
        async with httpx.AsyncClient(auth=("kannel", KEY)) as kannel:
            for call in sinks.kannel.callbacks.made:
                assert (await kannel.get(call.url)).status_code == 200
        camat = await row_of(db, "camat", "sms")
        assert camat is not None
        late_failure = {"id": camat.delivery_id, "type": "16", "key": KEY}
        assert (await notify.http.get("/v1/webhooks/kannel/dlr", params=late_failure)).text == "ok"
        await asyncio.sleep(1.5)  # kept reports are applied every second
        after = {(r.delivery_id, r.status, r.receipt, r.receipt_at) for r in await rows(db)}
        metrics = (await notify.http.get("/metrics")).text
    assert after == before
    assert len(sinks.received) == received
    assert len(to(sinks, "sms", CAMAT)) == 1
    assert len(to(sinks, "whatsapp", DANRAMIL_WA)) == 1
    telegram = await row_of(db, "kapolsek", "telegram")
    assert telegram is not None
    assert (telegram.status, telegram.receipt) == ("sent", None)
    assert 'timpora_delivery_receipts_total{channel="sms",state="delivered"}' in metrics
    assert 'timpora_delivery_receipts_total{channel="whatsapp",state="read"}' in metrics
    assert 'timpora_time_to_delivered_seconds_count{channel="whatsapp"}' in metrics


async def _settled(sinks: Sinks) -> bool:
    return sinks.kannel.callbacks.pending == 0 and sinks.whatsapp.callbacks.pending == 0


async def test_a_silent_sms_becomes_unconfirmed_and_a_late_dlr_upgrades_it(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks.kannel.silent_numbers = {CAMAT}  # Kannel reports the submit (8), never more
    timeouts = '{"sms": 2, "whatsapp": 900}'
    async with serving(
        kafka_settings, db, sinks, monkeypatch, NOTIFY_RECEIPT_TIMEOUT_SECONDS=timeouts
    ) as notify:
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: receipt_is(db, "camat", "sms", "awaiting"), timeout=30)
        await wait_for(lambda: receipt_is(db, "camat", "sms", "unconfirmed"), timeout=8)
        camat = await row_of(db, "camat", "sms")
        assert camat is not None
        assert camat.status == "sent"
        late = {"id": camat.delivery_id, "type": "1", "at": "1767225600"}
        answer = await notify.http.get("/v1/webhooks/kannel/dlr", params=late, auth=("kannel", KEY))
        assert answer.text == "ok"
        await wait_for(lambda: receipt_is(db, "camat", "sms", "delivered"), timeout=5)
        await asyncio.sleep(2.5)  # a later sweep leaves it delivered
    assert await receipt_is(db, "camat", "sms", "delivered")
    assert await receipt_is(db, "danramil", "whatsapp", "delivered")  # its own timeout
    assert to(sinks, "email", CAMAT_MAIL) == []  # unconfirmed is no failure: no fallback


async def test_a_bad_signature_or_key_is_refused_and_changes_nothing(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(kafka_settings, db, sinks, monkeypatch) as notify:
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: receipt_is(db, "camat", "sms", "delivered"), timeout=30)
        await wait_for(lambda: receipt_is(db, "danramil", "whatsapp", "delivered"), timeout=30)
        await wait_for(lambda: _settled(sinks), timeout=10)
        before = {(r.delivery_id, r.status, r.receipt, r.receipt_at) for r in await rows(db)}
        camat = await row_of(db, "camat", "sms")
        danramil = await row_of(db, "danramil", "whatsapp")
        assert camat is not None
        assert danramil is not None
        failed = sinks.whatsapp.callbacks.made[0].body.replace(b'"sent"', b'"failed"')
        assert danramil.provider_message_id
        assert danramil.provider_message_id.encode() in failed
        for headers in ({}, {"X-Hub-Signature-256": sign("not-the-secret", failed)}):
            answer = await notify.http.post(
                "/v1/webhooks/whatsapp", content=failed, headers=headers
            )
            assert answer.status_code == 401
        dlr = "/v1/webhooks/kannel/dlr"
        failure = {"id": camat.delivery_id, "type": "16"}
        assert (await notify.http.get(dlr, params=failure)).status_code == 401
        assert (
            await notify.http.get(dlr, params=failure, auth=("kannel", "wrong"))
        ).status_code == 401
        wrong_key = {**failure, "key": "wrong"}
        assert (await notify.http.get(dlr, params=wrong_key)).status_code == 401
        await asyncio.sleep(1.5)
        after = {(r.delivery_id, r.status, r.receipt, r.receipt_at) for r in await rows(db)}
    assert after == before
    assert to(sinks, "email", CAMAT_MAIL) == []
    assert len(to(sinks, "sms", DANRAMIL)) == 0


async def test_a_report_before_the_send_is_recorded_is_applied_once_it_is(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kannel reports while notify still waits for its sendsms answer: the row is still
    ``sending``, so the report is kept and applied after the record (then falls back)."""
    sinks.kannel.fail_numbers = {CAMAT: 16}
    sinks.kannel.script.delay = 1.0  # the answer comes 1 s after the message (and its DLR)
    async with serving(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: _dlr_made(sinks, 16), timeout=30)
        assert (await row_of(db, "camat", "sms")) is not None
        assert not await receipt_is(db, "camat", "sms", "failed")  # not recorded yet
        await wait_for(lambda: _has(sinks, "email", CAMAT_MAIL), timeout=FALLBACK_S + 1)
        await asyncio.sleep(1.5)
    assert len(to(sinks, "email", CAMAT_MAIL)) == 1
    assert await receipt_is(db, "camat", "sms", "failed")
