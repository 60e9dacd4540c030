"""The operator console: a FastAPI app serving server-rendered pages (Jinja2, htmx).

Run: ``python -m console_service.web`` (port ``CONSOLE_HTTP_PORT``, 8084). It reads the
services' tables (scoped to each user) and publishes acks and closes on ``alerts.acks``;
``/health``, ``/ready`` and ``/metrics`` as every service. Upstream systems ask for their
reports' status here with their API keys (``GET /v1/reports/{id}``, :mod:`.status_api`);
other agencies read an office's open alerts as CAP 1.2 (``GET /v1/feeds/{office}/cap.atom``,
:mod:`.feed_api`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from console_service.purge_ops import purge_loop
from console_service.web import (
    deadletter_pages,
    feed_api,
    member_pages,
    office_pages,
    pages,
    region_pages,
    silence_pages,
    source_pages,
    status_api,
    system_pages,
    team_pages,
)
from console_service.web.kit import Kit, LoginRequired
from console_service.web.story import place_name
from shared.runtime import Runtime, http_app
from shared.settings import ConsoleSettings

HERE = Path(__file__).resolve().parent
WITA = ZoneInfo("Asia/Makassar")  # South Kalimantan's time; the pages say so
# Pages carry personal data and per-session tokens: never cached, never framed, no script
# but our own (htmx is vendored under /static).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


def create_app(settings: ConsoleSettings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()
    runtime = runtime or Runtime.build(settings, client_id="timpora-console")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(when=_when, duration=_duration, place=place_name)
    kit = Kit(runtime, settings, templates)

    async def retention() -> None:
        await purge_loop(runtime.sessions, settings.retention, settings.purge_every_hours)

    runtime.background.append(retention)
    app: FastAPI = http_app(
        runtime,
        kit,
        title="Timpora console",
        description="The operator console: alerts, their stories and actions, scoped to "
        "each user's jurisdiction.",
        routers=[
            pages.build_router(kit),
            silence_pages.build_router(kit),
            deadletter_pages.build_router(kit),
            member_pages.build_router(kit),
            system_pages.build_router(kit),
            region_pages.build_router(kit),
            source_pages.build_router(kit),
            team_pages.build_router(kit),
            office_pages.build_router(kit),
            status_api.build_router(kit),
            feed_api.build_router(kit),
        ],
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app


def _when(value: datetime | None) -> str:
    return value.astimezone(WITA).strftime("%d-%m %H:%M:%S WITA") if value else ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}j {minutes}m" if hours else f"{minutes}m {secs}d"
