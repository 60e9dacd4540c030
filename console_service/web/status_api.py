"""``GET /v1/reports/{report_id}``: an upstream system asks what became of one of its
reports (accepted, rejected and why, held, routed to which level and team, delivered to
how many, acknowledged, closed), with the API key it sends with.

Why the console serves it, not ingest: the answer reads routing's and notify's tables,
and no service imports another (docs/layout.md); the console is the package that reads
the services' stores, it already loads the sources' key file (``CONSOLE_SOURCES_FILE``,
ingest's own) and it is reachable from outside (members' links). So the same key works
on both: ``POST`` to ingest (8081), ``GET`` the status from the console (8084), or both
behind one host with a proxy routing ``GET /v1/reports/*`` to the console.

Who sees what: the key names a source; a report id is tagged for the source it was
issued to (:mod:`shared.report_ids`), so another source's id, an unknown id and a
malformed one all answer the same 404 before anything is read. An id of the caller's
that routing has not recorded yet answers ``accepted``. The answer names no person
(:mod:`console_service.status_schema`). Load -> decide
(:func:`console_service.report_status.report_status`) -> answer; nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path
from pydantic import BaseModel, Field

from console_service.report_status import report_status
from console_service.status_schema import ReportStatus
from console_service.web import api_keys, status_store
from console_service.web.kit import Kit
from shared import report_ids
from shared.sources import KeyRegistry, SourceKey

DEFAULT_PER_MINUTE = 600  # status requests a source may make a minute (its key's limit wins)
NOT_FOUND = {"error": "not_found", "message": "no report with this id for this API key"}


class ErrorBody(BaseModel):
    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["no report with this id for this API key"])
    reasons: list[dict[str, Any]] = Field(default_factory=list)


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or one no source has"},
    404: {
        "model": ErrorBody,
        "description": "Unknown id, or a report of another source (the same answer)",
    },
    429: {"model": ErrorBody, "description": "Over the source's request rate"},
}


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["reports"])
    registry = KeyRegistry.from_file(
        kit.settings.sources_file, production=kit.settings.environment == "production"
    )
    keys = report_ids.keys_of(kit.settings.verification_secrets)
    limits = api_keys.CallerLimits()

    def source_key(
        x_api_key: Annotated[str | None, Header(description="API key of the source")] = None,
        authorization: Annotated[str | None, Header(description="Or: Bearer <API key>")] = None,
    ) -> SourceKey:
        source = registry.authenticate(api_keys.presented(x_api_key, authorization, "API key"))
        if source is None:
            raise HTTPException(401, {"error": "unauthorized", "message": "unknown API key"})
        limits.spend(source.source, source.rate_limit_per_minute or DEFAULT_PER_MINUTE)
        return source

    @router.get(
        "/reports/{report_id}",
        response_model=ReportStatus,
        responses=RESPONSES,
        operation_id="report_status",
        summary="What became of one of the source's reports",
        description="Accepted (in flight), rejected with the reason, or each alert holding "
        "it: level and team, deliveries per state, acknowledged (when, on which channel), "
        "closed. Only the source the report was accepted from sees it; no personal data.",
    )
    async def get_report_status(
        report_id: Annotated[
            str, Path(description="An id from ingest's 202 answer", examples=["01JB8Z..."])
        ],
        source: SourceKey = Depends(source_key),  # a default: build_router's own function
    ) -> ReportStatus:
        if len(report_id) > 32 or not report_ids.issued_to(report_id, source.source, keys):
            raise HTTPException(404, NOT_FOUND)
        async with kit.runtime.sessions() as session:
            rows = await status_store.load(session=session, report_id=report_id)
        return report_status(
            report_id,
            rows.processed,
            rows.alerts,
            rows.deliveries,
            rows.acks,
            rows.team_names,
        )

    return router
