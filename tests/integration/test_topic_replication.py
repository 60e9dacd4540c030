"""On the local broker and PostgreSQL: ``ensure_topics`` sets min.insync.replicas on the
topics it creates and on existing ones (then, a second run alters nothing), and a service
that does not migrate at start-up refuses a database whose schema is behind."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared import topics
from shared.db import check_schema
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import _admin_execute, _delete_topics, _with_database

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs v1+ config_source: set on the topic itself


async def min_isr(bootstrap: str, names: list[str]) -> dict[str, tuple[str, bool]]:
    """min.insync.replicas of each topic, and whether it is set on the topic itself."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resources = [
            ConfigResource(ConfigResourceType.TOPIC, n, {"min.insync.replicas": None})
            for n in names
        ]
        [response] = await admin.describe_configs(resources)
        return {
            name: next(
                (str(e[1]), e[3] is not True and e[3] == DYNAMIC_TOPIC_CONFIG)
                for e in entries
                if e[0] == "min.insync.replicas"
            )
            for _err, _msg, _type, name, entries in response.resources
        }
    finally:
        await admin.close()


async def test_min_isr_is_set_on_created_and_existing_topics(kafka_bootstrap: str) -> None:
    prefix = f"isr{uuid.uuid4().hex[:8]}."
    names = [prefix + s.name for s in topics.TOPICS]
    try:
        created = await topics.ensure_topics(kafka_bootstrap, prefix=prefix, min_isr=1)
        assert set(created) == set(names)
        assert await min_isr(kafka_bootstrap, names) == dict.fromkeys(names, ("1", True))
        # existing topics get a new value (the local broker has one node: 2 would refuse
        # acks=all writes, but the config is what is checked here)
        again = await topics.ensure_topics(kafka_bootstrap, prefix=prefix, min_isr=2)
        assert again == []  # and it returns once the broker shows the new value
        assert await min_isr(kafka_bootstrap, names) == dict.fromkeys(names, ("2", True))
        wanted = {n: {"min.insync.replicas": "2"} for n in names}
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:  # nothing left to alter: a service's start-up alters nothing
            assert topics.drift(wanted, await topics._current_configs(admin, wanted)) == {}
        finally:
            await admin.close()
    finally:
        await _delete_topics(kafka_bootstrap, prefix)


async def test_a_service_that_does_not_migrate_refuses_an_old_schema(
    postgres_url: str, database_url: str
) -> None:
    assert await check_schema(database_url) is None  # migrated to head
    name = f"timpora_empty_{uuid.uuid4().hex[:8]}"
    await _admin_execute(postgres_url, f'CREATE DATABASE "{name}"')
    empty = _with_database(postgres_url, name)
    try:
        settings = Settings(DATABASE_URL=empty, TIMPORA_MIGRATE_AT_START=False)
        runtime = Runtime.build(settings, client_id="schema-check")
        with pytest.raises(RuntimeError, match="timpora db upgrade"):
            await runtime.start()  # before any Kafka connection
        await runtime.engine.dispose()
    finally:
        await _admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
