"""A Kafka with SCRAM over TLS and ACLs for the security tests (one per session, ~5 s):
its users (the services' and two sources'), the topic prefix the tests share, and the
settings or environment of a process that logs in as one of them."""

from __future__ import annotations

import secrets
import sys
import uuid
from pathlib import Path

from shared.settings import Settings

SCRIPTS = str(Path(__file__).resolve().parents[2] / "scripts")  # `scripts` is no package
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
from stackctl.secure_kafka import (  # noqa: E402  (after the sys.path line)
    SecureKafka,
    add_scram_user,
    scram_login,
    start_secure_kafka,
    stop_secure_kafka,
)

__all__ = [
    "PREFIX",
    "USERS",
    "SecureKafka",
    "add_scram_user",
    "as_user",
    "env_of",
    "scram_login",
    "start",
    "start_secure_kafka",
    "stop_secure_kafka",
]

USERS = {
    name: secrets.token_urlsafe(12)
    for name in (
        "timpora-ingest",
        "timpora-routing",
        "timpora-notify",
        "timpora-console",
        "apoa-kalsel",
        "polres-tanbu",
    )
}
PREFIX = f"s{uuid.uuid4().hex[:8]}."


def start(home: Path, port: int, controller_port: int) -> SecureKafka:
    return start_secure_kafka(home, port, USERS, controller_port=controller_port)


def as_user(broker: SecureKafka, user: str, password: str | None = None) -> Settings:
    """Settings of a client logging in as ``user`` (the administrator: ``broker.admin``)."""
    known = {**USERS, broker.admin[0]: broker.admin[1]}
    return Settings(
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_USERNAME=user,
        KAFKA_SASL_PASSWORD=password or known[user],
        KAFKA_SSL_CAFILE=broker.ca_file,
        TIMPORA_TOPIC_PREFIX=PREFIX,
        TIMPORA_TOPIC_PARTITIONS=2,
    )  # type: ignore[call-arg]


def env_of(settings: Settings) -> dict[str, str]:
    """The same as environment variables, for a service process or the CLI."""
    password = settings.kafka_sasl_password
    return {
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol,
        "KAFKA_SASL_USERNAME": settings.kafka_sasl_username or "",
        "KAFKA_SASL_PASSWORD": password.get_secret_value() if password else "",
        "KAFKA_SSL_CAFILE": str(settings.kafka_ssl_cafile),
        "TIMPORA_TOPIC_PREFIX": PREFIX,
        "TIMPORA_TOPIC_PARTITIONS": "2",
    }
