"""The ingest service in the test's process (real Kafka and PostgreSQL), over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from ingest_service.app import create_app
from shared.settings import IngestSettings, Settings


@asynccontextmanager
async def ingest_client(
    kafka: Settings, database_url: str, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    """``overrides``: ingest settings by field name."""
    settings = IngestSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka.kafka_bootstrap_servers,
        TIMPORA_TOPIC_PREFIX=kafka.topic_prefix,
        DATABASE_URL=database_url,
        **overrides,  # type: ignore[arg-type]
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            yield client
