"""The ingest service: HTTP API + ``reports.raw`` consumer → normalised reports.

Run: ``python -m ingest_service`` (or ``uvicorn --factory ingest_service.app:create_app``).
"""

from __future__ import annotations

from fastapi import FastAPI

from ingest_service import api, handlers
from ingest_service.auth import KeyRegistry
from ingest_service.deps import IngestDeps
from shared.observability import health_router, install_error_handlers
from shared.runtime import Runtime
from shared.settings import IngestSettings


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    runtime = Runtime.build(settings, client_id="timpora-ingest")
    deps = IngestDeps(runtime, settings, KeyRegistry.from_file(settings.api_keys_file), {})
    handlers.register(deps)
    app = FastAPI(
        title="Timpora ingest API",
        version="1",
        description="Accepts reports about foreign nationals from upstream systems.",
        lifespan=runtime.lifespan,
    )
    app.state.deps = deps
    app.include_router(api.build_router(deps))
    app.include_router(health_router(runtime.ready, runtime.update_lag))
    install_error_handlers(app)
    return app


def asyncapi():  # type: ignore[no-untyped-def]
    """``faststream docs gen --factory ingest_service.app:asyncapi`` (no connection made)."""
    from shared import topics
    from shared.kafka import asyncapi_app, document_outputs
    from shared.schemas import Report, ReportRejected

    app = create_app()
    broker = app.state.deps.runtime.broker
    document_outputs(
        broker,
        app.state.deps.settings,
        {topics.REPORTS_NORMALIZED: Report, topics.REPORTS_REJECTED: ReportRejected},
    )
    return asyncapi_app(
        broker,
        "Timpora ingest",
        "Upstream reports in (reports.raw), canonical reports and dead letters out.",
    )
