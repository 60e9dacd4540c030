#!/usr/bin/env python3
"""Local stack for development, tests and CI: a real Apache Kafka broker and PostgreSQL.

Standard library only, so it runs with the system python3 before the project's virtualenv
exists. Every command is idempotent and safe to repeat.

  python3 scripts/stack.py up [--only kafka|postgres]   start what is not running, wait until
                                                         it really serves requests
  python3 scripts/stack.py down [--only ...]            stop cleanly (no-op when nothing runs)
  python3 scripts/stack.py status [--only ...]          what runs where (exit 3 if not all up)
  python3 scripts/stack.py env                          eval "$(python3 scripts/stack.py env)"

Ports: --kafka-port / TIMPORA_KAFKA_PORT (default 9092; the KRaft controller listens on the
next port) and --pg-port / TIMPORA_PG_PORT (default 55432). Everything listens on 127.0.0.1.

Kafka: the official broker jars (``org.apache.kafka:kafka_2.13`` plus all its runtime
dependencies and the log4j2 SLF4J binding) are fetched from Maven Central by ``mvn`` once into
``${XDG_CACHE_HOME:-~/.cache}/timpora/kafka-<version>/libs``. One KRaft node (broker and
controller) keeps its config, data and ``broker.log`` in ``.stack/kafka``.

PostgreSQL: Debian's server (``apt-get install postgresql`` when no server binaries are found)
runs as the ``postgres`` OS user when this script runs as root (PostgreSQL refuses to run as
root), else as the current user. Its cluster lives in ``.stack/postgres/data``, or in
``/var/tmp/timpora-pg-<port>`` when the ``postgres`` user cannot traverse to ``.stack`` (e.g. a
project under a private home directory) or the socket path would be too long. It serves
``postgresql+asyncpg://timpora:timpora@127.0.0.1:<port>/timpora`` (role ``timpora`` is a
superuser so tests can create and drop databases).

TIMPORA_STACK_DIR moves the state directory (default: ``.stack`` in the project).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("TIMPORA_STACK_DIR") or ROOT / ".stack").resolve()
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "timpora"

KAFKA_VERSION = "4.4.0"  # newest 4.x on Maven Central (Nov 2026)
LOG4J_VERSION = "2.25.5"  # the log4j-core that kafka 4.4.0 depends on; the binding must match
DEPENDENCY_PLUGIN = "3.8.1"  # pinned so every machine resolves the jars the same way
KAFKA_HOME = STATE / "kafka"

PG_OS_USER = "postgres"
PG_ROLE = PG_DB = "timpora"
PG_PASSWORD = "timpora"  # noqa: S105 - a local throwaway development database
PG_MAX_SOCKET_PATH = 100  # Linux limits a unix socket path to 107 bytes

LOG_ROTATE_BYTES = 20 * 1024 * 1024


class StackError(Exception):
    """A failure to report on stderr (without a traceback) before exiting non-zero."""


def say(text: str) -> None:
    """Progress goes to stderr so that stdout stays clean for `env`."""
    print(f"[stack] {text}", file=sys.stderr, flush=True)


# --- small process and file helpers ------------------------------------------------------


def run(args: list[str], *, what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise StackError with its output (mvn -q prints errors)."""
    result = subprocess.run(args, text=True, capture_output=True, check=False, **kwargs)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise StackError(f"{what} failed (exit {result.returncode}):\n{tail_text(output, 40)}")
    return result


def tail_text(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


START_MARK = "==== scripts/stack.py starts the broker"


def tail_file(path: Path, lines: int = 30) -> str:
    """The last lines of a log, limited to the latest broker start when it is marked."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} is missing)"
    if START_MARK in text:
        text = text.rpartition(START_MARK)[2].partition("\n")[2]
    return tail_text(text, lines)


def rotate(log: Path) -> None:
    """Keep one previous log so a long-lived dev stack does not fill the disk."""
    with contextlib.suppress(OSError):
        if log.stat().st_size > LOG_ROTATE_BYTES:
            log.replace(log.with_name(log.name + ".1"))


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return Path(f"/proc/{pid}").exists() and _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def all_pids() -> Iterator[int]:
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def stop_process(pid: int, name: str, timeout: float) -> None:
    """SIGTERM (the whole process group when it leads one), wait, then SIGKILL."""
    try:
        group = os.getpgid(pid) == pid
        (os.killpg if group else os.kill)(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not alive(pid):
            say(f"{name} stopped ({time.monotonic() - started:.1f}s)")
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    say(f"{name} did not stop within {timeout:.0f}s: killed")


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


_apt_updated = False


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only); `apt-get update` once per run."""
    global _apt_updated
    if os.geteuid() != 0:
        raise StackError(
            f"missing {' '.join(packages)}: run `sudo apt-get install {' '.join(packages)}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        run(["apt-get", "update", "-q"], what="apt-get update", env=env)
        _apt_updated = True
    say(f"installing {' '.join(packages)} with apt-get (first run only)...")
    run(["apt-get", "install", "-y", "-q", *packages], what="apt-get install", env=env)


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """Serialise `up`/`down` (e.g. parallel CI jobs) so two brokers never race for one dir."""
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another stack.py is running; waiting for it...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


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
    lines = ["# Written by scripts/stack.py on every `up`; change kafka_properties() there."]
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


# --- PostgreSQL ---------------------------------------------------------------------------

PG_TOOLS = ("initdb", "pg_ctl", "postgres", "pg_isready", "psql")


def find_pg_bindir() -> Path | None:
    """Server binaries: pg_ctl on PATH (if it is the real one, not a wrapper) or Debian's."""
    candidates = []
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).resolve().parent)
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: _version_key(p.parent.name), reverse=True)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in PG_TOOLS):
            return bindir
    return None


def pg_bindir() -> Path:
    """Server binaries, installed with apt on first use."""
    if bindir := find_pg_bindir():
        return bindir
    apt_install("postgresql")
    if bindir := find_pg_bindir():
        return bindir
    raise StackError("no PostgreSQL server binaries after `apt-get install postgresql`")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def pg_user() -> str | None:
    """The OS user that runs the server: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_OS_USER)
    except KeyError:
        say(f"creating system user {PG_OS_USER}")
        run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--home-dir",
                "/var/lib/postgresql",
                "--shell",
                "/bin/bash",
                PG_OS_USER,
            ],
            what="useradd postgres",
        )
    return PG_OS_USER


def as_pg(args: list[str]) -> list[str]:
    user = pg_user()
    return ["runuser", "-u", user, "--", *args] if user else args


def pg_fallback_home(port: int) -> Path:
    return Path(f"/var/tmp/timpora-pg-{port}")


def pg_home_owner(home: Path) -> Path | None:
    """The state dir a cluster home belongs to (a /var/tmp home is shared by checkouts)."""
    try:
        return Path((home / "stack-dir").read_text().strip())
    except OSError:
        # Written since this file exists; before, only the project's own .stack used /var/tmp.
        return ROOT / ".stack" if (home / "data" / "PG_VERSION").exists() else None


def pg_home(port: int) -> Path:
    """Where the cluster (data/) and its unix socket live; see the module docstring."""
    preferred = STATE / "postgres"
    socket_path = preferred / f".s.PGSQL.{port}.lock"
    if len(str(socket_path)) <= PG_MAX_SOCKET_PATH:
        STATE.mkdir(parents=True, exist_ok=True)
        reachable = subprocess.run(as_pg(["test", "-x", str(STATE)]), check=False)
        if reachable.returncode == 0:
            return preferred
    fallback = pg_fallback_home(port)
    if pg_home_owner(fallback) not in (None, STATE):
        raise StackError(
            f"{fallback} belongs to {pg_home_owner(fallback)}; choose another --pg-port"
        )
    return fallback


def pg_homes(port: int) -> list[Path]:
    """Every home of ours to look for a running cluster (also one from an older layout)."""
    homes = [STATE / "postgres"]
    if pg_home_owner(pg_fallback_home(port)) == STATE:
        homes.append(pg_fallback_home(port))
    return homes


class Cluster(NamedTuple):
    data: Path
    pid: int
    port: int


def postmaster(data: Path) -> Cluster | None:
    """The live server of a data dir, from its postmaster.pid (pid, data dir, ..., port)."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    args = cmdline(pid)
    if args and alive(pid) and Path(args[0]).name == "postgres":
        return Cluster(data, pid, port)
    return None


def pg_running(port: int) -> Cluster | None:
    """Our running cluster (on whatever port it was started)."""
    for home in pg_homes(port):
        if cluster := postmaster(home / "data"):
            return cluster
    return None


def clear_stale_locks(home: Path) -> None:
    """After a kill -9: kill orphaned backends, remove lock files of the dead server.

    PostgreSQL refuses to start while orphaned backends (whose cwd is the data dir) still
    hold the old shared memory, and it takes a lock file (postmaster.pid, the socket's
    .lock) as in use while its pid exists, which includes a reused pid or a zombie that
    nobody reaped (containers whose init does not reap orphans).
    """
    data = home / "data"
    if postmaster(data):
        return
    for pid in all_pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cwd").resolve() == data.resolve() and pid != os.getpid():
                say(f"killing orphaned postgres process {pid}")
                os.kill(pid, signal.SIGKILL)
    for lock in [data / "postmaster.pid", *home.glob(".s.PGSQL.*.lock")]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(lock.read_text().split()[0])
            if not (alive(pid) and Path(cmdline(pid)[0]).name == "postgres"):
                lock.unlink()
                say(f"removed stale {lock.name} (pid {pid} is gone)")


def pg_ready(port: int, bindir: Path) -> bool:
    result = subprocess.run(
        [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"],
        check=False,
    )
    return result.returncode == 0


def pg_settings(port: int, home: Path) -> str:
    return f"""# Written by scripts/stack.py on every `up`; included from postgresql.conf.
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{home}'
max_connections = 200
shared_buffers = 256MB
# Durability settings stay at their defaults: tests see what production sees.
"""


PG_HBA = """# Written by scripts/stack.py at initdb. Local socket: trust (admin by this script);
# TCP: password, so DATABASE_URL is checked for real.
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def pg_write(path: Path, text: str) -> None:
    path.write_text(text)
    if user := pg_user():
        shutil.chown(path, user, user)


def pg_init(bindir: Path, home: Path, port: int) -> Path:
    """Create the home (owned by the server's user) and initdb once; write our settings."""
    data = home / "data"
    home.mkdir(parents=True, exist_ok=True)
    if user := pg_user():
        shutil.chown(home, user, user)
    home.chmod(0o700)
    pg_write(home / "stack-dir", f"{STATE}\n")
    if not (data / "PG_VERSION").exists():
        say(f"initialising a PostgreSQL cluster in {data} (first run only)")
        run(
            as_pg(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            what="initdb",
        )
        pg_write(data / "pg_hba.conf", PG_HBA)
        conf = data / "postgresql.conf"
        pg_write(conf, conf.read_text() + "\ninclude_if_exists = 'timpora.conf'\n")
    pg_write(data / "timpora.conf", pg_settings(port, home))
    return data


def pg_up(port: int) -> None:
    bindir = pg_bindir()
    running = pg_running(port)
    if running and running.port != port:
        say(f"postgres runs on port {running.port}; restarting on {port}")
        pg_stop(bindir, running.data)
        running = None
    if running:
        if not wait_pg_ready(port, bindir, timeout=60):
            raise StackError(
                f"postgres (pid {running.pid}) runs but refuses connections; last lines of "
                f"{running.data.parent / 'server.log'}:\n"
                + tail_file(running.data.parent / "server.log")
            )
        say(f"postgres already serving on 127.0.0.1:{port} (pid {running.pid}, {running.data})")
        home = running.data.parent
    elif port_in_use(port):
        if pg_login_ok(bindir, port):  # e.g. started from another checkout: usable as is
            say(f"postgres already serving on 127.0.0.1:{port} (not started from {STATE})")
            return
        raise StackError(
            f"127.0.0.1:{port} is taken by something that is not our PostgreSQL; "
            f"see `ss -ltnp 'sport = :{port}'` or choose --pg-port"
        )
    else:
        home = pg_home(port)
        pg_start(bindir, home, port)
    ensure_database(bindir, home, port)
    if not pg_login_ok(bindir, port):
        raise StackError(f"cannot log in to {database_url(port)}")


def wait_pg_ready(port: int, bindir: Path, timeout: float) -> bool:
    started = time.monotonic()
    while not pg_ready(port, bindir):
        if time.monotonic() - started > timeout:
            return False
        time.sleep(0.25)
    return True


def pg_start(bindir: Path, home: Path, port: int) -> None:
    data = pg_init(bindir, home, port)
    clear_stale_locks(home)
    log = home / "server.log"
    rotate(log)
    started = time.monotonic()
    result = subprocess.run(
        as_pg([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"]),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not wait_pg_ready(port, bindir, timeout=30):
        raise StackError(
            f"postgres did not start:\n{(result.stdout + result.stderr).strip()}\n"
            f"last lines of {log}:\n{tail_file(log)}"
        )
    say(f"postgres ready on 127.0.0.1:{port} ({time.monotonic() - started:.1f}s, data {data})")


# psql's \gexec runs the generated statement only when the SELECT returned a row.
ENSURE_SQL = """
SELECT 'CREATE ROLE timpora LOGIN SUPERUSER'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'timpora') \\gexec
ALTER ROLE timpora WITH LOGIN PASSWORD 'timpora';
SELECT 'CREATE DATABASE timpora OWNER timpora'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'timpora') \\gexec
"""


def ensure_database(bindir: Path, home: Path, port: int) -> None:
    """Role and database, idempotently, as the superuser over the trusted unix socket."""
    run(
        as_pg(
            [
                str(bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(home),
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ]
        ),
        what="creating role and database",
        input=ENSURE_SQL,
    )


def pg_login_ok(bindir: Path, port: int) -> bool:
    result = subprocess.run(
        [str(bindir / "psql"), "-X", "-tAc", "SELECT 1", database_url(port, driver="")],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() == "1"


def pg_stop(bindir: Path, data: Path) -> None:
    started = time.monotonic()
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "stop"]
    if subprocess.run(as_pg([*pg_ctl, "-m", "fast"]), capture_output=True, check=False).returncode:
        say("fast shutdown failed; using immediate shutdown")
        run(as_pg([*pg_ctl, "-m", "immediate"]), what="pg_ctl stop -m immediate")
    say(f"postgres stopped ({time.monotonic() - started:.1f}s)")


def pg_down(port: int) -> None:
    running = pg_running(port)
    if running is None:
        say("postgres not running")
        return
    pg_stop(pg_bindir(), running.data)


def database_url(port: int, driver: str = "+asyncpg") -> str:
    return f"postgresql{driver}://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:{port}/{PG_DB}"


# --- commands -----------------------------------------------------------------------------


def status(kafka_port: int, pg_port: int, kafka: bool, pg: bool) -> int:
    all_up = True
    if kafka:
        apis, pid = kafka_probe(kafka_port), kafka_pid()
        all_up &= bool(apis)
        state = (
            f"up    ({apis} APIs" + (f", pid {pid})" if pid else ", not ours)") if apis else "down"
        )
        print(f"kafka     127.0.0.1:{kafka_port:<6} {state}  [{KAFKA_HOME}]")
    if pg:
        running, bindir = pg_running(pg_port), find_pg_bindir()
        serving = bindir is not None and port_in_use(pg_port) and pg_ready(pg_port, bindir)
        all_up &= serving
        where = f"pid {running.pid}, {running.data}" if running else "not ours"
        state = f"up    ({where})" if serving else "down"
        print(f"postgres  127.0.0.1:{pg_port:<6} {state}")
    return 0 if all_up else 3


def env_lines(kafka_port: int, pg_port: int) -> list[str]:
    return [
        f"export KAFKA_BOOTSTRAP_SERVERS={shlex.quote(f'127.0.0.1:{kafka_port}')}",
        f"export DATABASE_URL={shlex.quote(database_url(pg_port))}",
    ]


HELP_EPILOG = f"""commands:
  up      start what is not running, then wait until Kafka answers a real ApiVersions
          request and PostgreSQL accepts the timpora login. The first run downloads the
          Kafka {KAFKA_VERSION} jars (Maven Central) and installs PostgreSQL (apt) if needed.
  down    stop: Kafka with SIGTERM (SIGKILL after 30 s), PostgreSQL with pg_ctl stop -m fast
  status  what runs where; exit status 3 when something is down
  env     export lines for the services and tests:
            eval "$(python3 scripts/stack.py env)"

Kafka: PLAINTEXT on 127.0.0.1:PORT, KRaft controller on PORT+1, state in .stack/kafka
       (broker.log, server.properties), jars in ~/.cache/timpora/kafka-{KAFKA_VERSION}.
PostgreSQL: postgresql+asyncpg://timpora:timpora@127.0.0.1:PORT/timpora, cluster in
       .stack/postgres (or /var/tmp/timpora-pg-PORT), run as the postgres OS user.
Environment: TIMPORA_KAFKA_PORT, TIMPORA_PG_PORT, TIMPORA_STACK_DIR, XDG_CACHE_HOME.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="stack.py",
        description="Local Apache Kafka (KRaft, one node) and PostgreSQL for Timpora\n"
        "development, tests and CI. Needs only the system python3, Java 17+ and Maven.",
        epilog=HELP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("--only", choices=["kafka", "postgres"], help="act on one service")
    parser.add_argument(
        "--kafka-port",
        type=int,
        default=int(os.environ.get("TIMPORA_KAFKA_PORT") or 9092),
        help="Kafka broker port (env TIMPORA_KAFKA_PORT, default 9092)",
    )
    parser.add_argument(
        "--pg-port",
        type=int,
        default=int(os.environ.get("TIMPORA_PG_PORT") or 55432),
        help="PostgreSQL port (env TIMPORA_PG_PORT, default 55432)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kafka, pg = args.only in (None, "kafka"), args.only in (None, "postgres")
    if args.command == "env":
        print("\n".join(env_lines(args.kafka_port, args.pg_port)))
        return 0
    if args.command == "status":
        return status(args.kafka_port, args.pg_port, kafka, pg)
    with stack_lock():
        if args.command == "up":
            if kafka:
                kafka_up(args.kafka_port)
            if pg:
                pg_up(args.pg_port)
                say(f"DATABASE_URL={database_url(args.pg_port)}")
        else:
            if kafka:
                kafka_down()
            if pg:
                pg_down(args.pg_port)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except StackError as error:
        print(f"[stack] error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
