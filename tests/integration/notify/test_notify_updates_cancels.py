"""Updates and cancellations reach everyone, on real Kafka and PostgreSQL, counted at the
fake providers: a member who has only SMS gets a grouped update as a short update SMS, at
most one per alert per ``update_sms_every_s`` (members with chat or email get it there,
never by SMS); a cancelled alert that was escalated is told to the kecamatan members who
were paged first, as well as to the team that has it now."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from devtools import Sinks
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import replace_directory
from shared.schemas import AlertReason, Channel, Level, Member, Team
from shared.settings import Settings
from tests.integration.notify.test_notify_service import TEAM, alert, rows, running, send_alerts
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SMS_ONLY = Member(
    member_id="linmas", name="Joko Linmas", phone="+6281200000107", channels=[Channel.sms]
)


KABUPATEN = Team(
    team_id="timpora-63.10",
    name="Timpora Kabupaten Tanah Bumbu",
    level=Level.kabupaten,
    jurisdiction_code="63.10",
    members=[
        Member(member_id="kasi-kab", name="Wati Kab", phone="+6281200000201"),
        Member(member_id="kanim", name="Rudi Kanim", phone="+6281200000202"),
    ],
)


@pytest.fixture
async def db(database_url: str) -> str:
    engine = make_engine(database_url)
    team = TEAM.model_copy(update={"members": [*TEAM.members, SMS_ONLY]})
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, [team, KABUPATEN])
    await engine.dispose()
    return database_url


def sms_to(sinks: Sinks, phone: str) -> list[str]:
    return [m.text for m in sinks.by_channel("sms") if m.to == phone]


async def test_an_sms_only_member_hears_of_updates_at_most_once_per_interval(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = alert()
    update = {"reason": AlertReason.update, "alert_id": first.alert_id}
    second = alert(**update, version=2, occurrence_count=2, report=first.report)
    third = alert(**update, version=3, occurrence_count=3, report=first.report)
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, first)
        await wait_for(lambda: _n(sinks, SMS_ONLY.phone, 1), timeout=30)
        await send_alerts(kafka_settings, second)
        await wait_for(lambda: _n(sinks, SMS_ONLY.phone, 2), timeout=30)
        await send_alerts(kafka_settings, third)  # within 30 minutes of the update SMS
        await wait_for(lambda: _recorded(db, 3), timeout=30)
        # the interval is the policy's: with none, the next update goes by SMS again
        fourth = alert(
            **update, version=4, occurrence_count=4, report=first.report, update_sms_every_s=0
        )
        await send_alerts(kafka_settings, fourth)
        await wait_for(lambda: _n(sinks, SMS_ONLY.phone, 3), timeout=30)
        await wait_for(lambda: _recorded(db, 4), timeout=30)

    texts = sms_to(sinks, SMS_ONLY.phone)
    assert len(texts) == 3, texts
    assert "Pembaruan" not in texts[0]
    assert "Pembaruan ke-2" in texts[1]
    assert "Pembaruan ke-4" in texts[2]
    # a member with e-mail gets the updates there, and one SMS: the alert itself
    assert len(sms_to(sinks, "+6281200000101")) == 1
    camat_mail = [m for m in sinks.by_channel("email") if m.to == "camat.satui@example.org"]
    assert len(camat_mail) == 3
    [skipped] = [r for r in await rows(db) if r.member_id == "linmas" and r.alert_version == 3]
    assert skipped.status == "skipped"
    assert skipped.error == "update: an update SMS of this alert went out recently"


async def _n(sinks: Sinks, phone: str, n: int) -> bool:
    return len(sms_to(sinks, phone)) >= n


async def _recorded(db: str, version: int) -> bool:
    return any(r.member_id == "linmas" and r.alert_version == version for r in await rows(db))


async def test_a_cancel_after_an_escalation_reaches_the_kecamatan_too(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = alert()
    moved = {"alert_id": first.alert_id, "report": first.report, "team_id": KABUPATEN.team_id}
    up = alert(**moved, reason=AlertReason.escalation, version=2, level=Level.kabupaten)
    cancel = alert(**moved, reason=AlertReason.cancelled, version=3, level=Level.kabupaten)
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, first)
        await wait_for(lambda: _n(sinks, SMS_ONLY.phone, 1), timeout=30)
        await send_alerts(kafka_settings, up)
        await wait_for(lambda: _received(sinks, 7), timeout=30)  # 5 kecamatan, 2 kabupaten
        before = {(m.channel, m.to) for m in sinks.received}
        await send_alerts(kafka_settings, cancel)
        await wait_for(lambda: _cancelled(sinks, len(before)), timeout=30)
        await asyncio.sleep(1.0)  # to catch any extra message
    told = Counter((m.channel, m.to) for m in sinks.received if "DIBATALKAN" in m.text + m.subject)
    assert told == Counter(before)  # everyone paged, at either level, once, where they were
    rows_v3 = [r for r in await rows(db) if r.alert_version == 3 and r.status == "sent"]
    assert {r.team_id for r in rows_v3} == {KABUPATEN.team_id, TEAM.team_id}


async def _received(sinks: Sinks, n: int) -> bool:
    return len(sinks.received) >= n


async def _cancelled(sinks: Sinks, n: int) -> bool:
    return sum("DIBATALKAN" in m.text + m.subject for m in sinks.received) >= n
