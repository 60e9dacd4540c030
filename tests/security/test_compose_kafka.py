"""docker-compose.yml's Kafka, run as compose would run it but without Docker (none here):
its three nodes, ``deploy/kafka/start-kafka.sh`` each, in a private network and mount
namespace with the project's Kafka jars (tests/deploy/compose_kafka_inside.sh). Then, as
compose's kafka-setup does, ``timpora topics create`` (replication 3, min ISR 2) and
``timpora kafka acls --apply`` as the administrator, and the check that a client without
credentials is refused, a source writes only its own topic and each service the topics it
produces (``WANTED`` in tests/deploy/compose_kafka_check.py); then node 3 is killed
(SIGKILL, its pid gone and its port closed) and every partition of reports.normalized,
those it led included, still takes acks=all writes from two replicas. What differs from
compose: Kafka 4.4's jars instead of the apache/kafka image (the same settings), the
image's launch scripts replaced by two one-line wrappers, the three nodes on three
loopback addresses of one namespace instead of three containers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = str(ROOT / "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
from stackctl.kafka import KAFKA_HOME, kafka_libs  # noqa: E402  (after the sys.path line)

pytestmark = pytest.mark.kafka
MOUNTS = ("/opt/kafka", "/run/secrets", "/var/lib/kafka")  # private tmpfs in the namespace


def test_the_compose_files_kafka_refuses_strangers_and_keeps_sources_apart(
    tmp_path: Path,
) -> None:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail("needs root and unshare(1) to give the broker its own network and mounts")
    assert (KAFKA_HOME / "log4j2.yaml").is_file(), "run scripts/stack.py up first"
    for mount in MOUNTS:
        Path(mount).mkdir(parents=True, exist_ok=True)  # empty mount points on the host
    env = {
        **os.environ,
        "WORK": str(tmp_path),
        "ROOT": str(ROOT),
        "KAFKA_LIBS": str(kafka_libs()),
        "PYTHONPATH": str(ROOT),
    }
    for name in list(env):
        if name.startswith(("KAFKA_SASL", "TIMPORA_TOPIC", "KAFKA_SECURITY")):
            env.pop(name)
    inside = ROOT / "tests" / "deploy" / "compose_kafka_inside.sh"
    run = subprocess.run(
        ["unshare", "--net", "--mount", "--fork", "bash", str(inside)],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    logs = sorted(tmp_path.glob("broker-*.log"))
    log = "".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in logs)
    assert run.returncode == 0, run.stdout + run.stderr + log
    print(run.stdout)
    assert "PLAINTEXT client refused" in run.stdout
    assert "applied" in run.stdout + run.stderr
    assert "replicas per partition {3}, min.insync.replicas {'2'}" in run.stdout
    assert "node 3 killed: pid gone True, port closed True" in run.stdout
    assert "with node 3 down: acks=all writes to partitions [0, 1, 2, 3, 4, 5]" in run.stdout
