"""Sources and feed subscribers in the console (``/sources``): the upstream systems that
send reports (ingest's key file: formats, home area, the office owning each) and the
agencies that read an office's CAP feed (the console's feed key file). An administrator
sees every one and what does not fit between the key files and the office records; anyone
else sees only their office's. Read-only and never a key or its hash: keys are made by
``timpora sources new`` and ``timpora feeds new-key`` (shown once). The files are read
when the console starts, as the feed and the dead-letter pages read them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console_service.feed_keys import FeedKeyRegistry
from console_service.source_rules import (
    feed_problems,
    source_problems,
    source_views,
    subscriber_views,
)
from console_service.web.feed_api import DEFAULT_PER_MINUTE
from console_service.web.kit import Kit
from shared.offices import all_offices
from shared.sources import KeyRegistry


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    settings = kit.settings
    production = settings.environment == "production"
    sources = KeyRegistry.from_file(settings.sources_file, production=production).sources
    feeds = settings.feed_keys
    registry = FeedKeyRegistry.from_file(feeds, production=production) if feeds else None
    subscribers = registry.subscribers if registry else []

    @router.get("/sources")
    async def source_page(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            offices = await all_offices(session)
        admin = who.role == "admin"
        office = None if admin else who.office
        problems = (
            [*source_problems(sources, offices), *feed_problems(subscribers, offices)]
            if admin
            else []
        )
        return kit.render(
            request,
            "sources.html",
            who,
            sources=source_views(sources, offices, office),
            subscribers=subscriber_views(subscribers, office),
            problems=problems,
            default_rate=DEFAULT_PER_MINUTE,
        )

    return router
