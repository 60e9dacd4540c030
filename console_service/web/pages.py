"""The console's pages and actions. Each request: identify the session, read through the
scoped queries, render; an action also checks the CSRF token and the role, then records
and publishes (:mod:`console_service.web.actions`). Out-of-scope ids answer 404."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web import access, actions, identity, queries
from console_service.web.identity import Identity
from console_service.web.kit import LOGIN_COOKIE, SESSION_COOKIE, Kit, client_ip
from console_service.web.story import story_view
from routing_service import store as routing_store
from routing_service.models import AlertRow
from shared.db import transaction
from shared.schemas import utcnow

LOGIN_ERRORS = frozenset({"login_failed", "login_locked"})
EXPORT_LIMIT = 10_000
EXPORT_COLUMNS = (
    "alert_id", "version", "created_at", "status", "severity", "category", "level",
    "team_id", "jurisdiction_code", "place_code", "escalation_step", "acked_at", "acked_by",
    "closed_at", "closed_by",
)  # fmt: skip


def export_csv(rows: Sequence[AlertRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        values = [getattr(row, c) for c in EXPORT_COLUMNS]
        writer.writerow([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return out.getvalue()


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    settings = kit.settings
    render, signed_in, not_found = kit.render, kit.signed_in, kit.not_found

    # --- login -----------------------------------------------------------------------

    @router.get("/login")
    async def login_form(request: Request, error: str | None = None) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        known = error if error in LOGIN_ERRORS else None  # never echo a crafted message
        response = render(request, "login.html", None, csrf=token, error=known)
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
            return kit.error(request, None, 403, "csrf")
        if not kit.login_allowed(request):
            throttled = kit.error(request, None, 429, "login_throttled")
            throttled.headers["Retry-After"] = "60"
            return throttled
        async with transaction(kit.runtime.sessions) as session:
            verdict, user = await identity.check_login(
                session=session,
                username=username,
                password=password,
                failures=settings.lockout_failures,
                minutes=settings.lockout_minutes,
            )
            actions.audit(
                session,
                username=username[:50],
                office=user.office if user else None,
                action="login" if verdict.allowed else f"login_{verdict.reason}",
                ip=client_ip(request),
            )
            if not verdict.allowed or user is None:
                error = "login_locked" if verdict.reason == "locked" else "login_failed"
                await session.commit()
                return RedirectResponse(f"/login?error={error}", status_code=303)
            cookie = await identity.open_session(
                session=session, settings=settings, user=user, ip=client_ip(request)
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
            if denied := await kit.csrf_refused(request, who):
                return denied
            await identity.close_session(
                session=session, settings=settings, cookie=request.cookies[SESSION_COOKIE]
            )
            kit.audit(session, request, who, "logout")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

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

    @router.get("/alerts.csv")
    async def alert_export(request: Request) -> Response:
        """The filtered list as CSV (up to 10,000 rows, scoped like the page; no personal
        data: codes, states and times), audited."""
        async with signed_in(request) as (session, who):
            rows = await queries.alerts(
                session=session, who=who, where=alert_filter(request), limit=EXPORT_LIMIT
            )
            kit.audit(
                session, request, who, "export", rows=len(rows), query=request.url.query[:200]
            )
        return Response(
            export_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="timpora-alerts.csv"'},
        )

    async def story_page(
        request: Request, alert_id: str, *, reveal: bool, template: str
    ) -> Response:
        async with signed_in(request) as (session, who):
            story = await queries.story(session=session, who=who, alert_id=alert_id)
            if story is None:
                return not_found(request, who)
            choices = await queries.team_choices(session=session, who=who)
            if reveal:
                kit.audit(session, request, who, "view_pii", alert_id)
        return render(
            request,
            template,
            who,
            s=story_view(story, reveal=reveal),
            teams=[c for c in choices if c.team_id != story.alert.team_id],
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
        async with signed_in(request) as (_session, who):
            if denied := await kit.refused(request, who):
                return denied
        return await story_page(request, alert_id, reveal=True, template="alert.html")

    async def checked_alert(
        request: Request, session: AsyncSession, who: Identity, alert_id: str
    ) -> AlertRow | Response:
        """An action's checks (CSRF token, role) and its alert inside the scopes, or the
        refusal to answer (403, 404)."""
        if denied := await kit.refused(request, who):
            return denied
        row = await queries.alert(session=session, who=who, alert_id=alert_id)
        return row if row is not None else not_found(request, who)

    async def act(
        request: Request, alert_id: str, kind: Literal["ack", "close", "note"]
    ) -> Response:
        async with signed_in(request) as (session, who):
            row = await checked_alert(request, session, who, alert_id)
            if isinstance(row, Response):
                return row
            text = str((await request.form()).get("note") or "").strip()
            if kind == "note":
                if text:
                    actions.add_note(session, who=who, alert=row, text=text, ip=client_ip(request))
            else:
                await actions.acknowledge(
                    session,
                    kit.runtime.broker,
                    settings,
                    who=who,
                    alert=row,
                    action=kind,
                    note=text,
                    ip=client_ip(request),
                )
        done = {"ack": "sent_ack", "close": "sent_close", "note": "saved_note"}[kind]
        return RedirectResponse(f"/alerts/{alert_id}?done={done}", status_code=303)

    @router.post("/alerts/{alert_id}/escalate")
    async def alert_escalate(request: Request, alert_id: str) -> Response:
        """Escalate now: routing's timer loop takes it within a second, one level up."""
        async with signed_in(request) as (session, who):
            row = await checked_alert(request, session, who, alert_id)
            if isinstance(row, Response):
                return row
            if row.status != "open":
                return kit.error(request, who, 409, "not_open")
            await routing_store.escalate_now(session=session, row=row, now=utcnow())
            kit.audit(session, request, who, "escalate_now", alert_id)
        return RedirectResponse(f"/alerts/{alert_id}?done=escalating", status_code=303)

    @router.post("/alerts/{alert_id}/reassign")
    async def alert_reassign(request: Request, alert_id: str) -> Response:
        """Give the alert to another team of the user's area: routing's timer loop sends
        the new version to that team within a second and starts its ladder."""
        async with signed_in(request) as (session, who):
            row = await checked_alert(request, session, who, alert_id)
            if isinstance(row, Response):
                return row
            team_id = str((await request.form()).get("team_id") or "")
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:  # unknown, or another office's team
                return not_found(request, who)
            if row.status != "open":
                return kit.error(request, who, 409, "not_open")
            if team.team_id == row.team_id:
                return kit.error(request, who, 409, "same_team")
            routing_store.request_reassign(
                session=session, alert_id=alert_id, team_id=team.team_id, by=who.actor, now=utcnow()
            )
            kit.audit(session, request, who, "reassign", alert_id, team_id=team.team_id)
        return RedirectResponse(f"/alerts/{alert_id}?done=reassigning", status_code=303)

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
