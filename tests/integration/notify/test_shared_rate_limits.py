"""Provider rate limits shared by two notify processes, on real Kafka and PostgreSQL,
measured at the fake providers (sliding windows per account and per Telegram chat).

Three teams whose alerts land on the three partitions (so both instances deliver), whose
members share Telegram chats (a person in three teams, one Telegram group for all): every
message arrives once per alert, member and channel, and no window at the fake Bot API
(the bot, each chat, the group) or the fake Kannel ever held more than its limit. Then a
429 from the Bot API (``parameters.retry_after``) blocks the bot for both instances: no
request reaches it before the time given, and the refused message arrives once, after
it, on Telegram (with ``NOTIFY_MAX_ATTEMPTS=1`` a counted failure would have fallen back
to SMS)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from itertools import count

import pytest

from devtools import Received, Sinks
from devtools.http_server import ACCOUNT
from shared.adapters.batch_publish import key_partitioner
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import replace_directory
from shared.schemas import Channel, Level, Member, Team
from shared.settings import Settings
from tests.integration.notify.test_notify_service import alert, env_for, rows, send_alerts
from tests.integration.notify.test_notify_two_instances import key_of
from tests.kafkautil import wait_for
from tests.procs import instances

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

BOT_PER_S, SMS_PER_S = 4, 3  # the fakes' limits, and notify's
GROUP_WINDOW_S = 2.0  # the fake group: 1 message per 2 s; notify: 28 per minute (2.14 s)
BUSY = ["7100000001", "7100000002"]  # in every team
GROUP = "-1007100000099"  # every team's group


def team_ids(partitions: int = 3) -> list[str]:
    """One team id per partition of ``alerts.routed`` (keyed by team id)."""
    found: dict[int, str] = {}
    for i in count():
        team_id = f"timpora-rl-{i}"
        found.setdefault(key_partitioner(team_id.encode(), list(range(partitions)), []), team_id)
        if len(found) == partitions:
            return [found[p] for p in range(partitions)]
    raise AssertionError("unreachable")


def telegram(member_id: str, chat: str) -> Member:
    return Member(
        member_id=member_id, name="Anggota Uji", telegram_chat_id=chat, channels=[Channel.telegram]
    )


def limited_teams() -> list[Team]:
    teams = []
    for t, team_id in enumerate(team_ids()):
        members = [telegram(f"{team_id}-busy{j}", chat) for j, chat in enumerate(BUSY)]
        members += [telegram(f"{team_id}-own{j}", f"72000{t}000{j}") for j in range(3)]
        members.append(telegram(f"{team_id}-group", GROUP))
        members += [
            Member(
                member_id=f"{team_id}-sms{j}",
                name="Anggota SMS",
                phone=f"+628120{t}00{j}10",
                channels=[Channel.sms],
            )
            for j in range(3)
        ]
        teams.append(
            Team(
                team_id=team_id,
                name=f"Timpora Uji {t}",
                level=Level.kecamatan,
                jurisdiction_code="63.10.04",
                members=members,
            )
        )
    return teams


async def directory(database_url: str, teams: list[Team]) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, teams)
    await engine.dispose()


def environment(kafka: Settings, db: str, sinks: Sinks, **extra: str) -> dict[str, str]:
    return {**os.environ, **env_for(kafka, db, sinks), **extra}


async def test_two_instances_never_exceed_the_providers_limits(
    kafka_settings: Settings, database_url: str, sinks: Sinks
) -> None:
    teams = limited_teams()
    await directory(database_url, teams)
    tg, kannel = sinks.telegram, sinks.kannel
    tg.rate_limit, kannel.rate_limit = (BOT_PER_S, 1.0), (SMS_PER_S, 1.0)
    tg.chat_limit, tg.group_limit = (1, 1.0), (1, GROUP_WINDOW_S)
    env = environment(
        kafka_settings,
        database_url,
        sinks,
        NOTIFY_TELEGRAM_RATE_PER_SECOND=str(BOT_PER_S),
        NOTIFY_TELEGRAM_CHAT_RATE_PER_SECOND="1",
        NOTIFY_TELEGRAM_GROUP_RATE_PER_MINUTE="28",
        NOTIFY_PROVIDER_RATE_PER_SECOND=str(SMS_PER_S),
    )
    alerts = [alert(team_id=team.team_id, team_name=team.name) for team in teams for _ in range(3)]
    expected = {
        (a.alert_id, m.member_id, m.channels[0].value)
        for a in alerts
        for team in teams
        if team.team_id == a.team_id
        for m in team.members
    }
    assert len(expected) == 9 * 9  # 54 Telegram messages (6 per alert), 27 SMS
    async with instances("notify_service", env):
        await send_alerts(kafka_settings, *alerts)
        await wait_for(lambda: _arrived(sinks, len(expected)), timeout=80, interval=0.5)
        await asyncio.sleep(2)  # time for a duplicate to arrive, if any were sent
    got = Counter(key_of(m) for m in sinks.received)
    assert set(got) == expected
    assert set(got.values()) == {1}  # once each, whichever instance sent it
    assert tg.throttled == kannel.throttled == 0  # never over a limit: no 429 was needed
    # the limits were reached (two unthrottled processes send all of it within a second)
    assert tg.windows.max_in_window(ACCOUNT, 1.0) == BOT_PER_S
    assert kannel.windows.max_in_window(ACCOUNT, 1.0) == SMS_PER_S
    chats = [k for k in tg.windows.tracked() if k.startswith("chat:")]
    assert len(chats) == 2 + 9 + 1
    for key in chats:
        window = GROUP_WINDOW_S if key == f"chat:{GROUP}" else 1.0
        assert tg.windows.max_in_window(key, window) == 1, key
    assert len(tg.windows.times[f"chat:{GROUP}"]) == 9  # 9 in 16+ s: the group limit held
    assert all(r.status == "sent" and r.attempts == 1 for r in await rows(database_url))


async def test_a_429_blocks_the_bot_for_both_instances_until_its_retry_after(
    kafka_settings: Settings, database_url: str, sinks: Sinks
) -> None:
    team_id = team_ids()[0]
    members = [
        Member(
            member_id=f"m{j}",
            name="Anggota Uji",
            phone=f"+62812000009{j}",
            telegram_chat_id=f"73000000{j}",
            channels=[Channel.telegram, Channel.sms],  # SMS only if Telegram gave up
        )
        for j in range(4)
    ]
    team = Team(
        team_id=team_id,
        name="Timpora Uji",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=members,
    )
    await directory(database_url, [team])
    tg = sinks.telegram
    tg.script.fail(1, status=429, retry_after=3)
    env = environment(
        kafka_settings,
        database_url,
        sinks,
        NOTIFY_MAX_ATTEMPTS="1",  # a 429 counted as a failure would give up at once
        NOTIFY_TELEGRAM_RATE_PER_SECOND="1",  # one start reserved at a time, at most
    )
    alerts = [alert(team_id=team_id, team_name=team.name) for _ in range(2)]
    async with instances("notify_service", env):
        await send_alerts(kafka_settings, *alerts)
        await wait_for(lambda: _arrived(sinks, 8), timeout=60, interval=0.5)
        await asyncio.sleep(2)  # time for a duplicate to arrive, if any were sent
    ((refused_at, status),) = tg.scripted
    assert status == 429  # the injected 429 really happened
    refused = next(r for r in tg.requests if r.at == refused_at)
    later = [r.at for r in tg.requests if r.at > refused_at]
    assert len(later) == 8  # the refused message again, and the 7 others
    assert min(later) >= refused_at + 3  # neither instance sent before the Retry-After
    got = Counter(key_of(m) for m in sinks.received)
    expected = {(a.alert_id, m.member_id, "telegram") for a in alerts for m in members}
    assert set(got) == expected
    assert set(got.values()) == {1}
    body = refused.json()
    refused_key = key_of(Received("telegram", str(body["chat_id"]), body["text"]))
    again = [m for m in tg.received if key_of(m) == refused_key]
    assert len(again) == 1
    assert again[0].at >= refused_at + 3
    assert all(r.status == "sent" and r.attempts == 1 for r in await rows(database_url))


async def _arrived(sinks: Sinks, n: int) -> bool:
    return len(sinks.received) >= n
