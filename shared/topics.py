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
) -> list[str]:
    """Create the registry's topics (with the raw topics of ``sources``) that do not exist
    yet; return the names created. Topics whose retention a setting overrides get it,
    existing ones too."""
    specs = registry(sources)
    admin = AIOKafkaAdminClient(**admin_options(kafka))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        overridden = [
            ConfigResource(
                ConfigResourceType.TOPIC,
                prefix + spec.name,
                {"retention.ms": str(retention_ms(spec, retention))},
            )
            for spec in specs
            if retention and spec.name in retention and prefix + spec.name in existing
        ]
        if overridden:  # the topics have no other config of ours: the set replaces it
            await admin.alter_configs(overridden)
        wanted = [
            NewTopic(
                name=prefix + spec.name,
                num_partitions=spec.partitions or partitions,
                replication_factor=1,
                topic_configs={"retention.ms": str(retention_ms(spec, retention))},
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
