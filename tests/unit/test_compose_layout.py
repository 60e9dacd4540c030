"""docker-compose.yml as the reference layout for more than one machine: three Kafka nodes
that form one quorum, every instance reaching all three, two instances of each service
with their own group membership ids and ports, topics replicated 3 with min ISR 2 for
every process alike, and the schema migrated once (what each node's start script then
does with its settings: tests/security/test_compose_kafka.py runs it)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
NODES = {name: s for name, s in SERVICES.items() if s.get("image", "").startswith("apache/kafka")}
OURS = {name: s for name, s in SERVICES.items() if "build" in s}
INSTANCES = {n: s for n, s in OURS.items() if n not in ("kafka-setup", "migrate")}


def test_three_kafka_nodes_form_one_quorum() -> None:
    assert sorted(NODES) == ["kafka-1", "kafka-2", "kafka-3"]
    envs = {name: node["environment"] for name, node in NODES.items()}
    assert sorted(int(e["KAFKA_NODE_ID"]) for e in envs.values()) == [1, 2, 3]
    voters = {e["KAFKA_CONTROLLER_QUORUM_VOTERS"] for e in envs.values()}
    assert len(voters) == 1  # the same list on every node
    expected = {f"{e['KAFKA_NODE_ID']}@{name}:9093" for name, e in envs.items()}
    assert set(voters.pop().split(",")) == expected
    for name, env in envs.items():
        assert env["KAFKA_ADVERTISED_HOST"] == name  # what clients and peers resolve
        assert env["KAFKA_CLUSTER_ID"] == envs["kafka-1"]["KAFKA_CLUSTER_ID"]
        assert NODES[name]["command"] == ["/bin/bash", "/opt/timpora/start-kafka.sh"]
        assert f"--bootstrap-server {name}:9092" in NODES[name]["healthcheck"]["test"][1]
        assert set(NODES[name]["secrets"]) == {"kafka_keystore", "kafka_ca", "kafka_users"}
    data = [v for node in NODES.values() for v in node["volumes"] if "/var/lib/kafka" in v]
    assert len(set(data)) == 3  # a log directory of its own each
    for volume in data:
        assert volume.split(":")[0] in COMPOSE["volumes"]


def test_every_process_reaches_all_three_brokers_with_the_same_topic_settings() -> None:
    hosts = {f"{name}:9092" for name in NODES}
    for name, service in OURS.items():
        env = service["environment"]
        assert set(env["KAFKA_BOOTSTRAP_SERVERS"].split(",")) == hosts, name
        # the same values as kafka-setup's: a service's start-up then alters no topic
        assert env["TIMPORA_TOPIC_REPLICATION"] == "3", name
        assert env["TIMPORA_TOPIC_MIN_ISR"] == "2", name
        assert (
            env["TIMPORA_TOPIC_PARTITIONS"]
            == OURS["kafka-setup"]["environment"]["TIMPORA_TOPIC_PARTITIONS"]
        )
        assert env["TIMPORA_MIGRATE_AT_START"] == "false", name


def test_two_instances_of_each_service_with_their_own_ids_and_ports() -> None:
    kinds = Counter(name.rsplit("-", 1)[0] for name in INSTANCES)
    assert kinds == {"ingest": 2, "routing": 2, "notify": 2, "console": 2}
    ids = [s["environment"].get("TIMPORA_INSTANCE_ID") for s in INSTANCES.values()]
    consumers = [i for n, i in zip(INSTANCES, ids, strict=True) if not n.startswith("console")]
    assert None not in consumers  # static membership: a restart keeps its partitions
    assert len(set(consumers)) == len(consumers)
    host_ports = [p.split(":")[0] for s in INSTANCES.values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)) == 6  # ingest, notify, console: 2 each
    published = {p.split(":")[1] for s in INSTANCES.values() for p in s.get("ports", [])}
    assert published == {"8081", "8083", "8084"}  # internal ports (metrics, docs) stay inside


def test_migrations_and_topics_run_once_before_the_services() -> None:
    assert SERVICES["migrate"]["command"] == ["timpora", "db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    setup = SERVICES["kafka-setup"]["command"][-1]
    assert "timpora topics create" in setup
    assert "timpora kafka acls --apply" in setup
    for name, service in INSTANCES.items():
        assert set(service["depends_on"]) >= {"migrate", "kafka-setup"}, name
