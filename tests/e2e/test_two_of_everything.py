"""The reference layout's promise on the local broker and PostgreSQL: two instances of
every service (ingest, routing, notify as separate processes, as docker-compose.yml runs
them, static group membership and no migration at start-up included), reports posted to
both ingest instances (every fifth posted again to the other one with the same
Idempotency-Key), and a ``kill -9`` of one instance of each service in the middle.

Faults proven: each killed pid died of SIGKILL and its port closed; then its consumer
groups have the survivor as their only member, holding every partition. Pass: the same
count as the failure tests (tests/e2e/test_failures.py ``check_outcome``): for every
accepted report, every (alert, version, member, first channel) received exactly one
message at the fake providers, nobody unintended received anything, and the only repeats
are the documented ones: a high-severity send left in flight by the killed notify, sent
again once as "[ULANG]" and matched to that kill.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from devtools import Sinks, free_port
from shared import topics
from shared.settings import Settings
from tests.e2e.conftest import seed_teams
from tests.e2e.procs import SERVICES, Cluster, report_body, service_env
from tests.e2e.test_failures import check_outcome
from tests.kafkautil import DEV_SOURCES, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
INSTANCES = ("a", "b")
UUID_TAIL = r"-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"  # of a static member's id
GROUPS = {  # each service's consumer groups, and a topic each reads
    "ingest_service": {"ingest": topics.raw_topic(DEV_SOURCES[0])},
    "routing_service": {"routing": topics.REPORTS_NORMALIZED, "routing-acks": topics.ALERTS_ACKS},
    "notify_service": {"notify": topics.ALERTS_ROUTED, "notify-acks": topics.ALERTS_ACKS},
}


class Pairs(Cluster):
    """Two processes per service, ``<module>-a`` and ``<module>-b``; both instances of a
    service write one log file (``<module>.log``: what the PII scan reads), and kills are
    recorded by service, as ``check_outcome`` matches repeats to notify kills."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        super().__init__(env, logs)
        self.ports = {f"{s}-{i}": free_port() for s in SERVICES for i in INSTANCES}

    def start(self, instance: str) -> None:
        module, _, which = instance.rpartition("-")
        log = (self.logs / f"{module}.log").open("ab")
        self.procs[instance] = subprocess.Popen(
            [sys.executable, "-m", module, "--port", str(self.ports[instance])],
            cwd=self.root,
            env={**self.env, "TIMPORA_INSTANCE_ID": which},  # as compose: ingest-1, ...
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, service: str) -> float:
        at = super().kill(service)
        self.kills[-1] = (service.rpartition("-")[0], at)
        return at

    def alive(self, module: str) -> list[str]:
        return [i for i, p in self.procs.items() if i.startswith(module) and p.poll() is None]


@pytest.fixture
async def pairs(kafka_settings: Settings, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    await seed_teams(database_url)
    sinks = await Sinks().start()
    env = service_env(
        kafka_settings.kafka_bootstrap_servers, kafka_settings.topic_prefix, database_url
    ) | {
        "TIMPORA_LOG_LEVEL": "DEBUG",  # the PII scan reads every line a service can write
        "TIMPORA_MIGRATE_AT_START": "false",  # the database was migrated once, before
        "NOTIFY_STALE_SENDING_SECONDS": "20",  # the killed notify's sends, sooner
        # each Telegram member gets ~100 alerts here: the Bot API's 1/s per chat (which
        # the fake does not enforce) would make this a test of pacing
        "NOTIFY_TELEGRAM_CHAT_RATE_PER_SECOND": "20",
    }
    c = Pairs(env | sinks.notify_env(), tmp_path)
    print(f"logs in {tmp_path}", flush=True)
    for instance in c.ports:
        c.start(instance)
    for instance in c.ports:
        await wait_for(lambda i=instance: c.ready(i), timeout=120, interval=0.5)
    c.sinks = sinks  # type: ignore[attr-defined]
    yield c
    c.stop()
    await sinks.stop()


async def post(client: httpx.AsyncClient, c: Pairs, i: int, first: str) -> tuple[str, str]:
    """An upstream system with two addresses: ``first``, else the other ingest instance,
    until Kafka took the report (the same Idempotency-Key throughout). (report id, the
    instance that accepted it)."""
    order = [first, *(x for x in (f"ingest_service-{n}" for n in INSTANCES) if x != first)]
    headers = {"X-API-Key": "dev-key-kanim", "Idempotency-Key": f"two-{i}"}
    attempt = 0
    while True:
        instance = order[attempt % 2]
        attempt += 1
        try:
            r = await client.post(
                f"http://127.0.0.1:{c.ports[instance]}/v1/reports",
                json=report_body(i, "two"),
                headers=headers,
            )
            if r.status_code == 202:
                return str(r.json()["report_ids"][0]), instance
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.3)


async def feed(c: Pairs, n: int, rate: float) -> tuple[list[str], int]:
    """``n`` reports at ``rate``/s, alternately to each ingest instance; every fifth one,
    once accepted, is posted again with its key to the other instance (while it lives),
    which must answer with the same report id. (report ids, retries answered)."""
    t0 = time.monotonic()
    slots = asyncio.Semaphore(16)
    retried = 0
    async with httpx.AsyncClient(timeout=15) as client:

        async def one(i: int) -> str:
            nonlocal retried
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            async with slots:
                first = f"ingest_service-{INSTANCES[i % 2]}"
                report_id, took = await post(client, c, i, first)
                other = [x for x in c.alive("ingest_service") if x != took]
                if i % 5 == 0 and other:
                    again, _ = await post(client, c, i, other[0])
                    assert again == report_id, f"report {i}: a second report {again}"
                    retried += 1
                return report_id

        ids = list(await asyncio.gather(*(one(i) for i in range(n))))
    return ids, retried


async def owners(settings: Settings, group: str) -> dict[str, set[tuple[str, int]]]:
    """The live members of ``group`` by static instance id, with their partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([settings.group(group)])
        [described] = response.to_object()["groups"]
        out: dict[str, set[tuple[str, int]]] = {}
        for member in described["members"]:
            assignment = ConsumerProtocolMemberAssignment.decode(member["member_assignment"])
            # a static member's id is its group_instance_id, "-" and a UUID
            instance = re.sub(
                r"-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", "", member["member_id"]
            )
            out[instance] = {(topic, p) for topic, parts in assignment.assignment for p in parts}
        return out
    finally:
        await admin.close()


async def survivor_took_over(c: Pairs, settings: Settings, module: str, killed: str) -> None:
    """Every consumer group of ``module``: one member left, the survivor, holding every
    partition of the topic it reads (the killed one's included)."""
    survivor = next(i for i in INSTANCES if i != killed)
    for group, topic in GROUPS[module].items():
        name = settings.topic(topic)
        parts = (await topics.partition_counts(settings.kafka_bootstrap_servers, [name]))[name]
        mine = f"{group}-{survivor}"  # group_instance_id: unprefixed

        async def taken(
            group: str = group, name: str = name, parts: int = parts, me: str = mine
        ) -> bool:
            members = await owners(settings, group)
            held = {p for t, p in members.get(me, set()) if t == name}
            return list(members) == [me] and len(held) == parts

        await wait_for(taken, timeout=60, interval=0.5)


@pytest.mark.timeout(420)  # ~2.5 min; a report in flight at ingest's kill waits out its claim
async def test_two_instances_of_everything_lose_and_repeat_nothing(
    pairs: Pairs, kafka_settings: Settings, database_url: str
) -> None:
    for groups in GROUPS.values():  # both instances are members of every group
        for group in groups:
            members = await owners(kafka_settings, group)
            assert set(members) == {f"{group}-{i}" for i in INSTANCES}
            assert all(members.values()), (group, members)
    n, rate = 200, 8.0  # 25 s of reports
    feeding = asyncio.create_task(feed(pairs, n, rate))
    for module in ("routing_service", "notify_service", "ingest_service"):
        await asyncio.sleep(6.0)
        pairs.kill(f"{module}-a")  # its pid died of SIGKILL and its port closed
        await survivor_took_over(pairs, kafka_settings, module, "a")
    ids, retried = await feeding
    print(f"fed at {time.time():.0f}; kills {pairs.kills}; {retried} retries", flush=True)
    assert len(set(ids)) == n  # one report per key, whichever instance answered
    assert retried >= n // 5 // 2  # the retries to the other instance happened
    assert {s for s, _ in pairs.kills} == set(SERVICES)
    assert [pairs.alive(m) for m in SERVICES] == [[f"{m}-b"] for m in SERVICES]
    repeats = await check_outcome(pairs, kafka_settings, database_url, ids, repeats_allowed=True)
    print(f"{n} reports, {len(pairs.sinks.received)} messages, {repeats} repeats ([ULANG])")  # type: ignore[attr-defined]
