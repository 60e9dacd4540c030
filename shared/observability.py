"""Logging and the endpoints every service exposes: /health, /ready, /metrics."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

import orjson
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, Info, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.pii import PiiLogFilter
from shared.settings import Settings

REPORTS = Counter("timpora_reports_total", "Reports by source and outcome", ["source", "outcome"])
ALERTS = Counter("timpora_alerts_total", "Routed alerts by level and reason", ["level", "reason"])
DELIVERIES = Counter(
    "timpora_deliveries_total", "Delivery attempts by channel and status", ["channel", "status"]
)
RECEIPTS = Counter(
    "timpora_delivery_receipts_total",
    "Deliveries moved by a provider report (delivered, read, failed) or by its absence "
    "(unconfirmed), by channel and state",
    ["channel", "state"],
)
TIME_TO_DELIVERED = Histogram(
    "timpora_time_to_delivered_seconds",
    "From claiming a delivery to the provider's first delivered (or read) report",
    ["channel"],
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 21600),
)
ESCALATIONS = Counter("timpora_escalations_total", "Escalations fired", ["to_level"])
UNROUTED = Counter(
    "timpora_unrouted_reports_total",
    "Reports no team serves and no office fallback team takes (dead-lettered)",
)
ACKS = Counter("timpora_acks_total", "Acknowledgements by channel", ["channel"])
CONSUMER_LAG = Gauge(
    "timpora_consumer_lag",
    "Records behind the partition's high watermark, per consumer group and partition",
    ["group", "topic", "partition"],
)
POLICY_VALID = Gauge(
    "timpora_policy_valid",
    "1: the routing policy file on disk is in force; 0: it is refused (last good one kept)",
)
POLICY_INFO = Info("timpora_policy", "The routing policy in force: SHA-256 of its file, rules")
POLICY_LOADED = Gauge(
    "timpora_policy_loaded_timestamp_seconds", "When the routing policy in force was loaded"
)
TIME_TO_ACK = Histogram(
    "timpora_time_to_ack_seconds",
    "From first routing to acknowledgement",
    buckets=(30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400),
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra={"report_id": ...}`` fields are kept."""

    STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data |= {k: v for k, v in record.__dict__.items() if k not in self.STANDARD}
        if record.exc_info:  # the PII filter leaves a scrubbed copy in exc_text
            data["exc"] = record.exc_text or self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


def setup_logging(settings: Settings, service: str, stream: TextIO | None = None) -> None:
    """Root logging for a service process: one handler, PII filter, library noise down.

    aiokafka logs whole record values at DEBUG, so it is held at WARNING whatever the
    service's level; the PII filter scrubs anything passport-like that gets through.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(PiiLogFilter())
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("aiokafka", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def health_router(
    ready: Callable[[], Awaitable[dict[str, bool]]],
    before_scrape: Callable[[], Awaitable[None]] | None = None,
    degraded: Callable[[], dict[str, str]] | None = None,
) -> APIRouter:
    """Liveness, readiness (every check true) and Prometheus metrics.

    ``degraded`` names what works, but not as configured (name → why): /ready then says
    ``"status": "degraded"`` with HTTP 200, so an orchestrator keeps the process."""
    router = APIRouter(tags=["operations"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def is_ready(response: Response) -> dict[str, object]:
        checks, problems = await ready(), degraded() if degraded else {}
        ok = all(checks.values())
        response.status_code = 200 if ok else 503
        status = "down" if not ok else "degraded" if problems else "ok"
        return {"ready": ok, "status": status, "checks": checks, "degraded": problems}

    @router.get("/metrics")
    async def metrics() -> Response:
        if before_scrape is not None:
            await before_scrape()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_error_handlers(app: FastAPI) -> None:
    """Every error body has the same shape: {"error", "message", "reasons"}."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail
            if isinstance(exc.detail, dict)
            else {"error": "http_error", "message": str(exc.detail)}
        )
        return JSONResponse({"reasons": [], **detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = [
            {"code": "invalid_request", "message": e["msg"], "path": ".".join(map(str, e["loc"]))}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "invalid_request", "message": "invalid request", "reasons": reasons}, 422
        )
