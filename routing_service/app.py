"""The routing service: reports → jurisdiction → policy → routed alerts; escalation; acks.

Run: ``python -m routing_service`` (or ``uvicorn --factory routing_service.app:create_app``).
"""

from __future__ import annotations

from fastapi import FastAPI

from routing_service import handlers
from routing_service.deps import RoutingDeps
from shared.observability import health_router, install_error_handlers
from shared.runtime import Runtime
from shared.settings import RoutingSettings


def create_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    runtime = Runtime.build(settings, client_id="timpora-routing")
    deps = RoutingDeps(runtime, settings)
    deps.policy()  # fail fast on an invalid policy file
    handlers.register(deps)
    runtime.background.append(lambda: handlers.escalation_loop(deps))
    app = FastAPI(title="Timpora routing", version="1", lifespan=runtime.lifespan)
    app.state.deps = deps
    app.include_router(health_router(runtime.ready, runtime.update_lag))
    install_error_handlers(app)
    return app


def asyncapi():  # type: ignore[no-untyped-def]
    """``faststream docs gen --factory routing_service.app:asyncapi`` (no connection made)."""
    from shared import topics
    from shared.kafka import asyncapi_app, document_outputs
    from shared.schemas import AlertRouted, ReportRejected

    app = create_app()
    broker = app.state.deps.runtime.broker
    document_outputs(
        broker,
        app.state.deps.settings,
        {topics.ALERTS_ROUTED: AlertRouted, topics.REPORTS_REJECTED: ReportRejected},
    )
    return asyncapi_app(
        broker,
        "Timpora routing",
        "Normalised reports and acks in; routed alerts (keyed by team) out.",
    )
