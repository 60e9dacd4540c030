"""The member page (the link in every alert message) as a member's phone uses it: the
console app over HTTP, reading its settings from the environment the test set up."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from console_service.web.app import create_app
from shared.settings import ConsoleSettings

LINK = re.compile(r"/a/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def token_in(text: str) -> str:
    found = LINK.search(text)
    assert found, f"no member link in {text!r}"
    return found[1]


@dataclass
class MemberPages:
    client: httpx.AsyncClient

    async def open(self, token: str) -> httpx.Response:
        return await self.client.get(f"/a/{token}")

    async def post(self, token: str, what: str, **form: str) -> httpx.Response:
        """Open the page (its CSRF cookie and token), then press ``what`` (ack, close,
        code, full) with ``form``."""
        page = await self.open(token)
        csrf = CSRF.search(page.text)
        assert csrf, page.text
        return await self.client.post(f"/a/{token}/{what}", data={"csrf": csrf[1], **form})


@asynccontextmanager
async def member_pages(**overrides: object) -> AsyncIterator[MemberPages]:
    app = create_app(ConsoleSettings(**overrides))  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as client,
    ):
        yield MemberPages(client)
