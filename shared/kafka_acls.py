"""Which Kafka principal may do what: the ACLs a secured deployment needs, decided here.

Pure: topics, groups and principals in, ACLs out (``timpora kafka acls`` prints or applies
them). Each service reads the topics it consumes with its own consumer groups and writes
the topics it produces; all of them create missing topics and set the dead letters'
retention at start-up (:func:`shared.topics.ensure_topics`). A source may write one topic,
its own ``reports.raw.<source>``, and nothing else: that is what makes the topic name the
source (ingest never believes a header). Everything not listed is denied, since the broker
runs with ``allow.everyone.if.no.acl.found=false``. The administrator (a super user)
creates users and applies these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from shared import topics

Resource = Literal["TOPIC", "GROUP"]
Pattern = Literal["LITERAL", "PREFIXED"]
Operation = Literal["READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"]


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule, from any host."""

    principal: str  # "User:<name>"
    resource: Resource
    name: str  # with the deployment's topic prefix
    pattern: Pattern
    operation: Operation

    def __str__(self) -> str:
        return f"{self.principal} {self.operation} {self.resource}:{self.pattern}:{self.name}"


RAW = "raw"  # stands for every source's raw topic (prefix reports.raw.)
ALL_TOPICS = "*"  # every topic of the deployment (its prefix)


@dataclass(frozen=True)
class Access:
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    groups: tuple[str, ...]


# What each service consumes (with which groups) and produces; tests/unit/test_kafka_acls.py
# checks it against the subscribers and publishers the services really register.
SERVICES: dict[str, Access] = {
    "ingest": Access(
        reads=(RAW,),
        writes=(topics.REPORTS_NORMALIZED, topics.REPORTS_REJECTED),
        groups=("ingest",),
    ),
    "routing": Access(
        reads=(topics.REPORTS_NORMALIZED, topics.ALERTS_ACKS),
        writes=(topics.ALERTS_ROUTED, topics.REPORTS_REJECTED),
        groups=("routing", "routing-acks"),
    ),
    "notify": Access(
        reads=(topics.ALERTS_ROUTED, topics.ALERTS_ACKS, topics.MEMBERS_STEP_UP),
        writes=(topics.DELIVERIES_EVENTS, topics.ALERTS_ACKS, topics.REPORTS_REJECTED),
        groups=("notify", "notify-acks", "notify-stepup"),
    ),
    # The operators' console and CLI: reads every topic (tail, dead letters, lag) without
    # a consumer group, describes the groups, writes acks and step-up requests, replays
    # dead letters into a source's raw topic.
    "console": Access(
        reads=(ALL_TOPICS,),
        writes=(topics.ALERTS_ACKS, topics.MEMBERS_STEP_UP, RAW),
        groups=(),
    ),
}
DEFAULT_PRINCIPALS = {service: f"timpora-{service}" for service in SERVICES}


def _topic(prefix: str, name: str, principal: str, operation: Operation) -> Acl:
    if name == RAW:
        return Acl(principal, "TOPIC", f"{prefix}{topics.REPORTS_RAW}.", "PREFIXED", operation)
    if name == ALL_TOPICS:
        return _everything(prefix, principal, "TOPIC", operation)
    return Acl(principal, "TOPIC", f"{prefix}{name}", "LITERAL", operation)


def _everything(prefix: str, principal: str, resource: Resource, operation: Operation) -> Acl:
    """Every topic or group of the deployment: its prefix, or Kafka's wildcard without one
    (a prefixed pattern may not be empty)."""
    if prefix:
        return Acl(principal, resource, prefix, "PREFIXED", operation)
    return Acl(principal, resource, "*", "LITERAL", operation)


def service_acls(service: str, user: str, *, prefix: str, sources: Iterable[str]) -> set[Acl]:
    principal = f"User:{user}"
    access = SERVICES[service]
    acls = {_topic(prefix, t, principal, "READ") for t in access.reads}
    acls |= {_topic(prefix, t, principal, "WRITE") for t in access.writes}
    acls |= {Acl(principal, "GROUP", f"{prefix}{g}", "LITERAL", "READ") for g in access.groups}
    # start-up: every service creates the topics that are missing and sets retention
    for spec in topics.registry(sources):
        for op in ("DESCRIBE", "CREATE", "DESCRIBE_CONFIGS"):
            acls.add(_topic(prefix, spec.name, principal, op))
    acls.add(_topic(prefix, topics.REPORTS_REJECTED, principal, "ALTER_CONFIGS"))
    if ALL_TOPICS in access.reads:  # lag: committed offsets of every group
        acls.add(_everything(prefix, principal, "GROUP", "DESCRIBE"))
    return acls


def source_acls(source: str, user: str, *, prefix: str) -> set[Acl]:
    """A source writes its own raw topic, nothing else."""
    topic = f"{prefix}{topics.raw_topic(source)}"
    return {Acl(f"User:{user}", "TOPIC", topic, "LITERAL", op) for op in ("WRITE", "DESCRIBE")}


def required_acls(
    *,
    prefix: str,
    sources: Mapping[str, str | None],
    principals: Mapping[str, str] | None = None,
) -> list[Acl]:
    """Every ACL the deployment needs. ``sources``: source -> its Kafka principal (None:
    the source does not write over Kafka, its topic still exists for replays);
    ``principals``: service -> SCRAM user (default ``timpora-<service>``)."""
    users = {**DEFAULT_PRINCIPALS, **(principals or {})}
    acls: set[Acl] = set()
    for service in SERVICES:
        acls |= service_acls(service, users[service], prefix=prefix, sources=sources)
    for source, user in sources.items():
        if user:
            acls |= source_acls(source, user, prefix=prefix)
    return sorted(acls)
