"""Database helpers: the declarative base, engine/session factories and migrations.

Nothing connects at import time; services build an engine from their settings at start-up.
Alembic owns the schema (the top-level ``migrations/``, beside this package: it names every
service's tables, so it cannot live in this leaf); :func:`migrate` runs it to head.
Bulk writes of a batch (one ``unnest`` statement on PostgreSQL) are an adapter:
:mod:`shared.adapters.bulk_sql`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import DateTime, MetaData, Table, TypeDecorator, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"  # beside shared/ (also installed)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:  # every model here is mapped to a Table (SQLAlchemy says FromClause)
        __table__: ClassVar[Table]


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


# A pooled connection idle for longer than this is pinged before use (see _ping_when_idle).
IDLE_PING_S = 2.0


def make_engine(url: str, *, pool_size: int = 10, idle_ping_s: float = IDLE_PING_S) -> AsyncEngine:
    # orjson for JSON columns: the stdlib encoder was a visible cost per delivery row.
    # hide_parameters: a failed statement's error (logged, shown) never carries the bound
    # values, which include group keys with passport numbers and whole alert payloads.
    json = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if is_sqlite(url):
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, hide_parameters=True, **json
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True, **json
    )
    _ping_when_idle(engine, idle_ping_s)
    return engine


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` means the database was unreachable or dropped the connection
    (refused, reset, shutting down, starting up: worth retrying), not that it rejected
    a statement. SQLSTATE classes 08 (connection) and 57P (shutdown, starting up)."""
    if isinstance(exc, OSError):  # refused, reset, timed out (TimeoutError is one)
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    return exc.connection_invalidated or sqlstate.startswith(("08", "57P"))


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Ping a pooled connection before use only when it sat idle for ``idle_s``.

    ``pool_pre_ping`` pings on every checkout: with asyncpg that is BEGIN, a query and
    ROLLBACK before each transaction — at 100 reports/s, when batches hold a few records,
    ~10 % of notify's CPU. A connection used a moment ago is almost surely alive; one
    idle through a database restart is caught here and replaced. A restart between two
    busy transactions fails the next one as a disconnect: SQLAlchemy then invalidates the
    whole pool and the batch is redelivered (the handlers are at-least-once).
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")  # None: a new connection
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            dbapi_conn.ping()
        except Exception as exc:  # the pool replaces it and checks out again
            raise DisconnectionError("pooled connection lost while idle") from exc


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction: committed on success, rolled back on error."""
    async with sessions() as session, session.begin():
        yield session


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate_sync(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (Alembic runs its own event loop in a thread)."""
    await asyncio.to_thread(migrate_sync, url, revision)


def schema_verdict(current: set[str], heads: set[str], known: set[str]) -> str | None:
    """Why a service must not start on this schema (None: it may). Behind: a revision this
    code knows that is not its head (run ``timpora db upgrade`` first). A revision it does
    not know is newer (an upgrade started by a newer release): migrations keep the
    previous release working, so an old instance may go on during a rolling upgrade."""
    if not current:
        return "the database has no schema: run `timpora db upgrade` first"
    if current == heads or not current <= known:
        return None
    return (
        f"the database schema is at {', '.join(sorted(current))}, this release needs "
        f"{', '.join(sorted(heads))}: run `timpora db upgrade` first"
    )


async def check_schema(url: str) -> str | None:
    """:func:`schema_verdict` for the database at ``url`` (services that do not migrate
    at start-up, ``TIMPORA_MIGRATE_AT_START=false``)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
    finally:
        await engine.dispose()
    known = {rev.revision for rev in script.walk_revisions()}
    return schema_verdict(current, set(script.get_heads()), known)


async def insert_ignore(
    session: AsyncSession, model: type[Base], values: dict[str, object]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    The unique constraint decides who wins, so two processes (or a redelivered message)
    racing for the same key never both proceed.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


def session_dialect(session: AsyncSession) -> Dialect:
    """The dialect of the engine ``session`` is bound to."""
    assert session.bind is not None
    return session.bind.dialect


def is_postgresql(session: AsyncSession) -> bool:
    """PostgreSQL (production, tests) rather than SQLite (a laptop without a server)."""
    return session_dialect(session).name == "postgresql"
