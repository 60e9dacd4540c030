"""The secured test broker of ``scripts/stackctl/secure_kafka.py`` refuses what it should.

One broker for the module (SASL_SSL with SCRAM, StandardAuthorizer, no ACLs), started in a
temporary directory on free ports, about 5 s. What aiokafka 0.14 raises when refused:

- PLAINTEXT to the SASL_SSL port: the broker drops the connection at once and clients raise
  ``KafkaConnectionError("Unable to bootstrap ...")``.
- A wrong SCRAM password: clients raise the same bootstrap ``KafkaConnectionError`` and only
  log ``[Error 58] SaslAuthenticationFailed``; a single connection (``create_conn``) raises
  ``SaslAuthenticationFailed`` itself.
- A user without ACLs: logs in, sees no topics, producing raises
  ``TopicAuthorizationFailedError``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.conn import create_conn
from aiokafka.errors import (
    KafkaConnectionError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)

from tests.security.scram import (
    SecureKafka,
    add_scram_user,
    scram_login,
    start_secure_kafka,
    stop_secure_kafka,
)

pytestmark = pytest.mark.kafka

USERS = {"alice": "alice-secret-1"}
TOPIC = "secured.smoke"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    port, controller_port = _free_ports(2)
    home = tmp_path_factory.mktemp("secure-kafka")
    broker = start_secure_kafka(home, port, USERS, controller_port=controller_port, timeout=90)
    try:
        yield broker
    finally:
        stop_secure_kafka(broker)


def scram(kafka: SecureKafka, user: str, password: str, **extra: Any) -> dict[str, Any]:
    return {
        "bootstrap_servers": kafka.bootstrap,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": kafka.mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
        "ssl_context": ssl.create_default_context(cafile=str(kafka.ca_file)),
        "request_timeout_ms": 5000,
        **extra,
    }


async def list_topics(**config: Any) -> list[str]:
    admin = AIOKafkaAdminClient(**config)
    try:
        await admin.start()
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def ensure_topic(kafka: SecureKafka, topic: str = TOPIC) -> list[str]:
    """Create the topic as the super user unless it exists; the topics before."""
    admin = AIOKafkaAdminClient(**scram(kafka, *kafka.admin))
    try:
        await admin.start()
        before = sorted(await admin.list_topics())
        if topic not in before:
            await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        return before
    finally:
        await admin.close()


async def test_admin_lists_and_creates_topics(kafka: SecureKafka) -> None:
    assert "secured.admin-made" not in await ensure_topic(kafka, "secured.admin-made")
    assert "secured.admin-made" in await list_topics(**scram(kafka, *kafka.admin))


async def test_plaintext_client_is_dropped(kafka: SecureKafka) -> None:
    started = time.monotonic()
    with pytest.raises(KafkaConnectionError):
        await list_topics(bootstrap_servers=kafka.bootstrap, request_timeout_ms=3000)
    assert time.monotonic() - started < 10


async def test_wrong_password_is_refused(
    kafka: SecureKafka, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        await list_topics(**scram(kafka, "alice", "not-alices-password"))
    assert "SaslAuthenticationFailed" in caplog.text  # the reason is only logged
    with pytest.raises(SaslAuthenticationFailed, match="invalid credentials"):
        await create_conn(
            "127.0.0.1",
            kafka.port,
            security_protocol="SASL_SSL",
            ssl_context=ssl.create_default_context(cafile=str(kafka.ca_file)),
            sasl_mechanism=kafka.mechanism,
            sasl_plain_username="alice",
            sasl_plain_password="not-alices-password",
            request_timeout_ms=5000,
        )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
async def test_user_without_acls_sees_nothing(kafka: SecureKafka, mechanism: str) -> None:
    config = scram(kafka, "alice", USERS["alice"], sasl_mechanism=mechanism)
    assert await list_topics(**config) == []


async def test_user_without_acls_cannot_produce(kafka: SecureKafka) -> None:
    await ensure_topic(kafka)  # so the refusal is about rights, not a missing topic
    producer = AIOKafkaProducer(**scram(kafka, "alice", USERS["alice"]))
    try:
        await producer.start()
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(TOPIC, b"not allowed")
    finally:
        await producer.stop()


async def test_added_user_can_log_in(kafka: SecureKafka) -> None:
    with pytest.raises(KafkaConnectionError):
        await list_topics(**scram(kafka, "bob", "bob-secret-2"))
    await asyncio.to_thread(add_scram_user, kafka, "bob", "bob-secret-2")  # a JVM, ~1.5 s
    assert await list_topics(**scram(kafka, "bob", "bob-secret-2")) == []


async def test_controller_listener_wants_the_controller_password(
    kafka: SecureKafka, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(KafkaConnectionError):
        await list_topics(
            bootstrap_servers=f"127.0.0.1:{kafka.controller_port}",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_plain_username="controller",
            sasl_plain_password="a-guess",
            request_timeout_ms=3000,
        )
    assert "Invalid username or password" in caplog.text


def test_the_stdlib_probe_logs_in_and_is_refused(kafka: SecureKafka) -> None:
    scram_login(kafka, "alice", USERS["alice"], "SCRAM-SHA-256")
    with pytest.raises(PermissionError, match="error code 58"):
        scram_login(kafka, "alice", "not-alices-password")
