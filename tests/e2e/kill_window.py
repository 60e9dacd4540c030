"""How many deliveries one ``kill -9`` of a busy notify leaves uncertain.

    eval "$(python3 scripts/stack.py env)"
    uv run --frozen python -m tests.e2e.kill_window [--root OTHER_CHECKOUT] [--reports 300]

Runs the three services of ``--root`` (this checkout by default; an exported older
commit for a "before" figure) on a fresh database and topic prefix, with every fake
provider holding its answers ``--delay`` s (so sends are in flight), feeds the reports,
kills notify with SIGKILL once the providers have received ``--after`` messages, and
counts the rows left ``sending``, how many of those reached a provider, and how many never
did. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import text

from devtools import Sinks
from shared.db import make_engine
from shared.topics import ensure_topics
from tests.e2e.conftest import seed_teams
from tests.e2e.procs import ROOT, SERVICES, Cluster, post_until_accepted, service_env
from tests.kafkautil import DEV_SOURCES, wait_for


async def measure(root: Path, reports: int, after: int, delay: float) -> dict[str, object]:
    server = os.environ["DATABASE_URL"]
    name = f"timpora_kw_{uuid.uuid4().hex[:8]}"
    dsn = server.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = f"{server.rpartition('/')[0]}/{name}"
    migrate = f"from shared.db import migrate_sync; migrate_sync({url!r})"
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", migrate], cwd=root, env=env, check=True)
    await seed_teams(url)
    prefix = f"kw{uuid.uuid4().hex[:8]}."
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    await ensure_topics(bootstrap, prefix=prefix, partitions=3, sources=DEV_SOURCES)
    sinks = await Sinks().start()
    for script in sinks.scripts.values():
        script.delay = delay
    c = Cluster(
        service_env(bootstrap, prefix, url) | sinks.notify_env(), Path(tempfile.mkdtemp()), root
    )
    try:
        for service in SERVICES:
            c.start(service)
        for service in SERVICES:
            await wait_for(lambda s=service: c.ready(s), timeout=90, interval=0.5)
        async with httpx.AsyncClient(timeout=15) as client:
            await asyncio.gather(
                *(post_until_accepted(client, c, i, prefix) for i in range(reports))
            )

        async def busy() -> bool:
            return len(sinks.received) >= after

        await wait_for(busy, timeout=120, interval=0.05)
        c.kill("notify_service")
        await asyncio.sleep(delay + 0.5)  # answers held by the fakes are recorded by now
        received = {(r.channel, r.to) for r in sinks.received}
        engine = make_engine(url)
        async with engine.connect() as db:
            rows = (
                await db.execute(text("SELECT status, count(*) FROM deliveries GROUP BY 1"))
            ).all()
        await engine.dispose()
        statuses = {status: int(n) for status, n in rows}
        sent = statuses.get("sent", 0)
        return {
            "root": str(root),
            "reports": reports,
            "delay_s": delay,
            "statuses": statuses,
            "received": len(sinks.received),
            "sending": statuses.get("sending", 0),
            "sending_reached_provider": len(sinks.received) - sent,
            "sending_never_sent": statuses.get("sending", 0) - (len(sinks.received) - sent),
            "distinct_recipients": len(received),
        }
    finally:
        c.stop()
        await sinks.stop()
        conn = await asyncpg.connect(dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--after", type=int, default=100, help="messages received before the kill")
    parser.add_argument("--delay", type=float, default=1.0, help="provider answer delay, s")
    args = parser.parse_args()
    print(
        json.dumps(asyncio.run(measure(args.root.resolve(), args.reports, args.after, args.delay)))
    )


if __name__ == "__main__":
    main()
