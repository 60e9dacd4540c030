"""The attack (#17 item 9): Kafka was unauthenticated, so anyone on the network could write
reports (or read every report's personal data), and ``reports.raw`` believed a ``source``
header, so one source could report as another.

A real broker with SCRAM over TLS and the StandardAuthorizer (nothing allowed without an
ACL; :mod:`stackctl.secure_kafka`), the ACLs applied by ``timpora kafka acls --apply``, the
three services as real processes, each as its own SCRAM user, and the fake providers:

- a client without credentials, or with a wrong password, gets nothing;
- a source's principal may write its own ``reports.raw.<source>`` and nothing else: not
  another source's raw topic, not the topics between the services, and it reads nothing;
- a report the source writes to its topic reaches the teams' phones (the ACLs are enough
  for the services: each message counted at the fake provider), one whose header claims
  another source is a dead letter ``source_mismatch``, never routed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from devtools import Sinks
from shared import topics
from shared.kafka_clients import client_options
from shared.settings import Settings
from tests.e2e.conftest import seed_teams
from tests.e2e.procs import SERVICES, Cluster, service_env
from tests.kafkautil import wait_for
from tests.security.scram import PREFIX, SecureKafka, as_user, env_of

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
APOA = topics.raw_topic("apoa-kalsel")


async def send(settings: Settings, topic: str, value: bytes, **headers: str) -> None:
    producer = AIOKafkaProducer(**client_options(settings), request_timeout_ms=8000)
    await producer.start()
    try:
        encoded = [(k, v.encode()) for k, v in headers.items()]
        await producer.send_and_wait(settings.topic(topic), value, headers=encoded)
    finally:
        await producer.stop()


async def test_no_credentials_no_kafka(secure_kafka: SecureKafka, kafka_acls: list[str]) -> None:
    anonymous = AIOKafkaProducer(bootstrap_servers=secure_kafka.bootstrap, request_timeout_ms=3000)
    with pytest.raises(KafkaConnectionError):
        await anonymous.start()
    await anonymous.stop()
    wrong = AIOKafkaProducer(**client_options(as_user(secure_kafka, "apoa-kalsel", "guessed")))
    with pytest.raises(KafkaConnectionError):
        await wrong.start()
    await wrong.stop()
    assert "due to invalid credentials" in (secure_kafka.home / "broker.log").read_text()


async def test_a_source_writes_its_own_topic_and_nothing_else(
    secure_kafka: SecureKafka, kafka_acls: list[str]
) -> None:
    assert f"User:apoa-kalsel WRITE TOPIC:LITERAL:{PREFIX}{APOA}" in kafka_acls
    apoa = as_user(secure_kafka, "apoa-kalsel")
    await send(apoa, APOA, b"not json", format="canonical")  # its own: accepted (a dead letter)
    for elsewhere in (topics.raw_topic("polres-tanbu"), topics.REPORTS_NORMALIZED):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(apoa, elsewhere, b"{}", format="canonical")
    reader = AIOKafkaConsumer(
        apoa.topic(topics.REPORTS_NORMALIZED), **client_options(apoa), group_id=None
    )
    try:
        with pytest.raises(TopicAuthorizationFailedError):  # subscribing is refused
            await reader.start()
    finally:
        await reader.stop()


def report(ref: str) -> bytes:
    return orjson.dumps(
        {
            "category": "illegal_work",
            "upstream_ref": ref,
            "location": {"kecamatan_code": "63.10.09"},
            "subjects": [{"full_name": "Valid Person", "passport_number": "V1234567"}],
        }
    )


async def rejections(settings: Settings) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        settings.topic(topics.REPORTS_REJECTED),
        **client_options(settings),
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=3000)
        return [orjson.loads(r.value) for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()


@pytest.fixture
async def services(
    secure_kafka: SecureKafka, kafka_acls: list[str], database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Cluster, Sinks]]:
    await seed_teams(database_url)
    sinks = await Sinks().start()
    env = service_env(secure_kafka.bootstrap, PREFIX, database_url) | sinks.notify_env()
    own = {
        s: env_of(as_user(secure_kafka, f"timpora-{s.removesuffix('_service')}")) for s in SERVICES
    }
    cluster = Cluster(env, tmp_path, own=own)
    for service in SERVICES:
        cluster.start(service)
    try:
        for service in SERVICES:
            await wait_for(lambda s=service: cluster.ready(s), timeout=90, interval=0.5)
        yield cluster, sinks
    finally:
        cluster.stop()
        await sinks.stop()
        print(f"service logs in {tmp_path}")


async def test_the_services_work_with_their_acls_and_a_header_names_no_source(
    secure_kafka: SecureKafka, services: tuple[Cluster, Sinks]
) -> None:
    _cluster, sinks = services
    apoa = as_user(secure_kafka, "apoa-kalsel")
    await send(apoa, APOA, report("claims-polres"), format="canonical", source="polres-tanbu")
    await send(apoa, APOA, report("own"), format="canonical")

    # the genuine report: 2 teams x 3 members, one message each, at the fake providers
    await wait_for(lambda: _received(sinks, 6), timeout=90)
    await asyncio.sleep(3)  # a duplicate would arrive by now (retries are 0.3 s apart)
    per_recipient = Counter((m.channel, m.to) for m in sinks.received)
    assert len(sinks.received) == 6
    assert set(per_recipient.values()) == {1}

    console = as_user(secure_kafka, "timpora-console")
    dead = [d for d in await rejections(console) if d.get("source_format") == "canonical"]
    mismatch = [d for d in dead if d["reasons"][0]["code"] == "source_mismatch"]
    assert len(mismatch) == 1
    assert mismatch[0]["source"] == "apoa-kalsel"  # the topic's, not the header's
    assert "polres-tanbu" in mismatch[0]["reasons"][0]["message"]


async def _received(sinks: Sinks, n: int) -> bool:
    return len(sinks.received) >= n
