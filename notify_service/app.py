"""The notify service: routed alerts → SMS, email, chat; acks from every channel.

Run: ``python -m notify_service`` (or ``uvicorn --factory notify_service.app:create_app``).
"""

from __future__ import annotations

from fastapi import FastAPI

from notify_service import acks, handlers
from notify_service.channels import build_channels
from notify_service.delivery import retry_loop
from notify_service.deps import NotifyDeps
from shared.observability import health_router, install_error_handlers
from shared.ratelimit import TokenBucket
from shared.runtime import Runtime
from shared.settings import NotifySettings


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = Runtime.build(settings, client_id="timpora-notify")
    channels = build_channels(settings)
    rate = settings.provider_rate_per_second
    limits = {name: TokenBucket(rate, burst=max(1, int(rate))) for name in channels}
    deps = NotifyDeps(runtime, settings, channels, limits)
    handlers.register(deps)
    runtime.background.append(lambda: retry_loop(deps))
    runtime.on_stop.extend(ch.aclose for ch in channels.values())
    app = FastAPI(
        title="Timpora notify",
        version="1",
        description="Delivers routed alerts and takes acknowledgements.",
        lifespan=runtime.lifespan,
    )
    app.state.deps = deps
    app.include_router(acks.build_router(deps))
    app.include_router(health_router(runtime.ready, runtime.update_lag))
    install_error_handlers(app)
    return app


def asyncapi():  # type: ignore[no-untyped-def]
    """``faststream docs gen --factory notify_service.app:asyncapi`` (no connection made)."""
    from shared import topics
    from shared.kafka import asyncapi_app, document_outputs
    from shared.schemas import AlertAcknowledged, DeliveryAttempted, ReportRejected

    app = create_app()
    broker = app.state.deps.runtime.broker
    document_outputs(
        broker,
        app.state.deps.settings,
        {
            topics.DELIVERIES_EVENTS: DeliveryAttempted,
            topics.ALERTS_ACKS: AlertAcknowledged,
            topics.REPORTS_REJECTED: ReportRejected,
        },
    )
    return asyncapi_app(
        broker, "Timpora notify", "Routed alerts in; delivery events and acknowledgements out."
    )
