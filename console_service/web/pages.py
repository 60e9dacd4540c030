"""The console's pages and actions. Each request: identify the session, read through the
scoped queries, render; an action also checks the CSRF token and the role, then records
and publishes (:mod:`console_service.web.actions`). Out-of-scope ids answer 404."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web import access, actions, identity, queries
from console_service.web.identity import Identity
from console_service.web.story import story_view
from console_service.web.words import LANGS, Lang, translator
from shared.db import transaction
from shared.runtime import Runtime
from shared.schemas import utcnow
from shared.settings import ConsoleSettings

SESSION_COOKIE = "timpora_session"
LOGIN_COOKIE = "timpora_login"  # the login form's CSRF token (double submit)
LANG_COOKIE = "timpora_lang"


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form (htmx: HX-Redirect)."""


@dataclass
class ConsoleDeps:
    runtime: Runtime
    settings: ConsoleSettings
    templates: Jinja2Templates


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _lang(request: Request) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "id"
    return "en" if asked == "en" else "id"


def build_router(deps: ConsoleDeps) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    settings = deps.settings

    def render(
        request: Request,
        name: str,
        who: Identity | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = _lang(request)
        response = deps.templates.TemplateResponse(
            request,
            name,
            {
                "t": translator(lang),
                "lang": lang,
                "who": who,
                "refresh_s": settings.refresh_seconds,
                **context,
            },
            status_code=status_code,
        )
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", secure=settings.secure_cookies)
        return response

    @contextlib.asynccontextmanager
    async def signed_in(request: Request) -> AsyncIterator[tuple[AsyncSession, Identity]]:
        async with transaction(deps.runtime.sessions) as session:
            who = await identity.identify(
                session=session, settings=settings, cookie=request.cookies.get(SESSION_COOKIE)
            )
            if who is None:
                await session.commit()  # an expired session's row is deleted
                raise LoginRequired
            yield session, who

    async def acting(request: Request, session: AsyncSession, who: Identity) -> Response | None:
        """403 unless the form carries the session's CSRF token and the role may act."""
        form = await request.form()
        token = form.get("csrf") or request.headers.get("X-CSRF-Token")
        if not access.same_token(token if isinstance(token, str) else None, who.csrf_token):
            return render(request, "error.html", who, 403, message="CSRF")
        if not who.may_act:
            return render(
                request, "error.html", who, 403, message=translator(_lang(request))("read_only")
            )
        return None

    def not_found(request: Request, who: Identity) -> HTMLResponse:
        return render(
            request, "error.html", who, 404, message=translator(_lang(request))("not_found")
        )

    # --- login -----------------------------------------------------------------------

    @router.get("/login")
    async def login_form(request: Request, error: str | None = None) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = render(request, "login.html", None, csrf=token, error=error)
        response.set_cookie(
            LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies
        )
        return response

    @router.post("/login")
    async def login(
        request: Request,
        username: str = Form(..., max_length=50),
        password: str = Form(..., max_length=200),
        csrf: str = Form(""),
    ) -> Response:
        if not access.same_token(request.cookies.get(LOGIN_COOKIE), csrf):
            return render(request, "error.html", None, 403, message="CSRF")
        async with transaction(deps.runtime.sessions) as session:
            verdict, user = await identity.check_login(
                session=session, settings=settings, username=username, password=password
            )
            actions.audit(
                session,
                username=username[:50],
                office=user.office if user else None,
                action="login" if verdict.allowed else f"login_{verdict.reason}",
                ip=_ip(request),
            )
            if not verdict.allowed or user is None:
                error = "login_locked" if verdict.reason == "locked" else "login_failed"
                await session.commit()
                return RedirectResponse(f"/login?error={error}", status_code=303)
            cookie = await identity.open_session(
                session=session, settings=settings, user=user, ip=_ip(request)
            )
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(LOGIN_COOKIE)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=settings.session_max_hours * 3600,
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        async with signed_in(request) as (session, who):
            if denied := await acting_csrf_only(request, who):
                return denied
            await identity.close_session(
                session=session, settings=settings, cookie=request.cookies[SESSION_COOKIE]
            )
            actions.audit(
                session, username=who.username, office=who.office, action="logout", ip=_ip(request)
            )
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def acting_csrf_only(request: Request, who: Identity) -> Response | None:
        form = await request.form()
        token = form.get("csrf")
        if not access.same_token(token if isinstance(token, str) else None, who.csrf_token):
            return render(request, "error.html", who, 403, message="CSRF")
        return None

    # --- pages -----------------------------------------------------------------------

    @router.get("/")
    async def overview(request: Request) -> HTMLResponse:
        async with signed_in(request) as (session, who):
            data = await queries.overview(session=session, who=who, now=utcnow())
        return render(
            request,
            "overview.html",
            who,
            data=data,
            levels=queries.LEVELS,
            severities=queries.SEVERITIES,
            now=utcnow(),
        )

    def alert_filter(request: Request) -> queries.AlertFilter:
        q = request.query_params
        return queries.AlertFilter(
            status=q.get("status") or None,
            level=q.get("level") or None,
            severity=q.get("severity") or None,
            team=q.get("team") or None,
            code=q.get("code") or None,
        )

    @router.get("/alerts")
    async def alert_list(request: Request) -> HTMLResponse:
        where = alert_filter(request)
        async with signed_in(request) as (session, who):
            rows = await queries.alerts(session=session, who=who, where=where)
        return render(
            request,
            "alerts.html",
            who,
            rows=rows,
            where=where,
            query=request.url.query,
            levels=queries.LEVELS,
            severities=queries.SEVERITIES,
        )

    @router.get("/alerts/rows")
    async def alert_rows(request: Request) -> HTMLResponse:
        async with signed_in(request) as (session, who):
            rows = await queries.alerts(session=session, who=who, where=alert_filter(request))
        return render(request, "_alert_rows.html", who, rows=rows)

    async def story_page(
        request: Request, alert_id: str, *, reveal: bool, template: str
    ) -> Response:
        async with signed_in(request) as (session, who):
            story = await queries.story(session=session, who=who, alert_id=alert_id)
            if story is None:
                return not_found(request, who)
            if reveal:
                actions.audit(
                    session,
                    username=who.username,
                    office=who.office,
                    action="view_pii",
                    target=alert_id,
                    ip=_ip(request),
                )
        return render(
            request,
            template,
            who,
            s=story_view(story, reveal=reveal),
            flash=request.query_params.get("done"),
        )

    @router.get("/alerts/{alert_id}")
    async def alert_story(request: Request, alert_id: str) -> Response:
        return await story_page(request, alert_id, reveal=False, template="alert.html")

    @router.get("/alerts/{alert_id}/state")
    async def alert_state(request: Request, alert_id: str) -> Response:
        return await story_page(request, alert_id, reveal=False, template="_alert_state.html")

    @router.post("/alerts/{alert_id}/reveal")
    async def alert_reveal(request: Request, alert_id: str) -> Response:
        async with signed_in(request) as (session, who):
            if denied := await acting(request, session, who):
                return denied
        return await story_page(request, alert_id, reveal=True, template="alert.html")

    async def act(
        request: Request, alert_id: str, kind: Literal["ack", "close", "note"]
    ) -> Response:
        async with signed_in(request) as (session, who):
            if denied := await acting(request, session, who):
                return denied
            row = await queries.alert(session=session, who=who, alert_id=alert_id)
            if row is None:
                return not_found(request, who)
            text = str((await request.form()).get("note") or "").strip()
            if kind == "note":
                if text:
                    actions.add_note(session, who=who, alert=row, text=text, ip=_ip(request))
            else:
                await actions.acknowledge(
                    session,
                    deps.runtime.broker,
                    settings,
                    who=who,
                    alert=row,
                    action=kind,
                    note=text,
                    ip=_ip(request),
                )
        done = {"ack": "sent_ack", "close": "sent_close", "note": "saved_note"}[kind]
        return RedirectResponse(f"/alerts/{alert_id}?done={done}", status_code=303)

    @router.post("/alerts/{alert_id}/ack")
    async def alert_ack(request: Request, alert_id: str) -> Response:
        return await act(request, alert_id, "ack")

    @router.post("/alerts/{alert_id}/close")
    async def alert_close(request: Request, alert_id: str) -> Response:
        return await act(request, alert_id, "close")

    @router.post("/alerts/{alert_id}/note")
    async def alert_note(request: Request, alert_id: str) -> Response:
        return await act(request, alert_id, "note")

    @router.get("/audit")
    async def audit_log(request: Request, q: str | None = None) -> HTMLResponse:
        async with signed_in(request) as (session, who):
            entries = await queries.audit(session=session, who=who, text=q)
        return render(request, "audit.html", who, entries=entries, q=q or "")

    return router
