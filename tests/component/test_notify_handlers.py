"""Notify's ``alerts.routed`` consumer through TestKafkaBroker, delivering to recording
fake channels: one message per member and channel, none again on redelivery."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker

from notify_service.app import create_app
from notify_service.channels.base import Channel as ChannelPort
from notify_service.deps import NotifyDeps
from notify_service.limiter import build_limiter
from shared import topics
from shared.db import transaction
from shared.directory import replace_directory
from shared.runtime import Runtime
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Channel,
    DeliveryAttempted,
    DeliveryStatus,
    Level,
    Location,
    Member,
    Report,
    ReportRejected,
    Severity,
    Subject,
    Team,
    ack_code_for,
    new_id,
)
from shared.settings import NotifySettings, Settings
from tests.fakes import FakeChannel, fake_channels

Capture = Callable[[KafkaBroker, Settings, str], list[ConsumerRecord]]
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
            whatsapp="+6281200000103",
            channels=[Channel.whatsapp],
        ),
        Member(
            member_id="kasi", name="Rina Demo", email="kasi@example.org", channels=[Channel.email]
        ),
        Member(
            member_id="posko",
            name="Posko Satui",
            webhook_url="https://posko.example.org/hook",
            channels=[Channel.webhook],
        ),
        Member(member_id="cuti", name="Eko Cuti", phone="+6281200000105", on_duty=False),
    ],
)
# member → (channel, address) of the one message each on-duty member should receive
EXPECTED = {
    "camat": ("sms", "+6281200000101"),
    "kapolsek": ("telegram", "700000102"),
    "danramil": ("whatsapp", "+6281200000103"),
    "kasi": ("email", "kasi@example.org"),
    "posko": ("webhook", "https://posko.example.org/hook"),
}


def routed_alert() -> AlertRouted:
    alert_id = new_id()
    report = Report(
        source="polres-tanbu",
        category=Category.illegal_work,
        severity=Severity.high,
        location=Location(kecamatan_code="63.10.04", kecamatan_name="Satui"),
        subjects=[Subject(full_name="Zhang Wei Ming", nationality="CHN")],
        text="Lima WNA bekerja di area tambang tanpa izin kerja",
    )
    return AlertRouted(
        alert_id=alert_id,
        report_id=report.report_id,
        team_id=TEAM.team_id,
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        matched_rules=["illegal-work-mining"],
        reason=AlertReason.new,
        category=report.category,
        severity=report.severity,
        ack_code=ack_code_for(alert_id),
        report=report,
    )


@pytest.fixture
def channels() -> dict[str, FakeChannel]:
    return fake_channels(["sms", "email", "telegram", "whatsapp", "webhook"])


@pytest.fixture
async def deps(
    settings_values: dict[str, Any],
    make_runtime: Callable[[Settings, str], Runtime],
    channels: dict[str, FakeChannel],
) -> NotifyDeps:
    settings = NotifySettings(**settings_values)
    runtime = make_runtime(settings, "timpora-notify")
    limiter = build_limiter(settings, runtime.sessions, channels)  # SQLite: per process
    deps = NotifyDeps(runtime, settings, channels, limiter)
    async with transaction(deps.runtime.sessions) as session:
        await replace_directory(session, [TEAM])
    return deps


def received(channels: dict[str, FakeChannel]) -> Counter[tuple[str, str]]:
    return Counter((name, address) for name, c in channels.items() for address in c.addresses())


async def test_alert_reaches_each_member_once_and_redelivery_sends_nothing(
    deps: NotifyDeps, channels: dict[str, FakeChannel], capture: Capture
) -> None:
    app = create_app(deps=deps)
    assert app.state.deps is deps
    assert all(isinstance(c, ChannelPort) for c in channels.values())
    events = capture(deps.broker, deps.settings, topics.DELIVERIES_EVENTS)
    inputs = capture(deps.broker, deps.settings, topics.ALERTS_ROUTED)
    alert = routed_alert()
    body, topic = alert.model_dump_json().encode(), deps.settings.topic(topics.ALERTS_ROUTED)

    async with TestKafkaBroker(deps.broker) as broker:
        await broker.publish(body, topic, key=alert.team_id.encode())
        assert received(channels) == Counter(EXPECTED.values())
        first_events = list(events)
        await broker.publish(body, topic, key=alert.team_id.encode())  # redelivered

    assert len(inputs) == 2  # the handler saw the alert twice
    assert received(channels) == Counter(EXPECTED.values())
    assert events == first_events
    attempts = [DeliveryAttempted.model_validate_json(r.value) for r in events]
    assert {r.key for r in events} == {alert.alert_id.encode()}
    assert sorted((a.member_id, a.channel, a.status) for a in attempts) == sorted(
        [(m, ch, DeliveryStatus.sent) for m, (ch, _) in EXPECTED.items()]
        + [("cuti", "none", DeliveryStatus.skipped)]
    )
    messages = [m for c in channels.values() for m in c.sent]
    assert {m.ack_code for m in messages} == {alert.ack_code}
    assert len({m.delivery_key for m in messages}) == len(messages)
    assert alert.ack_code in channels["sms"].sent[0].text
    webhook = orjson.loads(channels["webhook"].sent[0].payload or b"{}")
    assert webhook["alert_id"] == alert.alert_id


async def test_unreadable_alert_is_dead_lettered_and_sends_nothing(
    deps: NotifyDeps, channels: dict[str, FakeChannel], capture: Capture
) -> None:
    create_app(deps=deps)
    rejected = capture(deps.broker, deps.settings, topics.REPORTS_REJECTED)
    body = orjson.dumps({"alert_id": "A1", "team_id": TEAM.team_id})  # most fields missing

    async with TestKafkaBroker(deps.broker) as broker:
        await broker.publish(body, deps.settings.topic(topics.ALERTS_ROUTED))

    assert received(channels) == Counter()
    [record] = rejected
    rejection = ReportRejected.model_validate_json(record.value)
    assert rejection.original_topic == topics.ALERTS_ROUTED
    assert base64.b64decode(rejection.original_b64 or "") == body
    assert {r.code for r in rejection.reasons} == {"invalid_message"}
    assert "report" in {r.path for r in rejection.reasons}


async def test_an_ack_tells_the_others_once_on_their_channel(
    deps: NotifyDeps, channels: dict[str, FakeChannel]
) -> None:
    from shared.schemas import AlertAcknowledged

    create_app(deps=deps)
    alert = routed_alert()
    ack = AlertAcknowledged(alert_id=alert.alert_id, member_id="camat", channel="sms")
    acks_topic = deps.settings.topic(topics.ALERTS_ACKS)
    async with TestKafkaBroker(deps.broker) as broker:
        await broker.publish(
            alert.model_dump_json().encode(), deps.settings.topic(topics.ALERTS_ROUTED)
        )
        await broker.publish(ack.model_dump_json().encode(), acks_topic)
        await broker.publish(ack.model_dump_json().encode(), acks_topic)  # redelivered
    notices = [
        (name, m.to_address, m.text)
        for name, c in channels.items()
        for m in c.sent
        if not m.ack_code
    ]
    said = f"[TIMPORA] Diterima oleh petugas Kecamatan 63.10.04: {alert.ack_code}"
    assert sorted(notices) == sorted(
        [
            ("telegram", "700000102", said),
            ("whatsapp", "+6281200000103", said),
            ("email", "kasi@example.org", said),
        ]
    )  # not the acker (camat), not the webhook, not the member off duty
