#!/usr/bin/env python3
"""The local stack: a real Apache Kafka broker (KRaft, single node) and PostgreSQL.

Standard library only, so it runs before the project's virtualenv exists.

  python3 scripts/stack.py up [--only kafka|postgres]   start (idempotent), wait until serving
  python3 scripts/stack.py down                          stop both cleanly
  python3 scripts/stack.py status                        what runs where
  python3 scripts/stack.py env                           export lines for eval "$(...)"

Kafka: the official broker jars (``org.apache.kafka:kafka_2.13`` and its runtime
dependencies) come from Maven Central into ``~/.cache/timpora/kafka-<version>/libs`` once;
state lives in ``.stack/kafka``. PostgreSQL: Debian's server (installed with apt when
missing) runs as the ``postgres`` user with its data in ``/var/tmp/timpora-pg-<port>``
(a path that user can always reach). Ports: TIMPORA_KAFKA_PORT (9092), TIMPORA_PG_PORT
(55432); the Kafka controller listens on the Kafka port + 1.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import glob
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".stack"
KAFKA_VERSION = "4.1.1"  # bump together with the cache marker below
LOG4J_VERSION = "2.24.3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "timpora"
PG_USER = "postgres"


def say(text: str) -> None:
    print(f"[stack] {text}", file=sys.stderr, flush=True)


def fail(text: str) -> None:
    print(f"[stack] error: {text}", file=sys.stderr, flush=True)
    sys.exit(1)


# --- Kafka --------------------------------------------------------------------------

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.timpora</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{log4j}</version></dependency>
  </dependencies>
</project>
"""

LOG4J2 = """Configuration:
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
      - name: kafka.server.KafkaConfig
        level: WARN
      - name: org.apache.kafka.common.config.AbstractConfig
        level: WARN
"""


def kafka_libs() -> Path:
    """Download the broker jars once; a marker file says the copy is complete."""
    home = CACHE / f"kafka-{KAFKA_VERSION}"
    libs, marker = home / "libs", home / "complete"
    if marker.exists() and marker.read_text() == f"{KAFKA_VERSION} {LOG4J_VERSION}":
        return libs
    if not shutil.which("mvn") or not shutil.which("java"):
        fail("Java 17 and Maven are needed to fetch and run Kafka (apt-get install maven)")
    say(f"downloading Apache Kafka {KAFKA_VERSION} jars from Maven Central (first run only)...")
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pom.xml").write_text(POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION))
        shutil.rmtree(libs, ignore_errors=True)
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
                "-DincludeScope=runtime",
            ],
            cwd=tmp,
            check=True,
        )
    marker.write_text(f"{KAFKA_VERSION} {LOG4J_VERSION}")
    return libs


def kafka_ready(port: int, timeout: float = 2.0) -> bool:
    """Send a real ApiVersions request (v0) and check the broker answers without error."""
    request = struct.pack(">hhih", 18, 0, 1, 5) + b"stack"  # api key, version, corr id, client
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            header = _recv(sock, 4)
            body = _recv(sock, struct.unpack(">i", header)[0])
    except OSError:
        return False
    correlation, error = struct.unpack(">ih", body[:6])
    return correlation == 1 and error == 0


def _recv(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def kafka_up(port: int) -> None:
    home = STATE / "kafka"
    if kafka_ready(port):
        say(f"kafka already serving on 127.0.0.1:{port}")
        return
    pid = _pid_alive(home / "broker.pid")
    if pid:  # alive but not serving: a broker half-dead from an earlier run
        _stop_pid(pid, "kafka")
    libs = kafka_libs()
    data = home / "data"
    home.mkdir(parents=True, exist_ok=True)
    (home / "log4j2.yaml").write_text(LOG4J2)
    config = home / "server.properties"
    config.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{port + 1}",
                f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{port + 1}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                f"log.dirs={data}",
                "auto.create.topics.enable=false",
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "log.retention.hours=168",
                "log.segment.bytes=104857600",
                "num.network.threads=3",
                "num.io.threads=4",
                "",
            ]
        )
    )
    classpath = f"{libs}/*"
    java = [
        "java",
        "-Xms256m",
        "-Xmx1g",
        f"-Dlog4j2.configurationFile={home / 'log4j2.yaml'}",
        "-cp",
        classpath,
    ]
    if not (data / "meta.properties").exists():
        shutil.rmtree(data, ignore_errors=True)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(
            [
                *java,
                "kafka.tools.StorageTool",
                "format",
                "-t",
                cluster_id,
                "-c",
                str(config),
                "--standalone",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    log = (home / "broker.log").open("ab")
    proc = subprocess.Popen(
        [*java, "kafka.Kafka", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    (home / "broker.pid").write_text(str(proc.pid))
    started = time.monotonic()
    while time.monotonic() - started < 120:
        if proc.poll() is not None:
            fail(f"kafka exited with {proc.returncode}:\n{_tail(home / 'broker.log')}")
        if kafka_ready(port):
            say(
                f"kafka {KAFKA_VERSION} ready on 127.0.0.1:{port} "
                f"({time.monotonic() - started:.1f}s)"
            )
            return
        time.sleep(0.3)
    fail(f"kafka did not serve within 120 s:\n{_tail(home / 'broker.log')}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_pid(pid: int, name: str, timeout: float = 30) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            say(f"{name} stopped")
            return
        time.sleep(0.2)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    say(f"{name} killed after {timeout:.0f}s")


def kafka_down() -> None:
    pid = _pid_alive(STATE / "kafka" / "broker.pid")
    if pid:
        _stop_pid(pid, "kafka")
    else:
        say("kafka not running")


# --- PostgreSQL ---------------------------------------------------------------------


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        say("installing PostgreSQL from apt (first run only)...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        fail("PostgreSQL server binaries not found after apt-get install postgresql")
    return Path(found[-1]).parent


def _as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:
        args = ["runuser", "-u", PG_USER, "--", *args]
    return subprocess.run(args, text=True, **kwargs)  # type: ignore[call-overload]


def pg_dir(port: int) -> Path:
    return Path(f"/var/tmp/timpora-pg-{port}")


def pg_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
    except OSError:
        return False
    result = _as_postgres(
        [str(pg_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
    )
    return result.returncode == 0


def pg_up(port: int) -> None:
    bindir = pg_bin()
    home = pg_dir(port)
    data = home / "data"
    if not pg_ready(port):
        if os.geteuid() == 0:
            if subprocess.run(["id", PG_USER], capture_output=True).returncode != 0:
                subprocess.run(
                    ["useradd", "--system", "--home", "/var/lib/postgresql", PG_USER], check=True
                )
            home.mkdir(parents=True, exist_ok=True)
            shutil.chown(home, PG_USER)
        if not (data / "PG_VERSION").exists():
            say(f"initialising a PostgreSQL cluster in {data}")
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    PG_USER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
                check=True,
                capture_output=True,
            )
        stale = data / "postmaster.pid"
        if stale.exists():  # left by a killed server: pg_ctl refuses to start otherwise
            try:
                os.kill(int(stale.read_text().split()[0]), 0)
            except (OSError, ValueError):
                stale.unlink()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={home} "
            "-c max_connections=300 -c shared_buffers=256MB -c fsync=on"
        )
        started = time.monotonic()
        result = _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(home / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
        )
        if result.returncode != 0 and not pg_ready(port):
            fail(
                f"postgres did not start:\n{result.stdout}{result.stderr}\n"
                + _tail(home / "server.log")
            )
        say(f"postgres ready on 127.0.0.1:{port} ({time.monotonic() - started:.1f}s)")
    else:
        say(f"postgres already serving on 127.0.0.1:{port}")
    psql = [
        str(bindir / "psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        PG_USER,
        "-d",
        "postgres",
        "-tAc",
    ]
    if (
        _as_postgres(
            [*psql, "SELECT 1 FROM pg_roles WHERE rolname='timpora'"], capture_output=True
        ).stdout.strip()
        != "1"
    ):
        _as_postgres(
            [*psql, "CREATE ROLE timpora LOGIN SUPERUSER PASSWORD 'timpora'"],
            check=True,
            capture_output=True,
        )
    if (
        _as_postgres(
            [*psql, "SELECT 1 FROM pg_database WHERE datname='timpora'"], capture_output=True
        ).stdout.strip()
        != "1"
    ):
        _as_postgres(
            [*psql, "CREATE DATABASE timpora OWNER timpora"], check=True, capture_output=True
        )


def pg_down(port: int) -> None:
    data = pg_dir(port) / "data"
    if not (data / "postmaster.pid").exists():
        say("postgres not running")
        return
    _as_postgres(
        [str(pg_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True
    )
    say("postgres stopped")


def database_url(port: int) -> str:
    return f"postgresql+asyncpg://timpora:timpora@127.0.0.1:{port}/timpora"


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Local Kafka (KRaft) + PostgreSQL for Timpora development, tests and CI.",
        epilog='Typical: python3 scripts/stack.py up && eval "$(python3 scripts/stack.py env)"',
    )
    parser.add_argument("command", choices=["up", "down", "status", "env"])
    parser.add_argument("--only", choices=["kafka", "postgres"], help="act on one service only")
    parser.add_argument(
        "--kafka-port", type=int, default=int(os.environ.get("TIMPORA_KAFKA_PORT", "9092"))
    )
    parser.add_argument(
        "--pg-port", type=int, default=int(os.environ.get("TIMPORA_PG_PORT", "55432"))
    )
    args = parser.parse_args()
    kafka, pg = args.only in (None, "kafka"), args.only in (None, "postgres")
    if args.command == "up":
        if kafka:
            kafka_up(args.kafka_port)
        if pg:
            pg_up(args.pg_port)
            say(f"DATABASE_URL={database_url(args.pg_port)}")
    elif args.command == "down":
        if kafka:
            kafka_down()
        if pg:
            pg_down(args.pg_port)
    elif args.command == "status":
        if kafka:
            state = "up" if kafka_ready(args.kafka_port) else "down"
            print(f"kafka    127.0.0.1:{args.kafka_port}  {state}")
        if pg:
            print(
                f"postgres 127.0.0.1:{args.pg_port}  {'up' if pg_ready(args.pg_port) else 'down'}"
            )
    else:
        print(f"export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{args.kafka_port}")
        print(f"export DATABASE_URL={database_url(args.pg_port)}")


if __name__ == "__main__":
    main()
