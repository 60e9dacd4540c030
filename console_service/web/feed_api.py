"""``GET /v1/feeds/{office_id}/cap.atom``: another agency (police, regional government)
reads an office's open alerts as CAP 1.2 messages in an Atom feed (docs/cap-feed.md).

Who reads what: a feed key (``X-API-Key`` or ``Authorization: Bearer``) names a
subscriber bound to one office (:mod:`console_service.feed_keys`); no key or an unknown
one answers 401, another office's feed, or an office that does not exist, the same 404
before anything is read. The feed holds no personal data (:mod:`console_service.cap_feed`).
Load (:mod:`.feed_store`, the office's home area as the scope) -> decide
(:func:`console_service.cap_feed.atom_feed`) -> answer; nothing is written.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request
from fastapi.responses import Response

from console_service.cap_feed import ATOM_MEDIA_TYPE, FeedHeader, atom_feed
from console_service.feed_keys import FeedKey, FeedKeyRegistry
from console_service.web import api_keys, feed_store
from console_service.web.kit import Kit
from console_service.web.status_api import ErrorBody
from shared.offices import get_office
from shared.schemas import utcnow

log = logging.getLogger(__name__)
DEFAULT_PER_MINUTE = 60  # feed reads a subscriber may make a minute (its key's limit wins)
NOT_FOUND = {"error": "not_found", "message": "no feed of this office for this key"}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {ATOM_MEDIA_TYPE: {}},
        "description": "Atom 1.0 feed; each entry's content a CAP 1.2 alert",
    },
    401: {"model": ErrorBody, "description": "No feed key, or one no subscriber has"},
    404: {
        "model": ErrorBody,
        "description": "Another office's feed, or no such office (the same answer)",
    },
    429: {"model": ErrorBody, "description": "Over the subscriber's request rate"},
}


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["feeds"])
    settings = kit.settings
    production = settings.environment == "production"
    path = settings.feed_keys
    registry = FeedKeyRegistry.from_file(path, production=production) if path else None
    keep = timedelta(hours=settings.feed_cancel_keep_hours)
    limits = api_keys.CallerLimits()

    def subscriber(
        x_api_key: Annotated[str | None, Header(description="The subscriber's feed key")] = None,
        authorization: Annotated[str | None, Header(description="Or: Bearer <feed key>")] = None,
    ) -> FeedKey:
        key = api_keys.presented(x_api_key, authorization, "feed key")
        found = registry.authenticate(key) if registry else None
        if found is None:
            raise HTTPException(401, {"error": "unauthorized", "message": "unknown feed key"})
        limits.spend(found.subscriber, found.rate_limit_per_minute or DEFAULT_PER_MINUTE)
        return found

    @router.get(
        "/feeds/{office_id}/cap.atom",
        response_class=Response,
        responses=RESPONSES,
        operation_id="office_cap_feed",
        summary="An office's open alerts as CAP 1.2 (Atom feed)",
        description="One entry per open or acknowledged alert of the office's home area: "
        "msgType Alert (version 1), Update (later versions, referencing the previous), "
        "Cancel (closed, kept for CONSOLE_FEED_CANCEL_KEEP_HOURS). Scope Restricted; "
        "areas as Kemendagri geocodes; no personal data.",
    )
    async def office_feed(
        request: Request,
        office_id: Annotated[str, Path(max_length=64, examples=["batulicin"])],
        key: FeedKey = Depends(subscriber),  # a default: build_router's own function
    ) -> Response:
        if key.office != office_id:
            raise HTTPException(404, NOT_FOUND)
        now = utcnow()
        async with kit.runtime.sessions() as session:
            office = await get_office(session, office_id)
            if office is None:
                raise HTTPException(404, NOT_FOUND)
            alerts = await feed_store.load(
                session=session, home_area=office.home_area, now=now, cancel_keep=keep
            )
        header = FeedHeader(
            office_id=office.id,
            office_name=office.name,
            sender=f"{office.id}@{settings.feed_sender_domain}",
            self_url=str(request.url),
        )
        body = atom_feed(header, alerts, now=now, cancel_keep=keep)
        log.info("cap feed %s read by %s: %d alerts", office.id, key.subscriber, len(alerts))
        return Response(body, media_type=ATOM_MEDIA_TYPE)

    return router
