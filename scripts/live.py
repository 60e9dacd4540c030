"""Run the whole system on this machine: stack, schema, seed teams, the three services.

Started by ``scripts/run``. Each service runs as its own process (as in production) with
logs in ``.stack/logs/``; Ctrl-C (or SIGTERM) stops every process started here.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".stack" / "logs"
SERVICES = ("ingest_service", "routing_service", "notify_service")


def say(text: str) -> None:
    print(f"[run] {text}", flush=True)


def stack_env(database: str) -> dict[str, str]:
    subprocess.run([sys.executable, "scripts/stack.py", "up"], cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "scripts/stack.py", "env"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'\"")
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{ROOT / '.stack' / 'timpora.db'}"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="scripts/run",
        description="Start Kafka, the database and the three Timpora services locally.",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite" if "DATABASE_URL" not in os.environ else "env",
        help="sqlite (embedded, default) or the local PostgreSQL; DATABASE_URL wins if set",
    )
    args = parser.parse_args()
    env = os.environ.copy() if args.database == "env" else stack_env(args.database)
    LOGS.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "shared.cli"]
    say(f"database {env['DATABASE_URL'].split('@')[-1]}")
    subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    subprocess.run([*cli, "topics", "create"], cwd=ROOT, env=env, check=True)
    subprocess.run([*cli, "teams", "import", "config/teams.yaml"], cwd=ROOT, env=env, check=True)
    procs: list[subprocess.Popen[bytes]] = []
    for service in SERVICES:
        log = (LOGS / f"{service}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", service], cwd=ROOT, env=env, stdout=log, stderr=log
            )
        )
        say(f"{service} started (pid {procs[-1].pid}, log {LOGS / (service + '.log')})")
    say("ingest API http://127.0.0.1:8081/docs · notify http://127.0.0.1:8083 · Ctrl-C stops")

    def stop(*_: object) -> None:
        say("stopping services")
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=25)
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        for p, service in zip(procs, SERVICES, strict=True):
            if p.poll() is not None:
                say(f"{service} exited with {p.returncode}; see its log")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
