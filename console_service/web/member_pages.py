"""The member page: the link in every alert message (``/a/<token>``), for the team
member who received it, on a phone, without a console account.

The token (signed by notify, :mod:`notify_service.signing`) names the alert and the
member and expires after ``NOTIFY_LINK_TTL_HOURS``; closing the alert or leaving the team
revokes it (:func:`member_rules.link_verdict`). The page shows the alert masked, with
ack and close buttons (recorded once per member like an SMS reply, published on
``alerts.acks``); full details only after a one-time code that notify sends to the
member's own phone or chat (``members.stepup``), each view in the audit log. Forms carry
a CSRF token (double submit, cookie bound to ``/a/``); pages are never cached and send no
referrer (the token is in the URL).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web import access, actions, member_rules, member_store
from console_service.web.kit import Kit, client_ip
from console_service.web.story import place_name, report_of
from notify_service.signing import code_digest, verify_token
from routing_service.models import AlertRow
from shared import topics
from shared.db import transaction
from shared.kafka import Outgoing, dumps, publish_all
from shared.schemas import AlertAcknowledged, Member, StepUpRequested, new_id, utcnow

MEMBER_COOKIE = "timpora_member"  # the member forms' CSRF token (double submit)
NOTE_MAX = 500
PROBLEM = {"unknown": "m_invalid", "closed": "m_closed", "left": "m_left"}
PROBLEM_STATUS = {"m_invalid": 404, "m_closed": 410, "m_left": 410}
CODE_PROBLEM = {
    "wrong": "m_code_wrong",
    "expired": "m_code_expired",
    "exhausted": "m_code_exhausted",
    "used": "m_code_used",
    "unknown": "m_code_unknown",
}


@dataclass(frozen=True)
class Opened:
    """A link that opens: its alert, and its member as the directory has them today."""

    alert: AlertRow
    member: Member
    team_id: str
    channel: str | None


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    settings = kit.settings
    secret = settings.secret_key.get_secret_value()  # one-time codes' digests
    secrets_held = settings.verification_secrets  # links: the current key, then previous ones

    async def opened(session: AsyncSession, token: str) -> Opened | str:
        """The link's alert and member, or the problem's message key."""
        claims = verify_token(secrets_held, token)
        if claims is None:
            return "m_invalid"
        alert_id, member_id = claims
        link = await member_store.member_link(
            session=session, alert_id=alert_id, member_id=member_id
        )
        verdict = member_rules.link_verdict(
            alert_status=link.alert.status if link.alert else None,
            delivered_teams=link.delivered_teams,
            teams_listing_member=[link.team_id] if link.team_id else [],
        )
        if verdict != "ok" or link.alert is None or link.member is None or not link.team_id:
            return PROBLEM[verdict]
        return Opened(link.alert, link.member, link.team_id, link.channel)

    def page(
        request: Request, token: str, link: Opened | str, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        csrf = request.cookies.get(MEMBER_COOKIE) or secrets.token_urlsafe(32)
        if isinstance(link, str):
            response = kit.error(request, None, PROBLEM_STATUS[link], link)
        else:
            full = bool(ctx.pop("full", False))
            report = report_of(link.alert.last_payload, full) if link.alert.last_payload else None
            response = kit.render(
                request,
                "member.html",
                None,
                status,
                a=link.alert,
                place=place_name(link.alert.place_code or link.alert.jurisdiction_code),
                v={"report": report, "fallback": None} if report else None,
                full=full,
                token=token,
                csrf=csrf,
                **ctx,
            )
        response.set_cookie(
            MEMBER_COOKIE,
            csrf,
            path="/a/",
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def posted(request: Request) -> dict[str, str] | None:
        """The form, when its CSRF token matches the cookie."""
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if not access.same_token(request.cookies.get(MEMBER_COOKIE), form.get("csrf", "")):
            return None
        return form

    def audit(session: AsyncSession, request: Request, link: Opened, what: str) -> None:
        actions.audit(
            session,
            username=f"member:{link.member.member_id}",
            office=None,  # shown to the offices whose scopes hold the alert
            action=what,
            target=link.alert.alert_id,
            ip=client_ip(request),
            team_id=link.team_id,
        )

    @router.get("/a/{token}")
    async def member_page(request: Request, token: str) -> Response:
        async with transaction(kit.runtime.sessions) as session:
            link = await opened(session, token)
        return page(request, token, link)

    async def act(request: Request, token: str, action: Literal["ack", "close"]) -> Response:
        form = await posted(request)
        if form is None:
            return kit.error(request, None, 403, "csrf")
        note = " ".join(form.get("note", "").split())[:NOTE_MAX] or None
        async with transaction(kit.runtime.sessions) as session:
            link = await opened(session, token)
            if isinstance(link, str):
                return page(request, token, link)
            event = AlertAcknowledged(
                alert_id=link.alert.alert_id,
                ack_code=link.alert.ack_code,
                member_id=link.member.member_id,
                channel="link",
                action=action,
                note=note if action == "close" else None,
            )
            first = await member_store.claim_ack(
                session=session,
                ack_id=event.ack_id,
                alert_id=event.alert_id,
                member_id=link.member.member_id,
                action=action,
                note=event.note,
            )
            if first:  # inside the transaction: a failed publish rolls the claim back
                audit(session, request, link, action)
                await session.flush()
                out = Outgoing(topics.ALERTS_ACKS, event.alert_id, dumps(event))
                await publish_all(kit.runtime.broker, settings, [out])
        done = {"ack": "m_acked_first", "close": "m_closed_first"}[action]
        return page(request, token, link, flash=done if first else "m_again")

    @router.post("/a/{token}/ack")
    async def member_ack(request: Request, token: str) -> Response:
        return await act(request, token, "ack")

    @router.post("/a/{token}/close")
    async def member_close(request: Request, token: str) -> Response:
        return await act(request, token, "close")

    @router.post("/a/{token}/code")
    async def ask_code(request: Request, token: str) -> Response:
        if await posted(request) is None:
            return kit.error(request, None, 403, "csrf")
        async with transaction(kit.runtime.sessions) as session:
            link = await opened(session, token)
            if isinstance(link, str):
                return page(request, token, link)
            asked = await member_store.codes_requested_since(
                session=session,
                member_id=link.member.member_id,
                since=utcnow() - timedelta(hours=1),
            )
            if not member_rules.may_request_code(
                requested_last_hour=asked, per_hour=settings.step_up_codes_per_hour
            ):
                return page(request, token, link, 429, problem="m_too_many_codes")
            event = StepUpRequested(
                alert_id=link.alert.alert_id,
                member_id=link.member.member_id,
                team_id=link.team_id,
                channel=link.channel,
                ack_code=link.alert.ack_code,
            )
            audit(session, request, link, "code_requested")
            await session.flush()
            out = Outgoing(topics.MEMBERS_STEP_UP, event.member_id, dumps(event))
            await publish_all(kit.runtime.broker, settings, [out])
        return page(request, token, link, flash="m_code_sent", request_id=event.request_id)

    @router.post("/a/{token}/full")
    async def show_full(request: Request, token: str) -> Response:
        form = await posted(request)
        if form is None:
            return kit.error(request, None, 403, "csrf")
        request_id = form.get("request_id", "")[:32]
        async with transaction(kit.runtime.sessions) as session:
            link = await opened(session, token)
            if isinstance(link, str):
                return page(request, token, link)
            code = await member_store.step_up_code(
                session=session, request_id=request_id or new_id()
            )
            if code is not None and (code.alert_id, code.member_id) != (
                link.alert.alert_id,
                link.member.member_id,
            ):
                code = None  # another alert's or member's code opens nothing here
            now = utcnow()
            verdict = member_rules.code_verdict(
                stored_digest=code.code_digest if code else None,
                presented_digest=code_digest(secret, request_id, form.get("code", "")[:12]),
                expires_at=code.expires_at if code else None,
                attempts=code.attempts if code else 0,
                used_at=code.used_at if code else None,
                now=now,
                max_attempts=settings.step_up_attempts,
            )
            if code is not None and verdict in ("ok", "wrong"):
                await member_store.count_attempt(
                    session=session, request_id=request_id, used_at=now if verdict == "ok" else None
                )
            if verdict == "ok":
                audit(session, request, link, "view_pii")
        if verdict != "ok":
            again = request_id if verdict == "wrong" or verdict == "unknown" else None
            return page(request, token, link, 403, problem=CODE_PROBLEM[verdict], request_id=again)
        return page(request, token, link, full=True)

    return router
