"""Alembic environment: runs migrations over the async engine of ``sqlalchemy.url``.

The schema is every service's tables, so this sits above the services: it imports the
modules that define tables (each table is written by one service's store functions).
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import console_service.web.models
import ingest_service.models
import notify_service.buckets
import notify_service.models
import notify_service.whatsapp_window
import routing_service.models
import shared.directory
import shared.offices
import shared.region_versions
from shared.db import Base, make_engine
from shared.settings import Settings

MODELS = (
    shared.directory,
    ingest_service.models,
    routing_service.models,
    notify_service.models,
    notify_service.buckets,
    notify_service.whatsapp_window,
    console_service.web.models,
    shared.offices,
    shared.region_versions,
)
target_metadata = Base.metadata


def _url() -> str:
    """The URL given by shared.db.migrate(), else DATABASE_URL (for the alembic CLI)."""
    return context.config.get_main_option("sqlalchemy.url") or Settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Services migrate at start-up; the lock lets only one of them do it at a time.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727001)")
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
