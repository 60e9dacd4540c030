"""Fixtures for real services: Kafka and PostgreSQL.

Where they come from, in order: the environment (``KAFKA_BOOTSTRAP_SERVERS``,
``TEST_DATABASE_URL``, set by ``scripts/test`` after it started the local stack), then
testcontainers when a Docker engine is available, else the test fails and says which
command starts the stack. Each test gets its own topics (a unique prefix) and, when it
asks, its own PostgreSQL database cloned from a migrated template.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from devtools import Sinks
from shared.settings import Settings
from shared.topics import ensure_topics
from tests.kafkautil import DEV_SOURCES

START_HINT = "start the local stack with `scripts/test` (or `python3 scripts/stack.py up`)"


def _docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        import docker  # testcontainers' dependency

        docker.from_env().ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
        return
    if _docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    pytest.fail(f"no Kafka broker: KAFKA_BOOTSTRAP_SERVERS is unset and no Docker; {START_HINT}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server (its maintenance database) for the test session."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver="asyncpg") as pg:
            yield pg.get_connection_url()
        return
    pytest.fail(f"no PostgreSQL: TEST_DATABASE_URL is unset and no Docker; {START_HINT}")


async def _admin_execute(url: str, *statements: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
async def pg_template(postgres_url: str) -> AsyncIterator[str]:
    """A database migrated to head once per session; tests clone it (fast)."""
    from shared.db import migrate

    name = f"timpora_tpl_{uuid.uuid4().hex[:8]}"
    await _admin_execute(postgres_url, f'CREATE DATABASE "{name}"')
    await migrate(_with_database(postgres_url, name))
    yield name
    await _admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(postgres_url: str, pg_template: str) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = f"timpora_t_{uuid.uuid4().hex[:10]}"
    await _admin_execute(postgres_url, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _with_database(postgres_url, name)
    await _admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def kafka_settings(kafka_bootstrap: str) -> AsyncIterator[Settings]:
    """Settings with a unique topic prefix whose topics already exist (3 partitions)."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings = Settings(
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        TIMPORA_TOPIC_PREFIX=prefix,
        TIMPORA_TOPIC_PARTITIONS=3,
        TIMPORA_ENV="test",
    )
    created = ensure_topics(kafka_bootstrap, prefix=prefix, partitions=3, sources=DEV_SOURCES)
    await asyncio.wait_for(created, timeout=60)
    yield settings
    await _delete_topics(kafka_bootstrap, prefix)


async def _delete_topics(bootstrap: str, prefix: str) -> None:
    """Keep the broker small across a long run: a test's topics go with the test."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


@pytest.fixture
async def sinks() -> AsyncIterator[Sinks]:
    """The fake providers (Kannel, Telegram, WhatsApp, webhook, SMTP), started and
    stopped around one test; what each received is counted per recipient."""
    async with Sinks() as s:
        yield s
