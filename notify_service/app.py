"""The notify service: routed alerts → SMS, email, chat; acks from every channel.

Run: ``python -m notify_service`` (or ``uvicorn --factory notify_service.app:create_app``).
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from faststream import FastStream

from notify_service import acks, dlr, handlers
from notify_service.channels import build_channels
from notify_service.delivery import retry_loop
from notify_service.deps import NotifyDeps
from notify_service.limiter import build_limiter
from notify_service.receipting import receipt_loop
from shared.kafka import asyncapi_app
from shared.runtime import Runtime, http_app
from shared.settings import NotifySettings


def create_app(settings: NotifySettings | None = None, deps: NotifyDeps | None = None) -> FastAPI:
    """The service; ``deps`` replaces what it is built from (tests pass their own)."""
    if deps is None:
        settings = settings or NotifySettings()
        runtime = Runtime.build(settings, client_id="timpora-notify")
        channels = build_channels(settings)
        # provider limits shared by every instance (PostgreSQL; per process on SQLite)
        limiter = build_limiter(settings, runtime.sessions, channels)
        # A bounded number of sends in flight per channel: providers prefer it, and a batch
        # of thousands of sends should not queue thousands of requests in a connection pool.
        slots = {name: asyncio.Semaphore(settings.max_in_flight) for name in channels}
        deps = NotifyDeps(runtime, settings, channels, limiter, slots)
    runtime = deps.runtime
    handlers.register(deps)
    runtime.background.append(lambda: retry_loop(deps))
    runtime.background.append(lambda: receipt_loop(deps))  # early reports, unconfirmed
    runtime.on_stop.extend(ch.aclose for ch in deps.channels.values())
    return http_app(
        runtime,
        deps,
        title="Timpora notify",
        description="Delivers routed alerts by SMS, email and chat; takes acknowledgements.",
        routers=[acks.build_router(deps), dlr.build_router(deps)],
    )


def asyncapi() -> FastStream:
    """``faststream docs gen --factory notify_service.app:asyncapi`` (no connection made)."""
    from shared import topics
    from shared.schemas import AlertAcknowledged, DeliveryAttempted, ReportRejected

    return asyncapi_app(
        create_app(),
        {
            topics.DELIVERIES_EVENTS: DeliveryAttempted,
            topics.ALERTS_ACKS: AlertAcknowledged,
            topics.REPORTS_REJECTED: ReportRejected,
        },
    )
