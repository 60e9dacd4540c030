"""Inside the namespace of compose_kafka_inside.sh, against the compose file's Kafka: what
kafka-setup does (topics, ACLs, as the administrator), then who may write where."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from shared.kafka_clients import client_options
from shared.settings import Settings

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
    env = {**os.environ, "KAFKA_SASL_USERNAME": "admin", "KAFKA_SASL_PASSWORD": "admin-pass-1"}
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
    return 0 if got == WANTED else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
