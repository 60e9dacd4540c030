"""Failure tests on real processes, counted at the fake providers.

Faults: ``kill -9`` of every service, several times, during >= 2,000 reports fed at a
steady rate; a broker ``kill -9`` and restart; PostgreSQL down 10 s. Every fault is
proven (the pid died of SIGKILL, the port closed).

Pass: for every accepted report, every (alert, version, member, first channel) the
directory and policy imply received exactly one message, with one documented exception:
a notify killed mid-send leaves its in-flight claims ``sending``; after the restart a high
or critical delivery is sent once more, its text starting "[ULANG]". Each such repeat is
matched to a notify kill: its original claim must fall in the ``SEND_TIMEOUT_S`` before
one. No tolerance windows, no totals: a message is keyed by what the provider received
(channel, the recipient's address, the signed link naming alert and member).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from devtools import Received, Sinks
from notify_service.models import DeliveryRow
from notify_service.plan import address_of, usable_channels
from notify_service.sending import SEND_TIMEOUT_S
from notify_service.signing import verify_token
from routing_service.models import AlertRow
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.directory import load_directory
from shared.schemas import Member
from shared.settings import DEV_SECRET, Settings
from tests.e2e.conftest import seed_teams
from tests.e2e.procs import (
    ROOT,
    SERVICES,
    Cluster,
    port_open,
    post_until_accepted,
    report_body,
    service_env,
)
from tests.kafkautil import caught_up, wait_for
from tests.pii_scan import Submitted, provider_texts

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TOKEN = re.compile(r"/a/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
STACK = [sys.executable, str(ROOT / "scripts" / "stack.py")]
Key = tuple[str, int, str, str]  # alert, version, member, channel


@pytest.fixture
async def cluster(kafka_settings: Settings, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await seed_teams(database_url)
    sinks = await Sinks().start()
    env = service_env(
        kafka_settings.kafka_bootstrap_servers, kafka_settings.topic_prefix, database_url
    )
    env["TIMPORA_LOG_LEVEL"] = "DEBUG"  # the PII scan reads every line a service can write
    c = Cluster(env | sinks.notify_env(), tmp_path)
    print(f"logs in {tmp_path}", flush=True)
    for service in SERVICES:
        c.start(service)
    for service in SERVICES:
        await wait_for(lambda s=service: c.ready(s), timeout=90, interval=0.5)
    c.sinks = sinks  # type: ignore[attr-defined]
    yield c
    c.stop()
    await sinks.stop()


IN_FLIGHT = 32  # an upstream system's concurrent requests


async def feed(c: Cluster, n: int, rate: float, start: int = 0) -> list[str]:
    """``n`` reports at ``rate``/s, each retried until accepted, at most ``IN_FLIGHT`` at
    a time: while ingest is down the backlog waits here, not in the HTTP client's pool
    (httpcore's pool does work per queued request and connection on every event: 2,000
    queued requests starved this test's event loop, fake providers included)."""
    t0 = time.monotonic()
    slots = asyncio.Semaphore(IN_FLIGHT)
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    async with httpx.AsyncClient(timeout=15, limits=limits) as client:

        async def one(i: int) -> str:
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            async with slots:
                return await post_until_accepted(client, c, start + i)

        return list(await asyncio.gather(*(one(i) for i in range(n))))


def member_of(members: dict[str, Member], message: Received) -> Key | None:
    """(alert, version, member, channel) from what the provider received."""
    found = TOKEN.search(message.text)
    who = verify_token(DEV_SECRET, found.group(1)) if found else None
    if who is None:
        return None
    alert_id, member_id = who
    member = members.get(member_id)
    address = address_of(member, message.channel) if member else None
    digits = re.sub(r"\D", "", message.to) if message.channel != "email" else message.to
    mine = re.sub(r"\D", "", address or "") if message.channel != "email" else address
    assert digits == mine, f"{message.channel} to {message.to}: not {member_id}'s address"
    version = 1  # an update would say so ("Pembaruan ke-"): none in these reports
    assert "Pembaruan ke-" not in message.text
    return alert_id, version, member_id, message.channel


async def check_outcome(
    c: Cluster, settings: Settings, database_url: str, ids: list[str], *, repeats_allowed: bool
) -> int:
    """Exactly once per expected key, repeats matched to notify kills; the repeats."""

    async def settled() -> bool:
        return all(
            [
                await caught_up(settings, "routing", topics.REPORTS_NORMALIZED),
                await caught_up(settings, "notify", topics.ALERTS_ROUTED),
            ]
        )

    await wait_for(settled, timeout=240, interval=1)
    print(f"settled at {time.time():.0f}", flush=True)
    sessions = make_sessionmaker(engine := make_engine(database_url))

    async def nothing_open() -> bool:  # stale `sending` rows are handled after 90 s
        async with sessions() as s:
            statuses = DeliveryRow.status.in_(["retrying", "sending"])
            return not (await s.scalars(select(DeliveryRow.delivery_id).where(statuses))).all()

    await wait_for(nothing_open, timeout=240, interval=1)
    print(f"nothing open at {time.time():.0f}", flush=True)
    await asyncio.sleep(2)  # the last sends' answers
    async with sessions() as s:
        alerts = (await s.scalars(select(AlertRow))).all()
        rows = {
            (r.alert_id, r.alert_version, r.member_id, r.channel): r
            for r in (await s.scalars(select(DeliveryRow))).all()
        }
    await engine.dispose()
    teams = {t.team_id: t for t in load_directory(ROOT / "config" / "teams.yaml")}
    members = {m.member_id: m for t in teams.values() for m in t.members}
    by_report = defaultdict(list)
    for a in alerts:
        for report_id in a.report_ids:
            by_report[report_id].append(a)
    expected: set[Key] = set()
    for report_id in ids:
        assert len(by_report[report_id]) == 2, report_id  # kecamatan and kabupaten teams
        for a in by_report[report_id]:
            assert a.version == 1
            for m in teams[a.team_id].members:  # all on duty, no quiet hours: first channel
                expected.add((a.alert_id, a.version, m.member_id, usable_channels(m)[0]))
    got: dict[Key, list[Received]] = defaultdict(list)
    for message in c.sinks.received:  # type: ignore[attr-defined]
        key = member_of(members, message)
        assert key is not None, f"unattributable {message.channel} message"
        got[key].append(message)
    assert not set(got) - expected, sorted(set(got) - expected)[:3]  # nobody unintended
    lost = sorted(expected - set(got))
    assert not lost, f"{len(lost)} deliveries never reached a provider: {lost[:3]}"
    notify_kills = [at for service, at in c.kills if service == "notify_service"]
    repeats = 0
    for key in sorted(expected):
        # "[ULANG]" opens the text, or the WhatsApp template's first line
        marked = [m for m in got[key] if "[ULANG]" in m.text.split("\n", 1)[0]]
        plain = [m for m in got[key] if m not in marked]
        assert len(plain) <= 1, (key, len(plain))
        assert len(marked) <= 1, (key, len(marked))
        if not marked:
            continue
        assert repeats_allowed, f"a repeat without a notify kill: {key}"
        claimed = rows[key].created_at.timestamp()
        assert rows[key].repeat
        assert any(k - SEND_TIMEOUT_S - 2 <= claimed <= k + 1 for k in notify_kills), (
            f"repeat of {key}: claimed at {claimed}, kills at {notify_kills}"
        )
        repeats += 1
    assert all(r.status in ("sent", "skipped") for r in rows.values())  # high: no uncertain
    # security (tests/pii_scan.py): no passport number or name the reports carried, in any
    # spelling, in any service's log or any message but an e-mail body
    submitted = Submitted()
    for i in range(len(ids)):
        submitted.add(report_body(i))
    logs = list(c.logs.glob("*.log"))
    assert len(logs) == len(SERVICES)
    leaks = [
        hit for log in logs for hit in submitted.hits(log.name, [log.read_text("utf-8", "replace")])
    ]
    for channel, texts in provider_texts(c.sinks).items():  # type: ignore[attr-defined]
        leaks += submitted.hits(f"{channel} message", texts)
    assert not leaks, f"{len(leaks)} clear personal values: {leaks[:5]}"
    return repeats


@pytest.mark.timeout(600)  # 80 s of reports, then the 90 s before stale rows are repeated
async def test_kill_dash_nine_every_service_during_a_steady_stream(
    cluster: Cluster, kafka_settings: Settings, database_url: str
) -> None:
    n, rate = 2000, 25.0  # 80 s of reports
    feeding = asyncio.create_task(feed(cluster, n, rate))
    for round_ in range(3):
        for service in ("notify_service", "routing_service", "ingest_service"):
            await asyncio.sleep(6.0 + round_)
            cluster.kill(service)
            await asyncio.sleep(1.0)
            cluster.start(service)
    ids = await feeding
    print(f"fed at {time.time():.0f}; kills {cluster.kills}", flush=True)
    assert len(cluster.kills) >= 8
    assert {s for s, _ in cluster.kills} == set(SERVICES)
    repeats = await check_outcome(cluster, kafka_settings, database_url, ids, repeats_allowed=True)
    print(f"{len(ids)} reports, {len(cluster.kills)} kills, {repeats} repeats ([ULANG])")


def broker_kill(port: int) -> None:
    """``kill -9`` the stack's broker; asserts the pid is gone and the port closed."""
    out = subprocess.run([*STACK, "status", "--only", "kafka"], capture_output=True, text=True)
    pid = int(re.search(r"pid (\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    subprocess.run(["kill", "-9", str(pid)], check=True)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists(), f"broker pid {pid} still alive"
    assert not port_open(port), "broker port still open"


async def test_broker_kill_and_database_outage(
    cluster: Cluster, kafka_settings: Settings, database_url: str
) -> None:
    kafka_port = int(kafka_settings.kafka_bootstrap_servers.rsplit(":", 1)[1])
    pg_port = int(database_url.rsplit(":", 1)[1].split("/")[0])
    feeding = asyncio.create_task(feed(cluster, 400, 20.0))
    await asyncio.sleep(4)
    await asyncio.to_thread(broker_kill, kafka_port)
    await asyncio.sleep(2)
    await asyncio.to_thread(subprocess.run, [*STACK, "up", "--only", "kafka"], check=True)
    await asyncio.sleep(3)
    await asyncio.to_thread(subprocess.run, [*STACK, "down", "--only", "postgres"], check=True)
    assert not port_open(pg_port), "PostgreSQL still listening"
    await asyncio.sleep(10)
    await asyncio.to_thread(subprocess.run, [*STACK, "up", "--only", "postgres"], check=True)
    ids = await feeding
    # Outcomes of sends made while the database was away are recorded when it is back.
    await check_outcome(cluster, kafka_settings, database_url, ids, repeats_allowed=False)
