"""The pipeline's bench database (created, seeded, dropped per run) and its delivery-log queries."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from ulid import ULID

from bench.common import say
from shared.db import make_engine, make_sessionmaker, migrate, transaction
from shared.directory import replace_directory
from shared.schemas import Team

# What a PostgreSQL restart looks like to a client (someone else's failure test, say).
RESTART_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@dataclass
class BenchDatabase:
    """A database created for one run on the configured server, dropped afterwards."""

    server_url: str
    name: str = field(default_factory=lambda: f"timpora_bench_{uuid.uuid4().hex[:8]}")

    @property
    def url(self) -> str:
        return _with_database(self.server_url, self.name)

    async def create(self, teams: list[Team]) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        await migrate(self.url)  # the services would too; the directory needs the tables now
        engine = make_engine(self.url, pool_size=1)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                await replace_directory(session, teams)
        finally:
            await engine.dispose()

    async def drop(self) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()


async def fetch_retrying(
    pool: asyncpg.Pool, sql: str, *args: Any, retry_for: float = 120.0
) -> list[asyncpg.Record]:
    """Query the bench database; ride out a PostgreSQL restart (reconnect and retry)."""
    deadline = time.monotonic() + retry_for
    while True:
        try:
            return await pool.fetch(sql, *args)
        except (OSError, asyncpg.InterfaceError, *RESTART_ERRORS) as exc:
            if time.monotonic() > deadline:
                raise
            say(f"database unavailable ({type(exc).__name__}); retrying")
            await asyncio.sleep(1.0)


# Delivery ids are ULIDs (time first): `delivery_id >= first_id(since)` makes each query a
# range scan of the phase's rows, so later phases do not rescan every earlier phase's.
def first_id(since: datetime) -> str:
    return str(ULID.from_datetime(since))[:10] + "0" * 16


# Per report: its send stamp and its delivery rows' times (one query at a phase's end).
REPORT_TIMES = """
SELECT d.report_id,
       min(v.payload->'report'->>'upstream_ref') AS ref,
       min(d.created_at) AS first_claimed,
       min(d.updated_at) FILTER (WHERE d.status = 'sent') AS first_sent,
       max(d.updated_at) FILTER (WHERE d.status = 'sent') AS all_sent,
       count(*) FILTER (WHERE d.status = 'sent') AS sent,
       count(*) AS rows
FROM deliveries d
JOIN alert_versions v ON v.alert_id = d.alert_id AND v.version = d.alert_version
WHERE d.delivery_id >= $2 AND d.created_at >= $1 GROUP BY d.report_id
"""

PROGRESS = """
SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) FILTER (WHERE status IN ('sending', 'retrying')) AS pending,
       count(*) AS rows, count(DISTINCT report_id) AS reports
FROM deliveries WHERE delivery_id >= $2 AND created_at >= $1
"""

STATUSES = """
SELECT status || ' after ' || attempts || ' attempt(s)', count(*)
FROM deliveries WHERE delivery_id >= $2 AND created_at >= $1 GROUP BY status, attempts
"""
