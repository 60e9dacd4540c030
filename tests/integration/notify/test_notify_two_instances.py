"""Notify's periodic jobs with two instances, as real processes on real Kafka and
PostgreSQL, counted at the fake providers per (alert, member, channel): retries and
deliveries deferred by quiet hours (the retry loop), and sends a killed process left in
flight (the stale-sending sweep) each reach their member once, whichever instance gets
there first."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from devtools import Received, Sinks
from notify_service.signing import verify_token
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import replace_directory
from shared.schemas import Channel, Member, QuietHours, Severity
from shared.settings import DEV_SECRET, Settings
from tests.integration.notify.test_notify_service import (
    TEAM,
    alert,
    env_for,
    rows,
    send_alerts,
)
from tests.kafkautil import wait_for
from tests.procs import instances, start

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TOKEN = re.compile(r"/a/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
QUIET_FOR = timedelta(seconds=8)
QUIET_ENDS: list[float] = []  # time.monotonic() at the end of the night member's quiet hours
Key = tuple[str, str, str]  # alert, member, channel


def night_member() -> Member:
    """A member whose quiet hours end ``QUIET_FOR`` from now (local WITA time)."""
    now = datetime.now(ZoneInfo("Asia/Makassar"))
    QUIET_ENDS.append(time.monotonic() + QUIET_FOR.total_seconds())
    quiet = QuietHours(start=(now - timedelta(hours=1)).time(), end=(now + QUIET_FOR).time())
    return Member(
        member_id="malam",
        name="Dewi Malam",
        phone="+6281200000106",
        channels=[Channel.sms],
        quiet_hours=quiet,
    )


@pytest.fixture
async def db(database_url: str) -> str:
    engine = make_engine(database_url)
    team = TEAM.model_copy(update={"members": [*TEAM.members, night_member()]})
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, [team])
    await engine.dispose()
    return database_url


def key_of(message: Received) -> Key:
    found = TOKEN.search(message.text)
    assert found, f"{message.channel} message without a link"
    who = verify_token(DEV_SECRET, found.group(1))
    assert who is not None
    return who[0], who[1], message.channel


def environment(kafka: Settings, db: str, sinks: Sinks, **extra: str) -> dict[str, str]:
    return {**os.environ, **env_for(kafka, db, sinks), "NOTIFY_MAX_ATTEMPTS": "10", **extra}


async def test_retries_and_deferred_deliveries_reach_each_member_once(
    kafka_settings: Settings, db: str, sinks: Sinks
) -> None:
    failures = {"sms": 6, "telegram": 6, "whatsapp": 6}
    for channel, n in failures.items():
        sinks.scripts[channel].fail_next = [500] * n
    alerts = [alert() for _ in range(10)]
    async with instances("notify_service", environment(kafka_settings, db, sinks)):
        await send_alerts(kafka_settings, *alerts)
        # 5 reachable members each (the sixth is off duty): the night member's SMS waits
        # for the end of their quiet hours
        await wait_for(lambda: _received(sinks, 50), timeout=60)
        await asyncio.sleep(3)  # time for a duplicate to arrive, if any were sent
    got = Counter(key_of(m) for m in sinks.received)
    expected = {
        (a.alert_id, m, c)
        for a in alerts
        for m, c in [
            ("camat", "sms"),
            ("kapolsek", "telegram"),
            ("danramil", "whatsapp"),
            ("kasi", "email"),
            ("malam", "sms"),
        ]
    }
    assert set(got) == expected
    assert set(got.values()) == {1}  # nobody twice, whichever instance sent it
    for channel, n in failures.items():  # every injected failure happened and was retried
        assert sinks.requests[channel] == len(sinks.by_channel(channel)) + n
    night = [m for m in sinks.received if key_of(m)[1] == "malam"]
    assert all(m.at >= QUIET_ENDS[-1] - 0.5 for m in night)  # not before their quiet hours end
    assert all(r.status in ("sent", "skipped") for r in await rows(db))


async def test_sends_left_in_flight_by_a_killed_process_are_repeated_once(
    kafka_settings: Settings, db: str, sinks: Sinks
) -> None:
    env = environment(kafka_settings, db, sinks, NOTIFY_STALE_SENDING_SECONDS="20")
    sinks.scripts["sms"].delay = 30  # the SMS is handed over, the answer never arrives
    first = alert(severity=Severity.high)
    killed = start("notify_service", env)
    try:
        await send_alerts(kafka_settings, first)
        await wait_for(lambda: _received(sinks, 1, "sms"), timeout=60)
    finally:
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(10) == -signal.SIGKILL
    sinks.scripts["sms"].delay = 0
    in_flight = {
        (r.alert_id, r.member_id, r.channel) for r in await rows(db) if r.status == "sending"
    }
    assert (first.alert_id, "camat", "sms") in in_flight  # the fault really happened
    before = Counter(key_of(m) for m in sinks.received)
    async with instances("notify_service", env):
        await wait_for(lambda: _repeats(sinks, len(in_flight)), timeout=90, interval=1)
        await wait_for(lambda: _all_sent(db), timeout=30)
        await asyncio.sleep(3)  # time for a second repeat to arrive, if any were sent
    repeats = Counter(key_of(m) for m in sinks.received if repeat_mark(m))
    assert set(repeats) == in_flight  # exactly the sends in flight at the kill...
    assert set(repeats.values()) == {1}  # ...once each, by one of the two instances
    plain = Counter(key_of(m) for m in sinks.received if not repeat_mark(m))
    assert set(plain) >= set(before)
    assert set(plain.values()) == {1}  # no original sent a second time
    repeated = [r for r in await rows(db) if (r.alert_id, r.member_id, r.channel) in in_flight]
    assert all(r.repeat for r in repeated)


def repeat_mark(message: Received) -> bool:
    """Marked "[ULANG]": at the start of the text, or of the WhatsApp template's first line
    ("Peringatan TIMPORA untuk [ULANG] ...": a template cannot start with a parameter)."""
    return "[ULANG]" in message.text.split("\n", 1)[0]


async def _received(sinks: Sinks, n: int, channel: str | None = None) -> bool:
    messages = sinks.by_channel(channel) if channel else sinks.received
    return len(messages) >= n


async def _repeats(sinks: Sinks, n: int) -> bool:
    return sum(repeat_mark(m) for m in sinks.received) >= n


async def _all_sent(db: str) -> bool:
    return all(r.status in ("sent", "skipped") for r in await rows(db))
