"""Acks that work on every phone, on real Kafka and PostgreSQL, counted at the fake
providers: a reply from a local number, after an escalation, a close, the colleagues'
notice (exactly once, even when the ack is redelivered), deferred deliveries cancelled,
Telegram presses answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
from sqlalchemy import select

from devtools import Sinks
from notify_service.app import create_app
from notify_service.models import DeliveryRow
from notify_service.signing import make_token
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import replace_directory
from shared.kafka import Outgoing, dumps, make_broker, publish_all
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Channel,
    Level,
    Location,
    Member,
    QuietHours,
    Report,
    Severity,
    Team,
    ack_code_for,
    new_id,
)
from shared.settings import NotifySettings, Settings
from tests.kafkautil import caught_up, consume, values, wait_for
from tests.member_page import member_pages
from tests.rows import seed_alert

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KEY = "inbound-test-key"
CAMAT = Member(
    member_id="camat",
    name="Siti Contoh",
    role="Camat",
    phone="0812-0000-0101",  # as people write it: the directory stores +6281200000101
    channels=[Channel.sms],
)
KAPOLSEK = Member(
    member_id="kapolsek",
    name="Budi Rekaan",
    role="Kapolsek",
    telegram_chat_id="700000102",
    channels=[Channel.telegram],
)
KASI = Member(
    member_id="kasi",
    name="Rina Demo",
    role="Kasi",
    email="kasi@example.org",
    channels=[Channel.email],
)
DANRAMIL = Member(
    member_id="danramil",
    name="Agus Uji",
    role="Danramil",
    whatsapp="62 812 0000 0103",
    channels=[Channel.whatsapp],
)
KEC = Team(
    team_id="timpora-63.10.04",
    name="Timpora Kecamatan Satui",
    level=Level.kecamatan,
    jurisdiction_code="63.10.04",
    members=[CAMAT, KAPOLSEK, KASI, DANRAMIL],
)
KAB = Team(
    team_id="timpora-63.10",
    name="Timpora Kabupaten Tanah Bumbu",
    level=Level.kabupaten,
    jurisdiction_code="63.10",
    members=[
        Member(
            member_id="kakanim",
            name="Rahmat Sampel",
            role="Kepala Kanim",
            telegram_chat_id="700000003",
            channels=[Channel.telegram],
        )
    ],
)


def alert(team: Team = KEC, alert_id: str | None = None, **overrides: object) -> AlertRouted:
    alert_id = alert_id or new_id()
    report = Report(
        source="polres-tanbu",
        category=Category.illegal_work,
        severity=Severity.high,
        location=Location(
            kecamatan_code="63.10.04",
            kecamatan_name="Satui",
            kabupaten_code="63.10",
            kabupaten_name="Kabupaten Tanah Bumbu",
        ),
        text="Lima WNA bekerja di area tambang tanpa izin kerja",
    )
    names = {Level.kecamatan: "Satui", Level.kabupaten: "Kabupaten Tanah Bumbu"}
    fields: dict[str, object] = dict(
        alert_id=alert_id,
        report_id=report.report_id,
        team_id=team.team_id,
        level=team.level,
        jurisdiction_code=team.jurisdiction_code,
        jurisdiction_name=names[team.level],
        matched_rules=["illegal-work-mining"],
        reason=AlertReason.new,
        category=report.category,
        severity=Severity.high,
        ack_code=ack_code_for(alert_id),
        report=report,
    )
    return AlertRouted(**(fields | overrides))


async def directory(database_url: str, *teams: Team) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, list(teams))
    await engine.dispose()


@asynccontextmanager
async def running(
    kafka: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.kafka_bootstrap_servers,
        "TIMPORA_TOPIC_PREFIX": kafka.topic_prefix,
        "DATABASE_URL": db,
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_INBOUND_KEY": KEY,
        "NOTIFY_WHATSAPP_APP_SECRET": "meta-app-secret",
        **sinks.notify_env(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = create_app(NotifySettings())
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://notify") as client,
    ):
        yield client


async def publish(settings: Settings, topic: str, items: list[tuple[str, bytes]]) -> None:
    broker = make_broker(settings, client_id="test")
    await broker.start()
    try:
        await publish_all(broker, settings, [Outgoing(topic, k, v) for k, v in items])
    finally:
        await broker.stop()


async def send_alerts(settings: Settings, *alerts: AlertRouted) -> None:
    await publish(settings, topics.ALERTS_ROUTED, [(a.team_id, dumps(a)) for a in alerts])


async def sms_reply(client: httpx.AsyncClient, sender: str, text: str) -> str:
    answer = await client.get(
        "/v1/webhooks/kannel", params={"key": KEY, "from": sender, "text": text}
    )
    assert answer.status_code == 200
    return answer.text


async def whatsapp_message(client: httpx.AsyncClient, sinks: Sinks, sender: str, text: str) -> None:
    """A member writes to the WhatsApp number: Meta notes it (the fake) and tells notify."""
    from notify_service.channels.webhook import signature

    sinks.whatsapp.inbound(sender)
    message = {"from": sender, "timestamp": str(int(datetime.now(UTC).timestamp()))}
    value = {"messages": [message | {"type": "text", "text": {"body": text}}]}
    body = orjson.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    )
    answer = await client.post(
        "/v1/webhooks/whatsapp",
        content=body,
        headers={"X-Hub-Signature-256": signature("meta-app-secret", body)},
    )
    assert answer.status_code == 200


def to(sinks: Sinks, channel: str, address: str) -> list[str]:
    return [r.text for r in sinks.by_channel(channel) if r.to == address]


async def statuses(db: str, member_id: str) -> list[str]:
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        query = select(DeliveryRow.status).where(DeliveryRow.member_id == member_id)
        result = list((await session.scalars(query)).all())
    await engine.dispose()
    return result


def until(fn, *args: object):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return bool(fn(*args))

    return check


async def test_a_local_number_acks_and_each_colleague_hears_once(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    await directory(database_url, KEC)
    a = alert()
    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        # Danramil wrote to the number this morning: inside WhatsApp's 24-hour window the
        # alert comes with a button and the notice as free text (outside: no notice).
        await whatsapp_message(client, sinks, "6281200000103", "Selamat pagi")
        await send_alerts(kafka_settings, a)
        await wait_for(until(lambda: len(sinks.received) >= 4))
        assert [s.type for s in sinks.whatsapp.sent] == ["interactive"]
        [sms] = sinks.by_channel("sms")
        assert (sms.to, sms.meta["from"]) == ("+6281200000101", "+6281100000000")  # repliable
        answer = await sms_reply(client, "081200000101", f"OK {a.ack_code}")
        assert "dikonfirmasi" in answer
        await wait_for(until(lambda: len(sinks.received) >= 7))
        # The ack is redelivered (same ack_id): nobody is told twice.
        [record] = await consume(kafka_settings, topics.ALERTS_ACKS, 1)
        await publish(kafka_settings, topics.ALERTS_ACKS, [(a.alert_id, record.value)])
        await wait_for(lambda: caught_up(kafka_settings, "notify-acks", topics.ALERTS_ACKS), 30)
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 2, settle=0.5))
    assert [(x["member_id"], x["channel"], x["action"]) for x in acks] == [
        ("camat", "sms", "ack")
    ] * 2
    notice = f"[TIMPORA] Diterima oleh Camat Kecamatan Satui: {a.ack_code}"
    assert to(sinks, "sms", "+6281200000101") == [sms.text]  # the acker: nothing more
    assert to(sinks, "telegram", "700000102")[1:] == [notice]
    assert to(sinks, "whatsapp", "6281200000103")[1:] == [notice]
    [email_notice] = [r for r in sinks.by_channel("email") if r.text.strip() == notice]
    assert email_notice.subject == notice
    assert sinks.per_recipient() == {
        ("sms", "+6281200000101"): 1,
        ("telegram", "700000102"): 2,
        ("whatsapp", "6281200000103"): 2,
        ("email", "kasi@example.org"): 2,
    }


async def test_the_first_level_still_acks_after_an_escalation(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    await directory(database_url, KEC, KAB)
    first = alert()
    escalated = alert(
        KAB, first.alert_id, version=2, reason=AlertReason.escalation, escalation_step=1
    )
    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, first)
        await wait_for(until(lambda: len(sinks.received) >= 4))
        await send_alerts(kafka_settings, escalated)
        await wait_for(until(to, sinks, "telegram", "700000003"))
        answer = await sms_reply(client, "+62 812-0000-0101", f"ok {first.ack_code.lower()}")
        assert "dikonfirmasi" in answer
        [ack] = values(await consume(kafka_settings, topics.ALERTS_ACKS, 1, settle=0.5))
        await wait_for(until(lambda: len(to(sinks, "telegram", "700000003")) >= 2))
    assert (ack["alert_id"], ack["member_id"], ack["action"]) == (first.alert_id, "camat", "ack")
    assert to(sinks, "telegram", "700000003")[1:] == [
        f"[TIMPORA] Diterima oleh Camat Kecamatan Satui: {first.ack_code}"
    ]


async def test_selesai_closes_from_sms_whatsapp_and_the_link(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notify_service.channels.webhook import signature

    await directory(database_url, KEC)
    a, b = alert(), alert()
    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a, b)
        await wait_for(until(lambda: len(sinks.received) >= 8))
        answer = await sms_reply(client, "6281200000101", f"SELESAI {a.ack_code} WNA diamankan")
        assert "ditutup" in answer
        body = (
            b'{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":'
            b'[{"from":"6281200000103","type":"text","text":{"body":"Selesai '
            + b.ack_code.encode()
            + b'"}}]}}]}]}'
        )
        wa = await client.post(
            "/v1/webhooks/whatsapp",
            content=body,
            headers={"X-Hub-Signature-256": signature("meta-app-secret", body)},
        )
        assert wa.json() == {"ok": True, "acknowledged": [b.alert_id]}
        await seed_alert(database_url, b)  # routing's row: the member page reads its status
        secret = NotifySettings().secret_key.get_secret_value()
        token = make_token(secret, b.alert_id, "kasi", timedelta(hours=1))
        async with member_pages() as member:
            assert "Selesai" in (await member.open(token)).text
            closed = await member.post(token, "close", note="sudah dicek")
            assert "ditutup" in closed.text
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 3, settle=0.5))
        await wait_for(until(lambda: len(to(sinks, "telegram", "700000102")) >= 5))
    got = sorted(
        (x["alert_id"], x["member_id"], x["channel"], x["action"], x["note"]) for x in acks
    )
    assert got == sorted(
        [
            (a.alert_id, "camat", "sms", "close", "WNA diamankan"),
            (b.alert_id, "danramil", "whatsapp", "close", None),
            (b.alert_id, "kasi", "link", "close", "sudah dicek"),
        ]
    )
    assert f"[TIMPORA] Diselesaikan oleh Camat Kecamatan Satui: {a.ack_code}" in to(
        sinks, "telegram", "700000102"
    )


async def test_a_deferred_delivery_is_cancelled_by_the_ack_and_never_sent(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    wita = ZoneInfo("Asia/Makassar")
    now = datetime.now(UTC).astimezone(wita)
    quiet_end = now + timedelta(seconds=20)
    sleeper = Member(
        member_id="tidur",
        name="Eko Tidur",
        role="Babinsa",
        phone="+6281200000109",
        channels=[Channel.sms],
        quiet_hours=QuietHours(
            start=(now - timedelta(hours=1)).time().replace(microsecond=0),
            end=quiet_end.time().replace(microsecond=0),
            tz="Asia/Makassar",
        ),
    )
    await directory(database_url, KEC.model_copy(update={"members": [CAMAT, sleeper]}))
    a = alert()
    async with running(kafka_settings, database_url, sinks, monkeypatch):
        await send_alerts(kafka_settings, a)
        await wait_for(until(to, sinks, "sms", "+6281200000101"))
        assert await statuses(database_url, "tidur") == ["retrying"]  # deferred to quiet_end
        await seed_alert(database_url, a)
        secret = NotifySettings().secret_key.get_secret_value()
        token = make_token(secret, a.alert_id, "camat", timedelta(hours=1))
        async with member_pages() as member:
            assert "Terima kasih" in (await member.post(token, "ack")).text

        async def cancelled() -> bool:
            return await statuses(database_url, "tidur") == ["cancelled"]

        await wait_for(cancelled, 15)
        assert datetime.now(UTC) < quiet_end, "too slow: the quiet hours ended before the ack"
        wait = (quiet_end - datetime.now(UTC)).total_seconds() + 3
        await asyncio.sleep(
            max(0.0, wait)
        )  # past the end of the quiet hours, the retry loop running
    assert to(sinks, "sms", "+6281200000109") == []  # neither the alert nor a notice
    assert sinks.per_recipient() == {("sms", "+6281200000101"): 1}


async def test_every_telegram_press_is_answered(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    await directory(database_url, KEC)
    a = alert()

    async def press(query_id: str, data: str) -> dict[str, object]:
        update = {
            "update_id": 1,
            "callback_query": {"id": query_id, "from": {"id": 700000102}, "data": data},
        }
        answer = await client.post(
            "/v1/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": KEY},
        )
        return dict(answer.json())

    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a)
        await wait_for(until(to, sinks, "telegram", "700000102"))
        assert (await press("cbq-1", f"ack:{a.ack_code}"))["ok"] is True
        assert (await press("cbq-2", "ack:ZZZZZ"))["ok"] is False
        [ack] = values(await consume(kafka_settings, topics.ALERTS_ACKS, 1, settle=0.5))
    assert ack["member_id"] == "kapolsek"
    assert [(x["callback_query_id"], x["text"]) for x in sinks.telegram.callback_answers] == [
        ("cbq-1", "Diterima"),
        ("cbq-2", "Kode tidak dikenal"),
    ]
