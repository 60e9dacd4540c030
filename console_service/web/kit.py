"""What every console page needs: its dependencies, the signed-in user of a request, the
CSRF and role check of an action, and rendering in the user's language."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.web import access, actions, identity
from console_service.web.identity import Identity
from console_service.web.words import LANGS, Lang, translator
from shared.db import transaction
from shared.ratelimit import TokenBucket
from shared.runtime import Runtime
from shared.settings import ConsoleSettings

SESSION_COOKIE = "timpora_session"
LOGIN_COOKIE = "timpora_login"  # the login form's CSRF token (double submit)
LANG_COOKIE = "timpora_lang"
MAX_TRACKED_ADDRESSES = 10_000  # login throttling forgets everyone past this (memory bound)


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form (htmx: HX-Redirect)."""


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def language(request: Request) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "id"
    return "en" if asked == "en" else "id"


@dataclass
class Kit:
    runtime: Runtime
    settings: ConsoleSettings
    templates: Jinja2Templates
    _login_buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def login_allowed(self, request: Request) -> bool:
        """Login throttling per client address (before any password is checked), besides
        the per-account lockout: a guesser spreading over many accounts is slowed too."""
        if len(self._login_buckets) > MAX_TRACKED_ADDRESSES:
            self._login_buckets.clear()
        per_minute = self.settings.login_attempts_per_minute
        bucket = self._login_buckets.setdefault(
            client_ip(request) or "-", TokenBucket(per_minute / 60.0, burst=per_minute)
        )
        return bucket.try_acquire()

    def render(
        self,
        request: Request,
        name: str,
        who: Identity | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = language(request)
        response = self.templates.TemplateResponse(
            request,
            name,
            {
                "t": translator(lang),
                "lang": lang,
                "who": who,
                "refresh_s": self.settings.refresh_seconds,
                **context,
            },
            status_code=status_code,
        )
        if request.query_params.get("lang") in LANGS:
            response.set_cookie(
                LANG_COOKIE, lang, samesite="lax", secure=self.settings.secure_cookies
            )
        return response

    def error(self, request: Request, who: Identity | None, status: int, key: str) -> HTMLResponse:
        message = translator(language(request))(key)
        return self.render(request, "error.html", who, status, message=message)

    def not_found(self, request: Request, who: Identity) -> HTMLResponse:
        return self.error(request, who, 404, "not_found")

    @contextlib.asynccontextmanager
    async def signed_in(self, request: Request) -> AsyncIterator[tuple[AsyncSession, Identity]]:
        """The request's transaction and user; :class:`LoginRequired` without a session."""
        async with transaction(self.runtime.sessions) as session:
            who = await identity.identify(
                session=session,
                settings=self.settings,
                cookie=request.cookies.get(SESSION_COOKIE),
            )
            if who is None:
                await session.commit()  # an expired session's row is deleted
                raise LoginRequired
            yield session, who

    def audit(
        self,
        session: AsyncSession,
        request: Request,
        who: Identity,
        action: str,
        target: str | None = None,
        **detail: Any,
    ) -> None:
        """An audit entry of ``who`` doing ``action`` from this request's address."""
        actions.audit(
            session,
            username=who.username,
            office=who.office,
            action=action,
            target=target,
            ip=client_ip(request),
            **detail,
        )

    async def csrf_refused(self, request: Request, who: Identity) -> Response | None:
        """403 unless the form (or the htmx header) carries the session's CSRF token."""
        form = await request.form()
        token = form.get("csrf") or request.headers.get("X-CSRF-Token")
        if not access.same_token(token if isinstance(token, str) else None, who.csrf_token):
            return self.error(request, who, 403, "csrf")
        return None

    async def refused(self, request: Request, who: Identity) -> Response | None:
        """An action's checks: the CSRF token, then a role that may act."""
        if denied := await self.csrf_refused(request, who):
            return denied
        if not who.may_act:
            return self.error(request, who, 403, "read_only")
        return None
