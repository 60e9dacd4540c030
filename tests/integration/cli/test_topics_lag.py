"""``timpora topics list`` and ``timpora lag``: topic metadata and consumer-group lag."""

from __future__ import annotations

import json

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from typer.testing import CliRunner

from shared import topics
from shared.settings import Settings
from tests.kafkautil import DEV_SOURCES, RAW

from .conftest import invoke, publish, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


# --------------------------------------------------------------------------- topics


def test_topics_list_json(cli: CliRunner, kafka_settings: Settings) -> None:
    sync(publish(kafka_settings, RAW, b"{}"))
    rows = json.loads(invoke(cli, "topics", "list", "--json").output)
    registry = topics.registry(DEV_SOURCES)
    assert [r["topic"] for r in rows] == [kafka_settings.topic(t.name) for t in registry]
    # six of the system, one raw topic per source of the key file
    assert len(rows) == 6 + len(DEV_SOURCES) == 12
    assert all(r["partitions"] == 3 for r in rows)
    by_name = {r["topic"]: r for r in rows}
    assert by_name[kafka_settings.topic(RAW)]["messages"] == 1
    assert by_name[kafka_settings.topic(topics.ALERTS_ROUTED)]["messages"] == 0
    assert by_name[kafka_settings.topic(topics.REPORTS_REJECTED)]["retention_days"] == 30
    # step-up requests outlive their codes by little: an hour, not zero days
    assert by_name[kafka_settings.topic(topics.MEMBERS_STEP_UP)]["retention_hours"] == 1
    assert all(r["description"] for r in rows)


def test_topics_list_table(cli: CliRunner, kafka_settings: Settings) -> None:
    result = invoke(cli, "topics", "list")
    assert kafka_settings.topic(topics.ALERTS_ROUTED) in result.output
    assert "partitions" in result.output


# --------------------------------------------------------------------------- lag


async def commit_group(settings: Settings, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        parts = {TopicPartition(settings.topic(topic), p): o for p, o in offsets.items()}
        consumer.assign(list(parts))
        await consumer.commit(parts)
    finally:
        await consumer.stop()


def test_lag_json_after_a_group_committed(cli: CliRunner, kafka_settings: Settings) -> None:
    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for i in range(5):
                await producer.send_and_wait(kafka_settings.topic(RAW), b"x%d" % i, partition=0)
            await producer.send_and_wait(kafka_settings.topic(RAW), b"y", partition=1)
        finally:
            await producer.stop()

    sync(produce())
    group = kafka_settings.group("ingest")
    sync(commit_group(kafka_settings, group, RAW, {0: 2, 1: 1}))

    rows = json.loads(invoke(cli, "lag", "--group", group, "--json").output)
    assert {(r["partition"], r["committed"], r["end"], r["lag"]) for r in rows} == {
        (0, 2, 5, 3),
        (1, 1, 1, 0),
    }
    assert {r["group"] for r in rows} == {group}
    assert {r["topic"] for r in rows} == {kafka_settings.topic(RAW)}

    table = invoke(cli, "lag", "--group", group)
    assert group in table.output
    nobody = json.loads(invoke(cli, "lag", "--group", group + "-none", "--json").output)
    assert nobody == []


async def _broker_retention(settings: Settings, topic: str) -> str:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic, {"retention.ms": None})
        [response] = await admin.describe_configs([resource])
        [(*_, entries)] = response.resources
        return next(str(e[1]) for e in entries if e[0] == "retention.ms")
    finally:
        await admin.close()


def test_the_dead_letter_retention_is_a_setting_applied_to_the_topic(
    cli: CliRunner, kafka_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#17 item 6: how long dead letters (with the failing records' personal data) stay
    is configurable, and an existing topic gets the new value."""
    dead = kafka_settings.topic(topics.REPORTS_REJECTED)
    assert sync(_broker_retention(kafka_settings, dead)) == str(30 * topics.DAY_MS)
    monkeypatch.setenv("TIMPORA_DEADLETTER_RETENTION_DAYS", "5")
    invoke(cli, "topics", "create")
    assert sync(_broker_retention(kafka_settings, dead)) == str(5 * topics.DAY_MS)
    rows = json.loads(invoke(cli, "topics", "list", "--json").output)
    assert {r["topic"]: r["retention_days"] for r in rows}[dead] == 5
    raw = kafka_settings.topic(RAW)  # the others keep the registry's
    assert sync(_broker_retention(kafka_settings, raw)) == str(7 * topics.DAY_MS)
