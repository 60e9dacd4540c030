"""The component tier: one service built by its ``create_app(settings, deps)`` with fakes,
its handlers driven through FastStream's ``TestKafkaBroker`` (in memory, inline).

No Kafka, no PostgreSQL: the database is an in-memory SQLite with the schema created
from the models, topics get a unique prefix per test, and what a service publishes is
captured by a test subscriber on a test-only router included into that test's own broker.
``TestKafkaBroker`` runs handlers inline: no partitions, commits or redeliveries (a
redelivery is simulated by publishing the same record again). It proves handler logic,
not delivery guarantees; ``tests/integration`` and ``tests/e2e`` do that on real Kafka.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, KafkaRouter
from sqlalchemy.ext.asyncio import AsyncEngine

import ingest_service.models  # noqa: F401  (every table in Base.metadata)
import notify_service.models  # noqa: F401
import routing_service.models  # noqa: F401
import shared.directory  # noqa: F401
from shared.db import Base, make_engine, make_sessionmaker
from shared.kafka import make_broker
from shared.runtime import Runtime
from shared.settings import Settings

MEMORY_DB = "sqlite+aiosqlite://"  # one connection (StaticPool): the same database throughout


@pytest.fixture
def settings_values() -> dict[str, Any]:
    """What every component test's settings share: a unique topic prefix, no server."""
    return {
        "TIMPORA_TOPIC_PREFIX": f"c{uuid.uuid4().hex[:10]}.",
        "TIMPORA_ENV": "test",
        "DATABASE_URL": MEMORY_DB,
    }


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """An in-memory SQLite database holding the whole schema (every service's tables)."""
    db = make_engine(MEMORY_DB)
    async with db.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield db
    await db.dispose()


@pytest.fixture
def make_runtime(engine: AsyncEngine) -> Callable[[Settings, str], Runtime]:
    """A service runtime on a fresh broker (never connected) and the test's database."""

    def build(settings: Settings, client_id: str) -> Runtime:
        broker = make_broker(settings, client_id=client_id)
        return Runtime(settings, broker, engine, make_sessionmaker(engine))

    return build


async def _raw(message: Any) -> Any:
    return message.raw_message


@pytest.fixture
def capture() -> Callable[[KafkaBroker, Settings, str], list[ConsumerRecord]]:
    """``capture(broker, settings, topic)``: every record later published on ``topic``
    (key, headers, bytes), in order. Call it before ``TestKafkaBroker`` starts; the
    subscriber sits on a router of its own, included into this test's broker only."""

    def subscribe(broker: KafkaBroker, settings: Settings, topic: str) -> list[ConsumerRecord]:
        received: list[ConsumerRecord] = []
        router = KafkaRouter()

        @router.subscriber(settings.topic(topic), batch=True, decoder=_raw)
        async def on_output(records: tuple[ConsumerRecord, ...]) -> None:
            received.extend(records)

        broker.include_router(router)
        return received

    return subscribe
