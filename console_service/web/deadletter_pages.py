"""Dead letters in the console: the latest rejections on ``reports.rejected`` (read from
Kafka), each shown to the offices whose area its source serves, masked (reasons, sizes,
never the original bytes in clear), and replayed onto its topic by an operator (the
CLI's own replay, :func:`console_service.kafka_ops.replay_rejection`), audited."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console_service import kafka_ops
from console_service.web import access
from console_service.web.identity import Identity
from console_service.web.kit import Kit
from shared.pii import mask_original, scrub_text
from shared.schemas import ReportRejected
from shared.sources import KeyRegistry

SHOWN = 100
PREVIEW_CHARS = 600


def masked_view(rejection: ReportRejected) -> dict[str, object]:
    """What the page shows of a dead letter: reasons scrubbed, the original masked."""
    original = base64.b64decode(rejection.original_b64) if rejection.original_b64 else b""
    return {
        "id": rejection.rejection_id,
        "received_at": rejection.received_at,
        "source": rejection.source,
        "format": rejection.source_format.value if rejection.source_format else "",
        "reasons": [(r.code, scrub_text(r.message), r.path or "") for r in rejection.reasons],
        "size": rejection.original_size,
        "original": mask_original(original)[:PREVIEW_CHARS] if original else "",
        "replayable": rejection.original_b64 is not None,
    }


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    registry = KeyRegistry.from_file(
        kit.settings.sources_file, production=kit.settings.environment == "production"
    )

    def in_scope(who: Identity, rejection: ReportRejected) -> bool:
        """A source serves its home area: its dead letters are that office's. A source
        the key file does not know (a raw-topic producer): administrators only."""
        source = registry.source(rejection.source)
        return access.source_in_scope(who.scopes, source.home_area if source else ())

    @router.get("/deadletters")
    async def deadletters(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (_session, who):
            pass
        rows = [
            r for r in await kafka_ops.read_rejections(kit.settings, SHOWN * 5) if in_scope(who, r)
        ][-SHOWN:]
        return kit.render(
            request,
            "deadletters.html",
            who,
            rows=[masked_view(r) for r in reversed(rows)],
            flash=request.query_params.get("done"),
        )

    @router.post("/deadletters/{rejection_id}/replay")
    async def replay(request: Request, rejection_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            found = await kafka_ops.find_rejection(kit.settings, rejection_id)
            if found is None or not in_scope(who, found):
                return kit.not_found(request, who)
            if found.original_b64 is None:
                return kit.error(request, who, 409, "not_replayable")
            kit.audit(session, request, who, "deadletter_replay", rejection_id, source=found.source)
            await session.flush()
            await kafka_ops.replay_rejection(kit.settings, rejection_id, None)
        return RedirectResponse("/deadletters?done=replayed", status_code=303)

    return router
