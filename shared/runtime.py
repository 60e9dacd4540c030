"""What every service process holds: settings, broker, database; started and stopped once.

``create_app`` of each service builds a :class:`Runtime`, registers its handlers on the
broker, and hands :func:`lifespan` to FastAPI, so HTTP, Kafka consumers and background
loops start and stop together.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import check_schema, make_engine, make_sessionmaker, migrate
from shared.kafka import make_broker
from shared.kafka_clients import client_options
from shared.settings import Settings
from shared.topics import ensure_topics

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    broker: KafkaBroker
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # name → why the service runs, but not as configured (None: fine); shown by /ready
    degraded_checks: dict[str, Callable[[], str | None]] = field(default_factory=dict)
    # sources whose raw topics (reports.raw.<source>) this service creates at start-up
    raw_sources: tuple[str, ...] = ()
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, *, client_id: str) -> Runtime:
        engine = make_engine(settings.database_url)
        return cls(
            settings, make_broker(settings, client_id=client_id), engine, make_sessionmaker(engine)
        )

    async def start(self) -> None:
        if self.settings.migrate_at_start:
            await migrate(self.settings.database_url)
        elif refused := await check_schema(self.settings.database_url):
            raise RuntimeError(refused)  # the one-shot migration has not run (docs/deploy.md)
        await ensure_topics(
            client_options(self.settings),
            prefix=self.settings.topic_prefix,
            partitions=self.settings.topic_partitions,
            retention=self.settings.topic_retention(),
            sources=self.raw_sources,
            replication=self.settings.topic_replication,
            min_isr=self.settings.topic_min_isr,
        )
        await self.broker.start()
        tune_gc(self.settings.gc_threshold)
        self._tasks = [asyncio.create_task(_forever(loop)) for loop in self.background]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.broker.stop()
        for close in self.on_stop:
            await close()
        await self.engine.dispose()

    async def ready(self) -> dict[str, bool]:
        """Broker reachable, database reachable, every consumer has partitions."""
        checks = {"kafka": await self.broker.ping(timeout=2.0)}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        except Exception:
            checks["database"] = False
        subscribers: list[Any] = list(self.broker.subscribers)
        checks["consumers_assigned"] = all(
            s.consumer is not None and bool(s.consumer.assignment()) for s in subscribers
        )
        return checks

    def degraded(self) -> dict[str, str]:
        """What works but not as configured, name → why (the process keeps running)."""
        return {name: why for name, check in self.degraded_checks.items() if (why := check())}

    async def update_lag(self) -> None:
        """Consumer lag per assigned partition (high watermark - position), for /metrics."""
        from shared.observability import CONSUMER_LAG

        for subscriber in list(self.broker.subscribers):
            consumer: Any = getattr(subscriber, "consumer", None)
            if consumer is None:
                continue
            group = consumer._group_id or ""
            for tp in consumer.assignment():
                high = consumer.highwater(tp)
                if high is None:
                    continue
                position = await consumer.position(tp)
                CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(max(0, high - position))

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


def tune_gc(threshold: str) -> None:
    """Freeze what start-up allocated (never garbage) and collect less often (see
    ``Settings.gc_threshold``)."""
    if not threshold:
        return
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = (int(x) for x in threshold.split(","))
    gc.set_threshold(gen0, gen1, gen2)


async def _forever(loop: Callable[[], Awaitable[None]]) -> None:
    """Run a background loop; log and restart it after a crash instead of dying silently."""
    while True:
        try:
            await loop()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background loop %s crashed; restarting in 1s", loop.__name__)
            await asyncio.sleep(1)


INTERNAL_PATHS = ("/metrics", "/docs", "/redoc", "/openapi.json")
EVERYWHERE = ("/health", "/ready")  # probes may use either port


class InternalOnly:
    """With an internal port: /metrics and the API docs answer there only, and that port
    serves nothing else (both 404 otherwise, as if the path did not exist). Which port a
    request came in on is the ASGI scope's ``server``."""

    def __init__(self, app: Any, port: int) -> None:
        self.app, self.port = app, port

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in EVERYWHERE:
            internal = (scope.get("server") or (None, None))[1] == self.port
            wanted = scope["path"].startswith(INTERNAL_PATHS)
            if internal != wanted:
                await send({"type": "http.response.start", "status": 404,
                            "headers": [(b"content-type", b"application/json")]})  # fmt: skip
                body = b'{"error": "not_found", "message": "Not Found"}'
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(
    runtime: Runtime, deps: Any, *, title: str, description: str, routers: Sequence[Any] = ()
) -> Any:
    """The service's FastAPI app: its routers, health/ready/metrics, uniform errors.

    The app's lifespan is the runtime's, so HTTP, consumers and background loops start
    and stop together; ``app.state.deps`` holds the service's dependencies.
    """
    from fastapi import FastAPI

    from shared.observability import health_router, install_error_handlers

    app = FastAPI(title=title, version="1", description=description, lifespan=runtime.lifespan)
    app.state.deps = deps
    if runtime.settings.internal_port is not None:
        app.add_middleware(InternalOnly, port=runtime.settings.internal_port)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router(runtime.ready, runtime.update_lag, runtime.degraded))
    install_error_handlers(app)
    return app
