"""Fixtures of the security tests: the SCRAM/TLS Kafka with the deployment's ACLs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from console_service.cli import app as timpora
from devtools import free_port
from tests.security.scram import SecureKafka, as_user, env_of, start, stop_secure_kafka


@pytest.fixture(scope="session")
def secure_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureKafka]:
    kafka = start(tmp_path_factory.mktemp("kafka-scram"), free_port(), free_port())
    try:
        yield kafka
    finally:
        stop_secure_kafka(kafka)


@pytest.fixture(scope="session")
def kafka_acls(secure_kafka: SecureKafka) -> list[str]:
    """The administrator applies what ``timpora kafka acls`` decides (nothing by hand)
    and creates the topics (the development key file's sources)."""
    admin = env_of(as_user(secure_kafka, secure_kafka.admin[0]))
    runner = CliRunner()
    applied = runner.invoke(timpora, ["kafka", "acls", "--apply"], env=admin)
    assert applied.exit_code == 0, applied.output
    again = runner.invoke(timpora, ["kafka", "acls", "--apply"], env=admin)  # idempotent
    assert again.exit_code == 0, again.output
    created = runner.invoke(timpora, ["topics", "create"], env=admin)
    assert created.exit_code == 0, created.output
    return applied.output.splitlines()
