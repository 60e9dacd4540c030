"""Kafka for the local stack: one KRaft node (broker and controller) from Maven's jars.

The official broker jars (``org.apache.kafka:kafka_2.13`` plus all its runtime dependencies
and the log4j2 SLF4J binding) are fetched from Maven Central by ``mvn`` once into
``${XDG_CACHE_HOME:-~/.cache}/timpora/kafka-<version>/libs``. The node keeps its config, data
and ``broker.log`` in ``.stack/kafka``. ``up`` returns only once the broker answers a real
ApiVersions request (:func:`kafka_probe`), not merely when its port is open.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from .common import (
    CACHE,
    START_MARK,
    STATE,
    StackError,
    alive,
    all_pids,
    apt_install,
    cmdline,
    port_in_use,
    rotate,
    run,
    say,
    stop_process,
    tail_file,
)

KAFKA_VERSION = "4.4.0"  # newest 4.x on Maven Central (Nov 2026)
LOG4J_VERSION = "2.25.5"  # the log4j-core that kafka 4.4.0 depends on; the binding must match
DEPENDENCY_PLUGIN = "3.8.1"  # pinned so every machine resolves the jars the same way
KAFKA_HOME = STATE / "kafka"

# --- Kafka: jars --------------------------------------------------------------------------

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.timpora</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version></dependency>
    <!-- Kafka logs through SLF4J 1.7 and ships log4j-core; this binding joins the two. -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId>
    <version>{plugin}</version>
  </plugin></plugins></build>
</project>
"""


def java_major() -> int:
    out = run(["java", "-version"], what="java -version").stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major  # "1.8" means Java 8


def ensure_java(need_maven: bool) -> None:
    missing = [tool for tool in ("java", "mvn") if not shutil.which(tool)]
    if "java" in missing or (need_maven and "mvn" in missing):
        apt_install("openjdk-17-jre-headless", *(["maven"] if need_maven else []))
    if java_major() < 17:
        raise StackError("Kafka 4 needs Java 17 or newer (`java -version`)")


def kafka_libs() -> Path:
    """The broker's jars, downloaded once; a marker file says the copy is complete."""
    home = CACHE / f"kafka-{KAFKA_VERSION}"
    libs, marker = home / "libs", home / "complete"
    stamp = f"org.apache.kafka:kafka_2.13:{KAFKA_VERSION} log4j-slf4j-impl:{LOG4J_VERSION}\n"
    if marker.is_file() and marker.read_text() == stamp and libs.is_dir():
        ensure_java(need_maven=False)
        return libs
    ensure_java(need_maven=True)
    say(f"downloading Kafka {KAFKA_VERSION} jars from Maven Central (first run only)...")
    started = time.monotonic()
    partial = home / "libs.partial"  # renamed into place only when mvn succeeded
    for stale in (partial, libs):
        shutil.rmtree(stale, ignore_errors=True)
    marker.unlink(missing_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pom = POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION, plugin=DEPENDENCY_PLUGIN)
        (Path(tmp) / "pom.xml").write_text(pom)
        run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={partial}",
                "-DincludeScope=runtime",
            ],
            what="mvn dependency:copy-dependencies",
            cwd=tmp,
        )
    partial.rename(libs)
    marker.write_text(stamp)
    jars = len(list(libs.glob("*.jar")))
    say(f"{jars} jars in {libs} ({time.monotonic() - started:.1f}s)")
    return libs


# --- Kafka: protocol probe ----------------------------------------------------------------


def kafka_probe(port: int, timeout: float = 2.0) -> int | None:
    """Send a Kafka ApiVersions v0 request; the number of APIs offered, or None.

    A listening socket is not enough: KRaft brokers bind early but only process requests
    once they caught up with the metadata log and were unfenced, i.e. are really usable.
    """
    correlation_id = 0x5A5A
    client = b"timpora-stack"
    header = struct.pack(">hhih", 18, 0, correlation_id, len(client)) + client  # ApiVersions
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(header)) + header)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            if not 6 <= size <= 1 << 20:
                return None
            body = _recv_exact(sock, size)
    except OSError:
        return None
    # response: correlation_id int32, error_code int16, [api_key int16, min int16, max int16]
    got_id, error = struct.unpack(">ih", body[:6])
    if got_id != correlation_id or error != 0 or len(body) < 10:
        return None
    (count,) = struct.unpack(">i", body[6:10])
    return count if count > 0 and len(body) >= 10 + 6 * count else None


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        data += chunk
    return bytes(data)


# --- Kafka: broker ------------------------------------------------------------------------

LOG4J2 = """Configuration:
  # Kafka logs its own shutdown from a JVM shutdown hook; log4j2's hook would cut it off.
  shutdownHook: disable
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      # Tests create and delete many topics; per-partition chatter would drown the rest.
      - {name: state.change.logger, level: WARN}
      - {name: kafka.cluster.Partition, level: WARN}
      - {name: kafka.log.LogManager, level: WARN}
      - {name: org.apache.kafka.storage.internals.log, level: WARN}
      - {name: org.apache.kafka.controller.ReplicationControlManager, level: WARN}
      - {name: org.apache.kafka.controller.ConfigurationControlManager, level: WARN}
      - {name: kafka.server.metadata.DynamicConfigPublisher, level: WARN}
      # Full config dumps at every start.
      - {name: kafka.server.KafkaConfig, level: WARN}
      - {name: org.apache.kafka.common.config.AbstractConfig, level: WARN}
"""


def kafka_properties(port: int) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static voter set (not `format --standalone`): the stored metadata then holds no
        # controller address, so changing --kafka-port needs no re-format.
        "controller.quorum.voters": f"1@127.0.0.1:{port + 1}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{port + 1}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(KAFKA_HOME / "data"),
        # Like production: topics are created explicitly, never by a typo.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Single node: internal topics cannot have more replicas than brokers.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Consumers in tests join one at a time; do not wait 3 s for more.
        "group.initial.rebalance.delay.ms": "0",
        # Development data: a few days and 1 GiB per partition is plenty.
        "log.retention.hours": "72",
        "log.retention.bytes": str(1 << 30),
        "log.segment.bytes": str(64 << 20),
        "log.retention.check.interval.ms": "300000",
        "num.network.threads": "3",
        "num.io.threads": "4",
    }
    lines = ["# Written by scripts/stack.py on every `up`; see scripts/stackctl/kafka.py."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def configured_kafka_port() -> int | None:
    """The port the current server.properties (maybe of a running broker) listens on."""
    try:
        text = (KAFKA_HOME / "server.properties").read_text()
    except OSError:
        return None
    match = re.search(r"^listeners=PLAINTEXT://[^:]+:(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def kafka_pid() -> int | None:
    """The broker started from this state dir, even if its pid file is stale or lost."""
    config = str(KAFKA_HOME / "server.properties")
    pid_file = KAFKA_HOME / "broker.pid"

    def is_ours(pid: int) -> bool:
        args = cmdline(pid)
        return "kafka.Kafka" in args and config in args and alive(pid)

    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text())
        if is_ours(pid):
            return pid
    for pid in all_pids():  # pid file missing, or pointing at a dead / reused pid
        if is_ours(pid):
            pid_file.write_text(f"{pid}\n")
            return pid
    pid_file.unlink(missing_ok=True)
    return None


def java_command(libs: Path) -> list[str]:
    return [
        "java",
        "-Xms256m",
        "-Xmx1G",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={KAFKA_HOME / 'log4j2.yaml'}",
        "-cp",
        f"{libs}/*",
    ]


def new_cluster_id() -> str:
    """A Kafka-style base64url UUID; one starting with '-' would be read as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def format_storage(libs: Path) -> None:
    """`kafka-storage.sh format` once; meta.properties marks a formatted log dir."""
    data = KAFKA_HOME / "data"
    if (data / "meta.properties").exists():
        return
    shutil.rmtree(data, ignore_errors=True)
    say("formatting Kafka storage (KRaft, first run only)")
    run(
        [
            *java_command(libs),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            new_cluster_id(),
            "--config",
            str(KAFKA_HOME / "server.properties"),
        ],
        what="kafka storage format",
    )


def kafka_up(port: int) -> None:
    if kafka_probe(port):
        pid = kafka_pid()
        owner = f"pid {pid}" if pid else "not started from this state dir"
        say(f"kafka already serving on 127.0.0.1:{port} ({owner})")
        return
    pid = kafka_pid()
    if pid and configured_kafka_port() == port:
        # Ours and meant for this port: most likely still starting (or just hung).
        say(f"kafka (pid {pid}) is not serving yet; waiting for it...")
        if wait_for_kafka(port, pid, timeout=60, fail=False):
            return
        stop_process(pid, "unresponsive kafka", timeout=20)
    elif pid:
        say(f"kafka (pid {pid}) runs on port {configured_kafka_port()}; restarting on {port}")
        stop_process(pid, "kafka", timeout=30)
    for busy in (port, port + 1):
        if port_in_use(busy):
            raise StackError(
                f"127.0.0.1:{busy} is taken by something that is not a Kafka broker from "
                f"{KAFKA_HOME}; see `ss -ltnp 'sport = :{busy}'` or choose --kafka-port"
            )
    libs = kafka_libs()
    KAFKA_HOME.mkdir(parents=True, exist_ok=True)
    (KAFKA_HOME / "log4j2.yaml").write_text(LOG4J2)
    (KAFKA_HOME / "server.properties").write_text(kafka_properties(port))
    format_storage(libs)
    log = KAFKA_HOME / "broker.log"
    rotate(log)
    with log.open("ab") as out:
        out.write(f"{START_MARK} at {time.strftime('%Y-%m-%d %H:%M:%S')} ====\n".encode())
        out.flush()
        broker = subprocess.Popen(
            [*java_command(libs), "kafka.Kafka", str(KAFKA_HOME / "server.properties")],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=KAFKA_HOME,
            start_new_session=True,  # own process group: survives this script, and Ctrl-C
        )
    (KAFKA_HOME / "broker.pid").write_text(f"{broker.pid}\n")
    say(f"starting kafka {KAFKA_VERSION} (pid {broker.pid}, log {log})")
    wait_for_kafka(port, broker.pid, timeout=120, fail=True)


def wait_for_kafka(port: int, pid: int, timeout: float, fail: bool) -> bool:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if kafka_probe(port, timeout=1.0):
            say(f"kafka ready on 127.0.0.1:{port} ({time.monotonic() - started:.1f}s)")
            return True
        if not alive(pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it was our child
            raise StackError(
                f"kafka exited during startup; last lines of {KAFKA_HOME / 'broker.log'}:\n"
                + tail_file(KAFKA_HOME / "broker.log")
            )
        time.sleep(0.25)
    if fail:
        raise StackError(
            f"kafka did not serve on 127.0.0.1:{port} within {timeout:.0f}s; last lines of "
            f"{KAFKA_HOME / 'broker.log'}:\n" + tail_file(KAFKA_HOME / "broker.log")
        )
    return False


def kafka_down() -> None:
    pid = kafka_pid()
    if pid is None:
        say("kafka not running")
        return
    stop_process(pid, "kafka", timeout=30)  # SIGTERM = controlled shutdown, a few seconds
    (KAFKA_HOME / "broker.pid").unlink(missing_ok=True)
