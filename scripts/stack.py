#!/usr/bin/env python3
"""Local stack for development, tests and CI: a real Apache Kafka broker and PostgreSQL
(and Debian's Chromium for the console's browser tests, installed by ``up``).

Standard library only, so it runs with the system python3 before the project's virtualenv
exists. Every command is idempotent and safe to repeat.

  python3 scripts/stack.py up [--only kafka|postgres|chromium]
                                                         start what is not running, wait until
                                                         it really serves requests
  python3 scripts/stack.py down [--only ...]            stop cleanly (no-op when nothing runs)
  python3 scripts/stack.py status [--only ...]          what runs where (exit 3 if not all up)
  python3 scripts/stack.py env                          eval "$(python3 scripts/stack.py env)"

Ports: --kafka-port / TIMPORA_KAFKA_PORT (default 9092; the KRaft controller listens on the
next port) and --pg-port / TIMPORA_PG_PORT (default 55432). Everything listens on 127.0.0.1.

This file is the command line; the work is in the ``stackctl`` package next to it, split by
what it starts: ``stackctl/kafka.py`` (jars from Maven Central, one KRaft node in
``.stack/kafka``) and ``stackctl/postgres.py`` (Debian's server, a cluster in
``.stack/postgres`` or ``/var/tmp/timpora-pg-<port>``), with ``stackctl/common.py`` for the
helpers both use. Their docstrings say where everything lives.

TIMPORA_STACK_DIR moves the state directory (default: ``.stack`` in the project).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

# The package next to this file, also under `python3 -P` / -I or PYTHONSAFEPATH (which do
# not put a script's directory on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stackctl.browser import browser_up
from stackctl.common import StackError, port_in_use, say, stack_lock
from stackctl.kafka import (
    KAFKA_HOME,
    KAFKA_VERSION,
    kafka_down,
    kafka_pid,
    kafka_probe,
    kafka_up,
)
from stackctl.postgres import (
    database_url,
    find_pg_bindir,
    pg_down,
    pg_ready,
    pg_running,
    pg_up,
)


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
          Kafka {KAFKA_VERSION} jars (Maven Central) and installs PostgreSQL and Chromium
          (apt) if needed.
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
    parser.add_argument(
        "--only",
        choices=["kafka", "postgres", "chromium"],
        help="act on one part (chromium: the browser tests' Debian Chromium, installed by up)",
    )
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
    browser = args.only in (None, "chromium")
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
            if browser:
                say(f"chromium {browser_up()}")
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
