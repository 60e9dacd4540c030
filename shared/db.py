"""Database helpers: the declarative base, engine/session factories and migrations.

Nothing connects at import time; services build an engine from their settings at start-up.
Alembic owns the schema (``shared/migrations``); :func:`migrate` runs it to head.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
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


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
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
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, **json
    )


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
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_many_ignore(
    session: AsyncSession, model: type[Base], rows: list[dict[str, object]], key: str
) -> set[object]:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING; returns the ``key`` values inserted.

    One round trip per 1,000 rows; rows whose unique key already exists (claimed before,
    by this or another process) are simply not returned. Executed as an executemany of
    one cached Core statement (SQLAlchemy's "insertmanyvalues" batches it into multi-row
    VALUES): building a fresh ``values(rows)`` statement compiled ~16 parameters per row
    on every call.
    """
    if not rows:
        return set()
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    statement = insert(table).on_conflict_do_nothing().returning(table.c[key])
    return set((await session.execute(statement, rows)).scalars().all())
