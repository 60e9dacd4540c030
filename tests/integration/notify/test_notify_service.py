"""The notify service on real Kafka and PostgreSQL, delivering to local servers that
speak Kannel's, Telegram's, WhatsApp's and SMTP's protocols (devtools.Sinks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from devtools import Sinks
from notify_service.app import create_app
from notify_service.models import DeliveryRow
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
    Report,
    Severity,
    Subject,
    Team,
    ack_code_for,
    new_id,
)
from shared.settings import NotifySettings, Settings
from tests.kafkautil import caught_up, consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[3]
TEAM = Team(
    team_id="timpora-63.10.04",
    name="Timpora Kecamatan Satui",
    level=Level.kecamatan,
    jurisdiction_code="63.10.04",
    members=[
        Member(
            member_id="camat",
            name="Siti Contoh",
            phone="+6281200000101",
            email="camat.satui@example.org",
            channels=[Channel.sms, Channel.email],
        ),
        Member(
            member_id="kapolsek",
            name="Budi Rekaan",
            phone="+6281200000102",
            telegram_chat_id="700000102",
            channels=[Channel.telegram, Channel.sms],
        ),
        Member(
            member_id="danramil",
            name="Agus Uji",
            phone="+6281200000103",
            whatsapp="+6281200000103",
            channels=[Channel.whatsapp, Channel.sms],
        ),
        Member(
            member_id="kasi", name="Rina Demo", email="kasi@example.org", channels=[Channel.email]
        ),
        Member(member_id="cuti", name="Eko Cuti", phone="+6281200000105", on_duty=False),
    ],
)


def alert(**overrides: object) -> AlertRouted:
    alert_id = new_id()
    report = Report(
        source="polres-tanbu",
        category=Category.illegal_work,
        severity=Severity.high,
        location=Location(
            kecamatan_code="63.10.04",
            kecamatan_name="Satui",
            kabupaten_code="63.10",
            kabupaten_name="Kabupaten Tanah Bumbu",
            place_name="Tambang batubara PT Contoh",
        ),
        subjects=[
            Subject(full_name="Zhang Wei Ming", nationality="CHN", passport_number="E12345678")
        ],
        subject_count=5,
        text="Lima WNA bekerja di area tambang tanpa izin kerja",
    )
    fields: dict[str, object] = dict(
        alert_id=alert_id,
        report_id=report.report_id,
        team_id=TEAM.team_id,
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        jurisdiction_name="Satui",
        matched_rules=["illegal-work-mining"],
        reason=AlertReason.new,
        category=report.category,
        severity=Severity.high,
        ack_code=ack_code_for(alert_id),
        report=report,
    )
    return AlertRouted(**(fields | overrides))


@pytest.fixture
async def db(database_url: str) -> str:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, [TEAM])
    await engine.dispose()
    return database_url


def env_for(kafka: Settings, db: str, sinks: Sinks) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.kafka_bootstrap_servers,
        "TIMPORA_TOPIC_PREFIX": kafka.topic_prefix,
        "DATABASE_URL": db,
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_MAX_ATTEMPTS": "4",
        "NOTIFY_INBOUND_KEY": "inbound-test-key",
        **sinks.notify_env(),
    }


@asynccontextmanager
async def running(
    kafka: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    for key, value in env_for(kafka, db, sinks).items():
        monkeypatch.setenv(key, value)
    app = create_app(NotifySettings())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notify"
        ) as client,
    ):
        yield client


async def send_alerts(settings: Settings, *alerts: AlertRouted) -> None:
    broker = make_broker(settings, client_id="test")
    await broker.start()
    try:
        await publish_all(
            broker, settings, [Outgoing(topics.ALERTS_ROUTED, a.team_id, dumps(a)) for a in alerts]
        )
    finally:
        await broker.stop()


async def rows(db: str) -> list[DeliveryRow]:
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        result = list((await session.scalars(select(DeliveryRow))).all())
    await engine.dispose()
    return result


async def test_alert_reaches_each_member_on_their_channel_with_masked_text(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = alert()
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, a, a)  # the second is a redelivery
        await wait_for(lambda: _count(sinks, 4))
        events = values(await consume(kafka_settings, topics.DELIVERIES_EVENTS, 5, settle=1.0))
    by = {r.channel: r for r in sinks.received}
    assert len(sinks.received) == 4  # 4 on-duty members, each on their first channel
    sms = by["sms"]
    assert sms.to == "+6281200000101"
    assert "E12****78" in sms.text
    assert "E12345678" not in sms.text
    assert "Z. W. M." in sms.text
    assert "Zhang" not in sms.text
    assert f"OK {a.ack_code}" in sms.text
    assert "/a/" in sms.text
    telegram = by["telegram"]
    assert telegram.to == "700000102"
    assert (
        telegram.meta["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        == f"ack:{a.ack_code}"
    )
    assert "E12345678" not in telegram.text
    assert by["whatsapp"].to == "6281200000103"
    [email] = sinks.by_channel("email")  # full details: email goes to team addresses
    assert email.to == "kasi@example.org"
    assert "E12345678" in email.text
    assert "Zhang Wei Ming" in email.text
    assert a.ack_code in email.subject
    assert email.meta["message_id"].startswith("<")
    assert email.meta["message_id"].endswith(">")
    statuses = sorted((e["member_id"], e["status"]) for e in events)
    assert ("cuti", "skipped") in statuses
    assert [s for _, s in statuses].count("sent") == 4
    assert len(await rows(db)) == 5


async def _count(sinks: Sinks, n: int) -> bool:
    return len(sinks.received) >= n


async def test_transient_failures_are_retried_then_delivered_once(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks.scripts["sms"].fail_next = [500, 500, 500]
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: _count_channel(sinks, "sms", 1), timeout=30)
        await wait_for(lambda: _count(sinks, 4))
    assert sinks.requests["sms"] == 4
    assert len(sinks.by_channel("sms")) == 1
    [sms_row] = [r for r in await rows(db) if r.channel == "sms"]
    assert (sms_row.status, sms_row.attempts) == ("sent", 4)


async def _count_channel(sinks: Sinks, channel: str, n: int) -> bool:
    return len(sinks.by_channel(channel)) >= n


async def test_channel_down_falls_back_to_the_next_channel(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks.scripts["telegram"].down = True
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: _sms_to(sinks, "+6281200000102"), timeout=40)

        async def kapolsek() -> list[tuple[str, str]]:
            return sorted(
                (r.channel, r.status) for r in await rows(db) if r.member_id == "kapolsek"
            )

        # The row is marked sent just after the gateway answered: wait for the record too.
        await wait_for(lambda: _eq(kapolsek, [("sms", "sent"), ("telegram", "gave_up")]), 20)
    assert sinks.requests["telegram"] == 4


async def _sms_to(sinks: Sinks, phone: str) -> bool:
    return any(r.to == phone for r in sinks.by_channel("sms"))


async def test_killed_after_send_before_commit_never_sends_twice(
    kafka_settings: Settings, db: str, sinks: Sinks
) -> None:
    sinks.scripts["sms"].delay = 10  # the SMS is handed over, the answer never arrives
    env = {**os.environ, **env_for(kafka_settings, db, sinks)}
    cmd = [sys.executable, "-m", "notify_service", "--port", "18283"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await send_alerts(kafka_settings, alert())
        await wait_for(lambda: _count_channel(sinks, "sms", 1), timeout=60)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sinks.scripts["sms"].delay = 0
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # The alert is redelivered (its offset was never committed); wait until the new
        # process has handled it and committed.
        await wait_for(lambda: caught_up(kafka_settings, "notify", topics.ALERTS_ROUTED), 60, 0.5)
    finally:
        proc.terminate()
        proc.wait(30)
    assert sinks.requests["sms"] == 1  # the redelivered alert did not send it again
    # The others were claimed in the same batch: each reached at most once (a send still in
    # flight at the kill stays "sending", shown as uncertain, never repeated).
    assert all(n == 1 for n in Counter(r.channel for r in sinks.received).values())
    [sms_row] = [r for r in await rows(db) if r.channel == "sms"]
    assert sms_row.status == "sending"  # becomes "uncertain" for operators, never re-sent


async def _eq(fn, expected: object) -> bool:  # type: ignore[no-untyped-def]
    return await fn() == expected
