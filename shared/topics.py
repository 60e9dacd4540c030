"""The topic registry: every topic the system uses, with its partitions and retention.

Broker auto-creation is off; topics are created explicitly by ``timpora topics create``
(or :func:`ensure_topics` at service start-up), so partitions are always what we chose.

Raw input over Kafka has one topic per source, ``reports.raw.<source>``: the topic is
what the broker's ACLs bind to the source's principal, so it names the source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS

REPORTS_RAW = "reports.raw"  # a prefix: each source writes its own reports.raw.<source>
REPORTS_NORMALIZED = "reports.normalized"
REPORTS_REJECTED = "reports.rejected"
ALERTS_ROUTED = "alerts.routed"
ALERTS_ACKS = "alerts.acks"
DELIVERIES_EVENTS = "deliveries.events"
MEMBERS_STEP_UP = "members.stepup"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    description: str
    retention_ms: int = 7 * DAY_MS
    partitions: int | None = None  # None: the configured default


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(REPORTS_NORMALIZED, "Canonical reports, keyed by kecamatan (else kabupaten) code"),
    TopicSpec(REPORTS_REJECTED, "Dead letters: original bytes and the reasons", 30 * DAY_MS),
    TopicSpec(ALERTS_ROUTED, "Alerts for one team each, keyed by team id"),
    TopicSpec(ALERTS_ACKS, "Acknowledgements from any channel, keyed by alert id"),
    TopicSpec(DELIVERIES_EVENTS, "Every delivery attempt and its outcome"),
    TopicSpec(MEMBERS_STEP_UP, "Members asking for a one-time code (no code inside)", HOUR_MS),
)


def raw_topic(source: str) -> str:
    """The topic a source publishes raw input to (only its Kafka principal may write it)."""
    return f"{REPORTS_RAW}.{source}"


def raw_source(topic: str, prefix: str = "") -> str | None:
    """The source whose raw topic ``topic`` (with the deployment's prefix) is, or None."""
    head = f"{prefix}{REPORTS_RAW}."
    if not topic.startswith(head) or topic == head:
        return None
    return topic[len(head) :]


def registry(sources: Iterable[str] = ()) -> tuple[TopicSpec, ...]:
    """Every topic: the fixed ones, then a raw topic per source of the key file."""
    raw = (
        TopicSpec(raw_topic(s), f"Raw input of {s}; format named by the 'format' header")
        for s in sorted(set(sources))
    )
    return (*TOPICS, *raw)


def admin_options(kafka: str | Mapping[str, Any]) -> dict[str, Any]:
    """aiokafka client options: bootstrap servers alone, or the deployment's full set
    (:func:`shared.kafka_clients.client_options`: SASL, TLS)."""
    options = {"bootstrap_servers": kafka} if isinstance(kafka, str) else dict(kafka)
    return {"client_id": "timpora-admin", **options}


METADATA_WAIT_S, METADATA_POLL_S = 10.0, 0.05


def retention_ms(spec: TopicSpec, overrides: Mapping[str, int] | None = None) -> int:
    """The topic's retention: the registry's unless a setting overrides it
    (``Settings.topic_retention``: the dead letters' ``TIMPORA_DEADLETTER_RETENTION_DAYS``)."""
    return (overrides or {}).get(spec.name, spec.retention_ms)


async def ensure_topics(
    kafka: str | Mapping[str, Any],
    *,
    prefix: str = "",
    partitions: int = 6,
    retention: Mapping[str, int] | None = None,
    sources: Iterable[str] = (),
    replication: int = 1,
    min_isr: int | None = None,
) -> list[str]:
    """Create the registry's topics (with the raw topics of ``sources``) that do not exist
    yet, with ``replication`` replicas each; return the names created. Topics whose
    retention a setting overrides get it, existing ones too, and with ``min_isr`` every
    topic gets ``min.insync.replicas`` (an existing topic keeps its replication factor:
    changing it is a partition reassignment, docs/deploy.md)."""
    specs = registry(sources)
    admin = AIOKafkaAdminClient(**admin_options(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        settled = {
            prefix + spec.name: topic_configs(spec, retention, min_isr)
            for spec in specs
            if (min_isr or (retention and spec.name in retention))
            and prefix + spec.name in existing
        }
        drifted = drift(settled, await _current_configs(admin, settled))
        if drifted:  # the topics have no other config of ours: the set replaces it
            responses = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, t, c) for t, c in drifted.items()]
            )
            for response in responses:  # aiokafka returns refusals, it does not raise them
                for code, message, _type, name in response.resources:
                    if code:
                        log.warning("topic %s: config not changed (%s: %s)", name, code, message)
                        drifted.pop(name, None)
            await _until_configured(admin, drifted)
        wanted = [
            NewTopic(
                name=prefix + spec.name,
                num_partitions=spec.partitions or partitions,
                replication_factor=replication,
                topic_configs=topic_configs(spec, retention, min_isr),
            )
            for spec in specs
            if prefix + spec.name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another instance won
                await admin.create_topics(wanted)
            log.info("created topics: %s", ", ".join(t.name for t in wanted))
            await _until_listed(admin, {t.name for t in wanted})
        return [t.name for t in wanted]
    finally:
        await admin.close()


def drift(
    wanted: Mapping[str, Mapping[str, str]], current: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The topics whose configs differ from what the settings want (all of their wanted
    configs, since an alter replaces the set). Only those are altered: a service may
    alter none but the dead letters' topic, the administrator's ``topics create`` any."""
    return {
        topic: dict(configs)
        for topic, configs in wanted.items()
        if any(current.get(topic, {}).get(k) != v for k, v in configs.items())
    }


async def _current_configs(
    admin: AIOKafkaAdminClient, wanted: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The present values (dynamic or default) of the configs ``wanted`` names."""
    if not wanted:
        return {}
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, topic, dict.fromkeys(configs))
        for topic, configs in wanted.items()
    ]
    current: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for _error, _message, _type, name, entries in response.resources:
            current[name] = {entry[0]: str(entry[1]) for entry in entries}
    return current


def topic_configs(
    spec: TopicSpec, retention: Mapping[str, int] | None, min_isr: int | None
) -> dict[str, str]:
    """The topic-level configs we set: retention, and min.insync.replicas when asked."""
    configs = {"retention.ms": str(retention_ms(spec, retention))}
    if min_isr:
        configs["min.insync.replicas"] = str(min_isr)
    return configs


async def _until_configured(
    admin: AIOKafkaAdminClient, altered: Mapping[str, Mapping[str, str]]
) -> None:
    """Return once the broker describes the altered configs (its metadata follows the
    controller's by a moment, as for created topics), so a caller that checks next sees
    them. Bounded; a config still not shown by then is logged, not waited for."""
    for _ in range(int(METADATA_WAIT_S / METADATA_POLL_S)):
        if not altered or not drift(altered, await _current_configs(admin, altered)):
            return
        await asyncio.sleep(METADATA_POLL_S)
    log.warning("topic configs not shown yet: %s", ", ".join(sorted(altered)))


async def _until_listed(admin: AIOKafkaAdminClient, names: set[str]) -> None:
    """Return once the broker's metadata lists ``names``: it can lag the controller's
    commit of a create by a moment (seen under load), and callers use the topics next.
    Kafka has no notification for this: poll, bounded."""
    for _ in range(int(METADATA_WAIT_S / METADATA_POLL_S)):
        if names <= set(await admin.list_topics()):
            return
        await asyncio.sleep(METADATA_POLL_S)
    raise TimeoutError(f"topics not in the broker's metadata: {', '.join(sorted(names))}")


async def partition_counts(kafka: str | Mapping[str, Any], names: list[str]) -> dict[str, int]:
    """Partitions per existing topic (missing topics are left out)."""
    admin = AIOKafkaAdminClient(**admin_options(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in names if n in existing]
        described = await admin.describe_topics(wanted) if wanted else []
        return {d["topic"]: len(d["partitions"]) for d in described if d["error_code"] == 0}
    finally:
        await admin.close()
