"""The ingest service: HTTP API + the sources' ``reports.raw.<source>`` → normalised reports.

Run: ``python -m ingest_service`` (or ``uvicorn --factory ingest_service.app:create_app``).
"""

from __future__ import annotations

from fastapi import FastAPI
from faststream import FastStream

from ingest_service import api, handlers
from ingest_service.deps import IngestDeps
from shared.kafka import asyncapi_app
from shared.runtime import Runtime, http_app
from shared.settings import IngestSettings
from shared.sources import KeyRegistry


def create_app(settings: IngestSettings | None = None, deps: IngestDeps | None = None) -> FastAPI:
    """The service; ``deps`` replaces what it is built from (tests pass their own)."""
    if deps is None:
        settings = settings or IngestSettings()
        runtime = Runtime.build(settings, client_id="timpora-ingest")
        deps = IngestDeps(
            runtime,
            settings,
            KeyRegistry.from_file(
                settings.api_keys_file, production=settings.environment == "production"
            ),
            {},
        )
    deps.runtime.raw_sources = tuple(s.source for s in deps.keys.sources)
    handlers.register(deps)
    return http_app(
        deps.runtime,
        deps,
        title="Timpora ingest API",
        description="Accepts reports about foreign nationals from upstream systems; "
        "publishes canonical reports and dead letters.",
        routers=[api.build_router(deps)],
    )


def asyncapi() -> FastStream:
    """``faststream docs gen --factory ingest_service.app:asyncapi`` (no connection made)."""
    from shared import topics
    from shared.schemas import Report, ReportRejected

    return asyncapi_app(
        create_app(), {topics.REPORTS_NORMALIZED: Report, topics.REPORTS_REJECTED: ReportRejected}
    )
