"""HTTP entry points, versioned under /v1: one endpoint per upstream format.

A caller gets 202 with its report ids only after Kafka acknowledged every write; 4xx with
machine-readable reasons otherwise. Bodies are read as bytes (the parsers own validation),
size-limited before parsing. ``Idempotency-Key`` makes a retried request return the
first response instead of creating second reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from ingest_service import idempotency
from ingest_service import openapi_bodies as bodies
from ingest_service.deps import IngestDeps
from ingest_service.formats import SourceContext
from ingest_service.formats.kannel import without_credentials
from ingest_service.intake import count_outcomes, intake
from shared.inbound import hub_verification, verify_hub_signature
from shared.inbound import read_body as read_limited
from shared.kafka import publish_all
from shared.schemas import Reason, SourceFormat
from shared.sources import SourceKey

log = logging.getLogger(__name__)
# Channels anyone can write to (a phone number, a bot): limited per sender as well
PUBLIC = frozenset({SourceFormat.kannel_mo, SourceFormat.telegram, SourceFormat.whatsapp})


class Rejected(BaseModel):
    index: int | None = Field(None, description="Position in a batch (0-based), or row number")
    reasons: list[Reason]


class Accepted(BaseModel):
    """202: the listed reports are durably on ``reports.normalized``."""

    report_ids: list[str]
    rejected: list[Rejected] = Field(default_factory=list)


class ErrorBody(BaseModel):
    error: str = Field(examples=["unauthorized"])
    message: str
    reasons: list[Reason] = Field(default_factory=list)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 409, 413, 415, 422, 429, 503)
}


def _error(status: int, error: str, message: str, **extra: Any) -> HTTPException:
    return HTTPException(status, detail={"error": error, "message": message, **extra})


def source_key(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="API key of the source")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> SourceKey:
    presented = x_api_key or (
        authorization.removeprefix("Bearer ").strip()
        if authorization and authorization.startswith("Bearer ")
        else None
    )
    if not presented:
        raise _error(401, "unauthorized", "missing API key (X-API-Key or Bearer)")
    key = request.app.state.deps.keys.authenticate(presented)
    if key is None:
        raise _error(401, "unauthorized", "unknown API key")
    return key


Source = Annotated[SourceKey, Depends(source_key)]


def build_router(deps: IngestDeps) -> APIRouter:
    router = APIRouter(prefix="/v1", responses=ERRORS)
    settings = deps.settings

    async def read_body(request: Request) -> bytes:
        return await read_limited(request, settings.max_body_bytes)

    async def accept(
        request: Request, source: SourceKey, fmt: SourceFormat, raw: bytes | None = None
    ) -> JSONResponse:
        if fmt not in source.formats:
            raise _error(403, "format_not_allowed", f"source {source.source} may not send {fmt}")
        per_minute = source.rate_limit_per_minute or settings.rate_limit_per_minute
        if not deps.bucket(source.source, per_minute).try_acquire():
            raise HTTPException(
                429,
                detail={"error": "rate_limited", "message": f"over {per_minute} requests/min"},
                headers={"Retry-After": "1"},
            )
        raw = await read_body(request) if raw is None else raw
        key = (request.headers.get("idempotency-key") or "")[:200]
        digest = hashlib.sha256(fmt.value.encode() + b"\0" + raw).hexdigest()
        if key:
            try:
                claimed = await idempotency.claim(deps.runtime.sessions, source.source, key, digest)
            except Exception as exc:  # database down: refuse now rather than risk a duplicate
                log.warning("idempotency store unavailable: %s", type(exc).__name__)
                raise _error(503, "storage_unavailable", "try again shortly") from exc
            if claimed.state == "conflict":
                raise _error(409, "idempotency_conflict", "key reused with another body")
            if claimed.state == "in_progress":
                raise HTTPException(
                    409,
                    detail={"error": "in_progress", "message": "same key still being processed"},
                    headers={"Retry-After": "2"},
                )
            if claimed.state == "done" and claimed.response is not None:
                return JSONResponse(claimed.response["body"], claimed.response["status"])
        ctx = SourceContext(
            source=source.source,
            home_area=source.home_area,
            received_at=datetime.now(UTC),
            budget_s=settings.parse_budget_seconds,
            sender_allowed=deps.sender_allowed(source.source) if fmt in PUBLIC else None,
        )
        content_type = request.headers.get("content-type", "")
        # With a key, report ids derive from it: a retry after an ambiguous failure (the
        # first publish did land) re-publishes the *same* ids, which routing absorbs.
        seed = f"http/{source.source}/{key}" if key else None
        result = await deps.off_loop(
            intake,
            fmt,
            raw,
            ctx,
            id_seed=seed,
            seed_time=False,
            headers={"content-type": content_type},
            id_key=deps.report_id_key,
        )
        try:
            await publish_all(deps.broker, settings, result.records())
        except Exception as exc:
            log.warning("kafka write failed for source %s: %s", source.source, type(exc).__name__)
            if key:
                with contextlib.suppress(Exception):
                    await idempotency.release(deps.runtime.sessions, source.source, key)
            raise _error(503, "kafka_unavailable", "could not store the report; retry") from exc
        count_outcomes([result])
        body = Accepted(
            report_ids=[r.report_id for r in result.reports],
            rejected=_group_reasons(result.reasons),
        ).model_dump(mode="json")
        status = 202 if result.reports else 422
        if key:
            try:
                response = {"status": status, "body": body}
                await idempotency.complete(deps.runtime.sessions, source.source, key, response)
            except Exception as exc:  # the reports are on Kafka: answer regardless
                log.warning("could not store idempotency response: %s", type(exc).__name__)
        return JSONResponse(body, status)

    @router.post(
        "/reports",
        status_code=202,
        response_model=Accepted,
        summary="Canonical JSON report(s): one object, an array, or {'reports': [...]}",
        openapi_extra=bodies.canonical_body(),
    )
    async def post_reports(request: Request, source: Source) -> JSONResponse:
        return await accept(request, source, SourceFormat.canonical)

    @router.post(
        "/lodging",
        status_code=202,
        response_model=Accepted,
        summary="Lodging guest report(s), APOA style (JSON)",
        openapi_extra=bodies.lodging_body(),
    )
    async def post_lodging(request: Request, source: Source) -> JSONResponse:
        return await accept(request, source, SourceFormat.lodging)

    @router.post(
        "/lodging/csv",
        status_code=202,
        response_model=Accepted,
        summary="Bulk lodging reports as CSV (header row; ',' or ';')",
        openapi_extra=bodies.body("text/csv", {"type": "string"}),
    )
    async def post_lodging_csv(request: Request, source: Source) -> JSONResponse:
        return await accept(request, source, SourceFormat.lodging_csv)

    @router.post(
        "/cap",
        status_code=202,
        response_model=Accepted,
        summary="OASIS CAP 1.2 alert (XML)",
        openapi_extra=bodies.body("application/cap+xml", {"type": "string"}),
    )
    async def post_cap(request: Request, source: Source) -> JSONResponse:
        return await accept(request, source, SourceFormat.cap)

    async def kannel_mo(request: Request, key: Annotated[str, Query()] = "") -> Response:
        source = deps.keys.authenticate(key)
        if source is None:
            raise _error(401, "unauthorized", "unknown gateway key")
        raw = request.url.query.encode() if request.method == "GET" else await read_body(request)
        # The key authenticated the gateway; nothing stored or dead-lettered keeps it.
        raw = without_credentials(raw)
        response = await accept(request, source, SourceFormat.kannel_mo, raw)
        accepted = Accepted.model_validate_json(bytes(response.body))
        ids = accepted.report_ids
        codes = {c.code for r in accepted.rejected for c in r.reasons}
        # Kannel sends the body back to the reporter as the reply SMS.
        if ids:
            text = f"Laporan diterima, no. {ids[0][-6:]}. Terima kasih."
        elif "sender_rate_limited" in codes:
            text = "Terlalu banyak laporan dari nomor ini. Coba lagi beberapa menit lagi."
        else:
            text = "Format: LAPOR <kecamatan> <isi laporan>"
        return PlainTextResponse(text, response.status_code)

    for method in ("GET", "POST"):  # one operation id each, as OpenAPI wants
        router.add_api_route(
            "/webhooks/kannel",
            kannel_mo,
            methods=[method],
            operation_id=f"kannel_mo_{method.lower()}",
            summary="Kannel MO callback (SMS). Configure get-url with ?key=...&from=%p&text=%a...",
            response_class=PlainTextResponse,
        )

    @router.post(
        "/webhooks/telegram",
        summary="Telegram Bot API webhook (update JSON)",
        openapi_extra=bodies.body("application/json", bodies.TELEGRAM_UPDATE),
    )
    async def telegram_update(
        request: Request,
        token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> JSONResponse:
        source = deps.keys.authenticate(token)
        if source is None:
            raise _error(401, "unauthorized", "bad secret token")
        response = await accept(request, source, SourceFormat.telegram)
        # Telegram retries anything but 2xx: a message we cannot use is still "handled".
        return JSONResponse(Accepted.model_validate_json(bytes(response.body)).model_dump(), 200)

    router.add_api_route(
        "/webhooks/whatsapp",
        hub_verification(lambda: settings.whatsapp_verify_token),
        methods=["GET"],
        summary="WhatsApp webhook verification challenge",
    )

    @router.post(
        "/webhooks/whatsapp",
        summary="WhatsApp Cloud API webhook (signed JSON)",
        openapi_extra=bodies.body("application/json", bodies.WHATSAPP_NOTIFICATION),
    )
    async def whatsapp_messages(
        request: Request,
        signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
    ) -> JSONResponse:
        secret = settings.whatsapp_app_secret
        source = deps.keys.source(settings.whatsapp_source)
        raw = await read_body(request)
        if secret is None or source is None:
            raise _error(403, "forbidden", "WhatsApp is not configured")
        if not verify_hub_signature(secret.get_secret_value(), raw, signature):
            raise _error(401, "unauthorized", "bad X-Hub-Signature-256")
        response = await accept(request, source, SourceFormat.whatsapp, raw)
        return JSONResponse(Accepted.model_validate_json(bytes(response.body)).model_dump(), 200)

    return router


def _group_reasons(reasons: list[Reason]) -> list[Rejected]:
    by_index: dict[int | None, list[Reason]] = {}
    for reason in reasons:
        by_index.setdefault(reason.index, []).append(reason)
    return [Rejected(index=i, reasons=r) for i, r in by_index.items()]
