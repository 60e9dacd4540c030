"""Database helpers: the declarative base, engine/session factories and migrations.

Nothing connects at import time; services build an engine from their settings at start-up.
Alembic owns the schema (``shared/migrations``); :func:`migrate` runs it to head.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    DateTime,
    MetaData,
    Table,
    TextClause,
    TypeDecorator,
    any_,
    bindparam,
    event,
    insert,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


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
    # orjson for JSON columns: the stdlib encoder was a visible cost per delivery row
    json = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **json)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, **json)
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


async def insert_ignore(
    session: AsyncSession, model: type[Base], values: dict[str, object]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row.

    The unique constraint decides who wins, so two processes (or a redelivered message)
    racing for the same key never both proceed.
    """
    if is_postgresql(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_many_ignore(
    session: AsyncSession, model: type[Base], rows: list[dict[str, object]], key: str
) -> set[object]:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING; returns the ``key`` values inserted.

    Rows whose unique key already exists (claimed before, by this or another process) are
    simply not returned. Every row must have the same keys.
    """
    if not rows:
        return set()
    table = model.__table__
    dialect = _dialect(session)
    if dialect.name == "postgresql":
        statement = _unnest_insert(dialect, table, rows, ignore=True, returning=key)
        result = await session.execute(*statement)
        return set(result.scalars().all())
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(table).on_conflict_do_nothing().returning(table.c[key])
    return set((await session.execute(statement, rows)).scalars().all())


async def insert_many(session: AsyncSession, table: Table, rows: list[dict[str, object]]) -> None:
    """Multi-row INSERT of rows that all have the same keys (one statement on PostgreSQL)."""
    if not rows:
        return
    dialect = _dialect(session)
    if dialect.name == "postgresql":
        await session.execute(*_unnest_insert(dialect, table, rows))
    else:
        await session.execute(insert(table), rows)


async def update_many(
    session: AsyncSession, table: Table, key: str, rows: list[dict[str, object]]
) -> None:
    """UPDATE each row (by its ``key`` column) with its other values; all rows have the
    same keys. On PostgreSQL one ``UPDATE ... FROM unnest(...)`` for the whole batch."""
    if not rows:
        return
    dialect = _dialect(session)
    columns = tuple(rows[0])
    if dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c[key] == bindparam("_key"))
            .values({name: bindparam(name) for name in columns if name != key})
        )
        await session.execute(statement, [{**row, "_key": row[key]} for row in rows])
        return
    statement, processors = _unnest_update(table, key, columns, dialect)
    await session.execute(statement, _arrays(columns, processors, rows, {}))


def _dialect(session: AsyncSession) -> Dialect:
    assert session.bind is not None
    return session.bind.dialect


def is_postgresql(session: AsyncSession) -> bool:
    """PostgreSQL (production, tests) rather than SQLite (a laptop without a server)."""
    return _dialect(session).name == "postgresql"


def in_values(session: AsyncSession, column: Any, values: Iterable[object]) -> Any:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one statement (prepared and
    planned once) for any number of values, not one per count."""
    if is_postgresql(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


# Why unnest: a multi-row ``VALUES`` list (SQLAlchemy's "insertmanyvalues") is a different
# statement for every batch size, and PostgreSQL planned each one afresh: a third of its
# CPU in the pipeline went to planning 17-column VALUES lists. ``INSERT ... SELECT FROM
# unnest(<one array per column>)`` is one statement for any number of rows: prepared once
# per connection, planned generically, one executor run per batch (an executemany runs the
# executor once per row).
def _unnest_insert(
    dialect: Dialect,
    table: Table,
    rows: list[dict[str, object]],
    *,
    ignore: bool = False,
    returning: str | None = None,
) -> tuple[TextClause, dict[str, list[object]]]:
    defaults = _python_defaults(table, frozenset(rows[0]))
    columns = (*rows[0], *defaults)
    statement, processors = _unnest_statement(table, columns, ignore, returning, dialect)
    return statement, _arrays(columns, processors, rows, defaults)


def _arrays(
    columns: tuple[str, ...],
    processors: list[Any],
    rows: list[dict[str, object]],
    defaults: dict[str, Any],
) -> dict[str, list[object]]:
    """One array parameter per column (``c0``, ``c1``...), values as SQLAlchemy binds them."""
    params: dict[str, list[object]] = {}
    for i, (name, process) in enumerate(zip(columns, processors, strict=True)):
        if name not in defaults:
            values = [r[name] for r in rows]
        elif defaults[name].is_callable:  # once per row, as SQLAlchemy does (ids, lists)
            values = [defaults[name].arg(None) for _ in rows]
        else:
            values = [defaults[name].arg] * len(rows)
        params[f"c{i}"] = [process(v) for v in values] if process else values
    return params


def _python_defaults(table: Table, present: frozenset[str]) -> dict[str, Any]:
    """The Python-side defaults (scalars and callables) of the columns not in ``present``:
    what SQLAlchemy would have filled in."""
    return {
        c.name: c.default for c in table.columns if c.name not in present and c.default is not None
    }


@functools.lru_cache(maxsize=128)
def _unnest_statement(
    table: Table, columns: tuple[str, ...], ignore: bool, returning: str | None, dialect: Dialect
) -> tuple[TextClause, list[Any]]:
    quote = dialect.identifier_preparer.quote
    arrays = _unnest_arrays(table, columns, dialect)
    # identifiers only, each looked up in table.c by _unnest_arrays (KeyError otherwise)
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, columns))})"
    sql = f"INSERT INTO {target} SELECT * FROM unnest({arrays})"  # noqa: S608
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {quote(returning)}"
    return text(sql), _processors(table, columns, dialect)


@functools.lru_cache(maxsize=32)
def _unnest_update(
    table: Table, key: str, columns: tuple[str, ...], dialect: Dialect
) -> tuple[TextClause, list[Any]]:
    quote = dialect.identifier_preparer.quote
    names = [quote(name) for name in columns]
    assignments = ", ".join(
        f"{n} = v.{n}" for name, n in zip(columns, names, strict=True) if name != key
    )
    sql = (  # identifiers only, each looked up in table.c by _unnest_arrays
        f"UPDATE {dialect.identifier_preparer.format_table(table)} AS t SET {assignments} "  # noqa: S608
        f"FROM unnest({_unnest_arrays(table, columns, dialect)}) AS v({', '.join(names)}) "
        f"WHERE t.{quote(key)} = v.{quote(key)}"
    )
    return text(sql), _processors(table, columns, dialect)


def _unnest_arrays(table: Table, columns: tuple[str, ...], dialect: Dialect) -> str:
    return ", ".join(
        f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])"
        for i, name in enumerate(columns)
    )


def _processors(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[Any]:
    return [table.c[name].type.bind_processor(dialect) for name in columns]
