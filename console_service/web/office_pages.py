"""Offices in the console: an administrator lists every office and adds or edits one
(home area, fallback team, sources, overrides of the policy's defaults); anyone else
sees only their own office, read-only. A save goes through the checks of
``timpora offices import`` (:mod:`console_service.office_ops`) and is audited
(``office_add`` / ``office_edit`` with the changed fields); routing applies it within
30 s. Offices hold no personal data."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from console_service import office_ops
from console_service.web.identity import Identity
from console_service.web.kit import Kit
from shared.offices import OVERRIDABLE, Office, get_office

FIELDS = ("id", "name", "home_area", "fallback_team", "sources", *OVERRIDABLE)


def form_of(office: Office | None) -> dict[str, str]:
    """The form's text fields for ``office`` (empty for a new one)."""
    if office is None:
        return dict.fromkeys(FIELDS, "")
    return {
        "id": office.id,
        "name": office.name,
        "home_area": ", ".join(office.home_area),
        "fallback_team": office.fallback_team,
        "sources": ", ".join(office.sources),
        **{k: _shown(office.defaults, k) for k in OVERRIDABLE},
    }


def _shown(defaults: dict[str, Any], key: str) -> str:
    if key not in defaults:
        return ""  # the policy's default
    return "never" if defaults[key] is None else str(defaults[key])


def parsed(fields: dict[str, str]) -> Office:
    """The office a submitted form describes (ValueError with the reason). An empty
    override keeps the policy's default; ``never`` for escalate_after: no escalation."""
    words = lambda key: [w for w in re.split(r"[\s,]+", fields.get(key, "")) if w]  # noqa: E731
    defaults: dict[str, Any] = {}
    for key in OVERRIDABLE:
        value = fields.get(key, "").strip()
        if value:
            defaults[key] = None if key == "escalate_after" and value == "never" else value
    try:
        return Office(
            id=fields.get("id", "").strip(),
            name=fields.get("name", "").strip(),
            home_area=words("home_area"),
            fallback_team=fields.get("fallback_team", "").strip(),
            sources=words("sources"),
            defaults=defaults,
        )
    except ValidationError as exc:
        raise ValueError(
            "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'office'}: {e['msg']}" for e in exc.errors()
            )
        ) from None


def changed(before: Office | None, after: Office) -> list[str]:
    if before is None:
        return sorted(FIELDS)
    old, new = before.model_dump(), after.model_dump()
    return sorted(k for k in new if old[k] != new[k])


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def page(
        request: Request,
        who: Identity,
        fields: dict[str, str],
        office_id: str | None,
        error: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        return kit.render(
            request,
            "office.html",
            who,
            status_code,
            fields=fields,
            office_id=office_id,
            error=error,
            editable=who.role == "admin",
            overridable=OVERRIDABLE,
        )

    @router.get("/offices")
    async def offices(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            rows = await office_ops.summaries(session)
        if who.role != "admin":
            rows = [r for r in rows if r.office.id == who.office]
        return kit.render(request, "offices.html", who, rows=rows)

    @router.get("/offices/new")
    async def new_office(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (_session, who):
            pass
        if who.role != "admin":
            return kit.error(request, who, 403, "admins_only")
        return page(request, who, form_of(None), None)

    @router.get("/offices/{office_id}")
    async def office(request: Request, office_id: str) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            found = await get_office(session, office_id)
        if found is None or (who.role != "admin" and who.office != office_id):
            return kit.not_found(request, who)
        return page(request, who, form_of(found), office_id)

    @router.post("/offices", response_model=None)
    async def save(request: Request) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.csrf_refused(request, who):
                return denied
            if who.role != "admin":
                return kit.error(request, who, 403, "admins_only")
            form = await request.form()
            fields = {k: v for k, v in form.items() if isinstance(v, str) and k in FIELDS}
            editing = str(form.get("editing") or "") or None
            try:
                office = parsed(fields)
                if editing and office.id != editing:
                    raise ValueError("id: an office's id cannot change (users belong to it)")
                before = await get_office(session, office.id)
                if before is not None and editing is None:
                    raise ValueError(f"id: office {office.id!r} exists")
                await office_ops.save_office(session, office)
            except ValueError as exc:
                await session.rollback()
                return page(request, who, {**form_of(None), **fields}, editing, str(exc), 422)
            action = "office_add" if before is None else "office_edit"
            kit.audit(session, request, who, action, office.id, fields=changed(before, office))
        return RedirectResponse(f"/offices/{office.id}", status_code=303)

    return router
