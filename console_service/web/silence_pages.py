"""Silences in the console: the list (scoped), a form whose preview shows which active
alerts the silence would mute, create and expire. The matcher is routing's own
(:class:`routing_service.silences.SilenceMatcher`), so the preview runs the very match
routing applies; rows are written by ``routing_service.store`` only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web import access, queries
from console_service.web.identity import Identity
from console_service.web.kit import Kit
from routing_service import store
from routing_service.models import AlertRow, Silence
from routing_service.silences import SilenceMatcher
from shared.schemas import Category, Report, utcnow

DURATIONS = {"1h": 1, "4h": 4, "12h": 12, "1d": 24, "3d": 72, "7d": 168}
PREVIEW_SCAN = 500


def matcher_from(form: dict[str, Any]) -> SilenceMatcher:
    """The form's matcher (empty fields left out); ValueError with the reason."""
    category = form.get("category") or None
    fields = {
        "jurisdiction_prefix": (form.get("prefix") or "").strip() or None,
        "team_id": (form.get("team_id") or "").strip() or None,
        "category": [Category(category)] if category else None,
        "source": [form["source"].strip()] if (form.get("source") or "").strip() else None,
        "passport_number": (form.get("passport") or "").strip() or None,
    }
    try:
        matcher = SilenceMatcher.model_validate({k: v for k, v in fields.items() if v})
    except (ValidationError, ValueError) as exc:
        raise ValueError(str(exc).splitlines()[0]) from exc
    if matcher.is_empty():
        raise ValueError("empty")
    return matcher


async def would_mute(
    session: AsyncSession, who: Identity, matcher: SilenceMatcher
) -> list[AlertRow]:
    """Active alerts in the user's scopes that the matcher matches (routing's match)."""
    query = select(AlertRow).where(
        queries.alert_scoped(who.scopes), AlertRow.status.in_(queries.OPEN)
    )
    if matcher.jurisdiction_prefix:
        query = query.where(queries.alert_scoped([matcher.jurisdiction_prefix]))
    rows = await session.scalars(query.order_by(AlertRow.created_at.desc()).limit(PREVIEW_SCAN))
    return [
        row
        for row in rows
        if matcher.matches(
            Report.model_validate(row.last_payload["report"]), row.team_id, row.jurisdiction_code
        )
    ]


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def visible(session: AsyncSession, who: Identity) -> list[Silence]:
        rows = await store.list_silences(session=session, now=utcnow(), include_expired=True)
        return [
            r
            for r in rows
            if access.silence_in_scope(who.scopes, r.matchers.get("jurisdiction_prefix"))
        ][:200]

    @router.get("/silences")
    async def silences(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            rows = await visible(session, who)
        return kit.render(
            request,
            "silences.html",
            who,
            rows=rows,
            now=utcnow(),
            durations=DURATIONS,
            categories=[c.value for c in Category],
            flash=request.query_params.get("done"),
        )

    @router.post("/silences/preview")
    async def preview(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            form = dict(await request.form())
            try:
                matcher = matcher_from(form)
            except ValueError as exc:
                return kit.render(request, "_silence_preview.html", who, error=str(exc))
            if not access.silence_in_scope(who.scopes, matcher.jurisdiction_prefix):
                return kit.render(request, "_silence_preview.html", who, error="out_of_scope")
            rows = await would_mute(session, who, matcher)
        return kit.render(request, "_silence_preview.html", who, rows=rows)

    @router.post("/silences")
    async def create(request: Request) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            form = dict(await request.form())
            comment = str(form.get("comment") or "").strip()[:500]
            try:
                matcher = matcher_from(form)
            except ValueError:
                return kit.error(request, who, 400, "silence_invalid")
            hours = DURATIONS.get(str(form.get("duration")))
            if not comment or hours is None:
                return kit.error(request, who, 400, "silence_invalid")
            if not access.silence_in_scope(who.scopes, matcher.jurisdiction_prefix):
                return kit.error(request, who, 403, "out_of_scope")
            now = utcnow()
            silence = await store.add_silence(
                session=session,
                matchers=matcher,
                starts_at=now,
                ends_at=now + timedelta(hours=hours),
                created_by=f"console:{who.username}",
                comment=comment,
            )
            kit.audit(
                session,
                request,
                who,
                "silence_add",
                silence.id,
                matchers=silence.matchers,
                hours=hours,
            )
        return RedirectResponse("/silences?done=silence_added", status_code=303)

    @router.post("/silences/{silence_id}/expire")
    async def expire(request: Request, silence_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            row = await session.get(Silence, silence_id)
            if row is None or not access.silence_in_scope(
                who.scopes, row.matchers.get("jurisdiction_prefix")
            ):
                return kit.not_found(request, who)
            await store.expire_silence(session=session, silence_id=silence_id, now=utcnow())
            kit.audit(session, request, who, "silence_expire", silence_id)
        return RedirectResponse("/silences?done=silence_expired", status_code=303)

    return router
