"""WhatsApp's 24-hour window end to end, on real Kafka and PostgreSQL, counted at the fake
Cloud API (which delivers free text only inside the window, as Meta does): a member who
never wrote gets the template, presses its button (an ack), and the next alert comes as
the chat text with a reply button; a window that closed means the template again."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from devtools import Sinks
from notify_service.channels.webhook import signature
from notify_service.models import StepUpCode
from notify_service.signing import code_digest
from notify_service.whatsapp_window import WhatsAppWindowRow
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.kafka import dumps
from shared.schemas import StepUpRequested
from shared.settings import NotifySettings, Settings
from tests.integration.notify.test_acks_everywhere import publish
from tests.integration.notify.test_notify_service import alert, db, running, send_alerts
from tests.kafkautil import consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["db"]  # the directory fixture: Danramil (+6281200000103) takes WhatsApp
NUMBER = "6281200000103"
SECRET = "meta-app-secret"


async def member_writes(
    client: httpx.AsyncClient, sinks: Sinks, message: dict[str, Any], at: datetime | None = None
) -> dict[str, Any]:
    """Danramil sends ``message`` to the number: Meta notes it, then tells notify."""
    at = at or datetime.now(UTC)
    sinks.whatsapp.inbound(NUMBER, at=at.timestamp())
    message = {"from": NUMBER, "id": "wamid.IN", "timestamp": str(int(at.timestamp()))} | message
    value = {"messaging_product": "whatsapp", "messages": [message]}
    entry = {"id": "WABA", "changes": [{"field": "messages", "value": value}]}
    body = orjson.dumps({"object": "whatsapp_business_account", "entry": [entry]})
    answer = await client.post(
        "/v1/webhooks/whatsapp",
        content=body,
        headers={"X-Hub-Signature-256": signature(SECRET, body)},
    )
    assert answer.status_code == 200
    return dict(answer.json())


def whatsapp_types(sinks: Sinks) -> list[tuple[str, bool]]:
    return [(s.type, s.delivered) for s in sinks.whatsapp.sent_to(NUMBER)]


async def test_template_first_then_the_button_acks_and_opens_the_window(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_WHATSAPP_APP_SECRET", SECRET)
    first, second = alert(), alert()
    async with running(kafka_settings, db, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, first)
        await wait_for(lambda: _received(sinks, 4))
        assert whatsapp_types(sinks) == [("template", True)]  # never wrote: the template
        [shown] = sinks.by_channel("whatsapp")
        assert shown.meta["template"] == "timpora_peringatan"
        assert shown.meta["payloads"] == [f"ack:{first.ack_code}"]
        assert f"balas OK {first.ack_code}" in shown.text
        assert "E12****78" in shown.text
        assert "E12345678" not in shown.text
        assert "Zhang" not in shown.text

        button = {"payload": f"ack:{first.ack_code}", "text": "Terima"}
        pressed = await member_writes(client, sinks, {"type": "button", "button": button})
        assert pressed == {"ok": True, "acknowledged": [first.alert_id]}

        await send_alerts(kafka_settings, second)
        await wait_for(lambda: _received(sinks, 4 + 3 + 4))  # + the three colleagues' notices
        assert whatsapp_types(sinks) == [("template", True), ("interactive", True)]
        chat = sinks.by_channel("whatsapp")[1]
        assert chat.meta["payloads"] == [f"ack:{second.ack_code}"]
        assert chat.meta["buttons"] == ["Terima"]
        assert "E12345678" not in chat.text

        choice = {"id": f"ack:{second.ack_code}", "title": "Terima"}
        reply = {"type": "button_reply", "button_reply": choice}
        pressed = await member_writes(client, sinks, {"type": "interactive", "interactive": reply})
        assert pressed == {"ok": True, "acknowledged": [second.alert_id]}
        await wait_for(lambda: _received(sinks, 4 + 3 + 4 + 3))
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 2, settle=1.0))
    assert sorted((a["alert_id"], a["member_id"], a["channel"]) for a in acks) == sorted(
        [(first.alert_id, "danramil", "whatsapp"), (second.alert_id, "danramil", "whatsapp")]
    )
    # What each person received: two alerts each, and a notice of each of Danramil's acks
    # for the three colleagues (Danramil is not told of his own).
    assert sinks.per_recipient() == Counter(
        {
            ("sms", "+6281200000101"): 4,
            ("telegram", "700000102"): 4,
            ("email", "kasi@example.org"): 4,
            ("whatsapp", NUMBER): 2,
        }
    )
    assert len(sinks.whatsapp.sent) == 2  # nothing sent that no phone showed
    table = await _windows(db)
    assert len(table) == 1
    assert "81200000103" not in repr(table)  # a keyed digest, not the number


async def test_a_window_that_closed_means_the_template_again(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_WHATSAPP_APP_SECRET", SECRET)
    a = alert()
    async with running(kafka_settings, db, sinks, monkeypatch) as client:
        yesterday = datetime.now(UTC) - timedelta(hours=25)  # Meta's timestamp counts
        hello = {"type": "text", "text": {"body": "Siap, terima kasih"}}
        assert (await member_writes(client, sinks, hello, at=yesterday))["ok"] is False
        await send_alerts(kafka_settings, a)
        await wait_for(lambda: _received(sinks, 4))
        await asyncio.sleep(0.5)  # nothing more comes
    assert whatsapp_types(sinks) == [("template", True)]
    assert sinks.per_recipient()[("whatsapp", NUMBER)] == 1
    [(_, at)] = await _windows(db)
    assert abs(at.timestamp() - yesterday.timestamp()) < 1.5


async def _received(sinks: Sinks, n: int) -> bool:
    return len(sinks.received) >= n


async def _windows(db: str) -> list[tuple[str, datetime]]:
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(WhatsAppWindowRow.number_key, WhatsAppWindowRow.last_inbound_at)
        )
        found = [(key, at) for key, at in rows.all()]
    await engine.dispose()
    return found


async def test_a_code_asked_outside_the_window_is_the_code_template_inside_it_text(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The member page's one-time code for Danramil (WhatsApp, then SMS), whose link came
    by WhatsApp: outside his window it is the authentication template ``timpora_kode``
    with its copy-code button (the code the row's digest verifies); once he wrote, plain
    text. No SMS. One code per request."""
    monkeypatch.setenv("NOTIFY_WHATSAPP_APP_SECRET", SECRET)
    async with running(kafka_settings, db, sinks, monkeypatch) as client:
        await ask_code(kafka_settings, "req-closed")
        await wait_for(lambda: _true(len(sinks.whatsapp.received) == 1), timeout=20)
        hello = {"type": "text", "text": {"body": "Siap"}}
        await member_writes(client, sinks, hello)
        await ask_code(kafka_settings, "req-open")
        await wait_for(lambda: _true(len(sinks.whatsapp.received) == 2), timeout=20)
        await asyncio.sleep(1)  # room for a second message to show up
    template, text = sinks.whatsapp.received
    [code] = template.meta["params"]
    assert (template.meta["template"], template.meta["payloads"]) == ("timpora_kode", [code])
    assert template.text.startswith(f"{code} adalah kode verifikasi Anda.")
    assert await code_verifies(db, "req-closed", code)
    assert "Kode " in text.text
    assert text.meta["type"] == "text"
    assert [(s.type, s.delivered) for s in sinks.whatsapp.sent_to(NUMBER)] == [
        ("template", True), ("text", True),
    ]  # fmt: skip
    assert sinks.per_recipient() == Counter({("whatsapp", NUMBER): 2})


async def test_without_a_code_template_a_code_outside_the_window_goes_by_sms(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office that registered no code template (``NOTIFY_WHATSAPP_TEMPLATE_CODE=``):
    outside the window the code would be refused, so it goes to his phone by SMS; once
    he wrote, by WhatsApp."""
    monkeypatch.setenv("NOTIFY_WHATSAPP_APP_SECRET", SECRET)
    monkeypatch.setenv("NOTIFY_WHATSAPP_TEMPLATE_CODE", "")

    def codes(channel: str, address: str) -> list[str]:
        return [r.text for r in sinks.by_channel(channel) if r.to == address and "Kode " in r.text]

    async with running(kafka_settings, db, sinks, monkeypatch) as client:
        await ask_code(kafka_settings, "req-closed")
        await wait_for(lambda: _true(len(codes("sms", "+6281200000103")) == 1), timeout=20)
        hello = {"type": "text", "text": {"body": "Siap"}}
        await member_writes(client, sinks, hello)
        await ask_code(kafka_settings, "req-open")
        await wait_for(lambda: _true(len(codes("whatsapp", NUMBER)) == 1), timeout=20)
        await asyncio.sleep(1)  # room for a second message to show up
    assert len(codes("sms", "+6281200000103")) == 1
    assert [(s.type, s.delivered) for s in sinks.whatsapp.sent_to(NUMBER)] == [("text", True)]
    assert sinks.per_recipient() == Counter({("sms", "+6281200000103"): 1, ("whatsapp", NUMBER): 1})


async def code_verifies(database_url: str, request_id: str, code: str) -> bool:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        row = await session.get(StepUpCode, request_id)
    await engine.dispose()
    secret = NotifySettings().secret_key.get_secret_value()
    return row is not None and row.code_digest == code_digest(secret, request_id, code)


async def ask_code(settings: Settings, request_id: str) -> None:
    request = StepUpRequested(
        request_id=request_id, alert_id="A1", member_id="danramil", team_id="timpora-63.10.04",
        ack_code="7KQ2M", channel="whatsapp",
    )  # fmt: skip
    await publish(settings, topics.MEMBERS_STEP_UP, [(request.member_id, dumps(request))])


async def _true(value: bool) -> bool:
    return value
