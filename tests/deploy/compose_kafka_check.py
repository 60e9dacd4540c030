"""Inside the namespace of compose_kafka_inside.sh, against the compose file's three Kafka
nodes: what kafka-setup does (topics with replication 3 and min ISR 2, ACLs, as the
administrator), then who may write where, then one node killed (SIGKILL) and every
partition of reports.normalized still taking acks=all writes, those the dead node led
included."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from shared import topics
from shared.kafka_clients import client_options
from shared.settings import Settings

ADMIN = {"KAFKA_SASL_USERNAME": "admin", "KAFKA_SASL_PASSWORD": "admin-pass-1"}

WANTED = {  # (user, password, topic) -> may it write?
    ("apoa-kalsel", "apoa-pass-1", "reports.raw.apoa-kalsel"): "ok",
    ("apoa-kalsel", "apoa-pass-1", "reports.raw.polres-tanbu"): "denied",
    ("timpora-ingest", "ing-pass-1", "reports.normalized"): "ok",
    ("timpora-ingest", "ing-pass-1", "alerts.routed"): "denied",
    ("timpora-routing", "rou-pass-1", "alerts.routed"): "ok",
    ("timpora-notify", "not-pass-1", "deliveries.events"): "ok",
    ("timpora-console", "con-pass-1", "alerts.acks"): "ok",
}


def timpora(*args: str) -> int:
    env = {**os.environ, **ADMIN}
    run = subprocess.run(
        [sys.executable, "-m", "console_service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    print("timpora", *args, "->", run.returncode, (run.stdout + run.stderr).strip()[-200:])
    return run.returncode


async def write(user: str, password: str, topic: str) -> str:
    settings = Settings(KAFKA_SASL_USERNAME=user, KAFKA_SASL_PASSWORD=password)
    producer = AIOKafkaProducer(**client_options(settings), request_timeout_ms=8000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"x", headers=[("format", b"canonical")])
        return "ok"
    except TopicAuthorizationFailedError:
        return "denied"
    finally:
        await producer.stop()


async def main() -> int:
    deadline = time.monotonic() + 120
    while timpora("topics", "create") != 0:  # kafka-setup waits for a healthy broker
        if time.monotonic() > deadline:
            print("the broker never served the administrator")
            return 1
        time.sleep(1)
    if timpora("kafka", "acls", "--apply") != 0:
        return 1
    anonymous = AIOKafkaProducer(bootstrap_servers="kafka:9092", request_timeout_ms=3000)
    try:
        await anonymous.start()
        print("PLAINTEXT client connected")
        return 1
    except KafkaConnectionError:
        print("PLAINTEXT client refused")
    finally:
        await anonymous.stop()
    got = {key: await write(*key) for key in WANTED}
    print(got)
    if got != WANTED:
        return 1
    return await replicated()


async def layout(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, list[dict]]:
    described = await admin.describe_topics(names)
    return {t["topic"]: t["partitions"] for t in described}


async def replicated() -> int:
    """Every topic on the three nodes with min ISR 2; then node 3 killed and every
    partition of reports.normalized written with acks=all."""
    admin = AIOKafkaAdminClient(**client_options(Settings(**ADMIN)))
    await admin.start()
    try:
        names = [spec.name for spec in topics.TOPICS]
        parts = await layout(admin, names)
        replicas = {len(p["replicas"]) for ps in parts.values() for p in ps}
        resources = [
            ConfigResource(ConfigResourceType.TOPIC, n, {"min.insync.replicas": None})
            for n in names
        ]
        [response] = await admin.describe_configs(resources)
        isr = {str(e[1]) for *_, entries in response.resources for e in entries}
        print(f"replicas per partition {replicas}, min.insync.replicas {isr}")
        if replicas != {3} or isr != {"2"}:
            return 1
        normalized = sorted(parts[topics.REPORTS_NORMALIZED], key=lambda p: p["partition"])
        led_by_3 = [p["partition"] for p in normalized if p["leader"] == 3]
    finally:
        await admin.close()
    victim = int(os.environ["NODE_PIDS"].split()[2])
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{victim}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    with socket.socket() as s:
        s.settimeout(0.5)
        closed = s.connect_ex(("127.0.0.3", 9092)) != 0
    print(f"node 3 killed: pid gone {not Path(f'/proc/{victim}').exists()}, port closed {closed}")
    if Path(f"/proc/{victim}").exists() or not closed:
        return 1
    settings = Settings(KAFKA_SASL_USERNAME="timpora-ingest", KAFKA_SASL_PASSWORD="ing-pass-1")
    producer = AIOKafkaProducer(
        **client_options(settings), acks="all", enable_idempotence=True, request_timeout_ms=30000
    )
    await producer.start()
    try:
        written = []
        for p in normalized:
            meta = await producer.send_and_wait(
                topics.REPORTS_NORMALIZED, b"x", partition=p["partition"]
            )
            written.append(meta.partition)
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(**client_options(Settings(**ADMIN)))
    await admin.start()
    try:
        after = await layout(admin, [topics.REPORTS_NORMALIZED])
    finally:
        await admin.close()
    leaders = {p["leader"] for p in after[topics.REPORTS_NORMALIZED]}
    print(
        f"with node 3 down: acks=all writes to partitions {written}; node 3 led {led_by_3}, "
        f"leaders now {sorted(leaders)}"
    )
    ok = written == [p["partition"] for p in normalized] and led_by_3 and 3 not in leaders
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
