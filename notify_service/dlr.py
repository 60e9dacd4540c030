"""Kannel's delivery reports: ``GET|POST /v1/webhooks/kannel/dlr``.

Every SMS asks Kannel to call its ``dlr-url`` (:mod:`notify_service.channels.kannel`):
``http://kannel:<NOTIFY_INBOUND_KEY>@notify:8083/v1/webhooks/kannel/dlr?id=<delivery
id>&type=%d&at=%T``. Authenticated like the MO callback: the key as the Basic auth
password (or, leaking into proxy logs, ``?key=``); a bad or missing key is 401 and
changes nothing. The report is :func:`notify_service.receipts.kannel_receipt` applied by
:func:`notify_service.receipting.apply_receipts`: 1 delivered, 2 and 16 failed (the
member's next channel starts now), 4 and 8 intermediate (nothing changes). Kannel is
answered 200 for any authenticated report, so it does not retry one we cannot use.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from notify_service.acks import _basic_password, _check_key, _form
from notify_service.deps import NotifyDeps
from notify_service.receipting import apply_receipts
from notify_service.receipts import kannel_receipt


def build_router(deps: NotifyDeps) -> APIRouter:
    router = APIRouter()

    async def kannel_dlr(
        request: Request,
        key: Annotated[str, Query()] = "",
        delivery_id: Annotated[str, Query(alias="id", max_length=64)] = "",
        dlr_type: Annotated[str, Query(alias="type", max_length=8)] = "",
    ) -> PlainTextResponse:
        _check_key(deps.settings.inbound_key, _basic_password(request) or key)
        if request.method == "POST" and not delivery_id:
            form = await _form(request)
            delivery_id, dlr_type = form.get("id", "")[:64], form.get("type", "")[:8]
        receipt = kannel_receipt(delivery_id, dlr_type)
        if receipt is not None:
            await apply_receipts(deps, [receipt])
        return PlainTextResponse("ok" if receipt else "ignored")

    for method in ("GET", "POST"):  # one operation id each, as OpenAPI wants
        router.add_api_route(
            "/v1/webhooks/kannel/dlr",
            kannel_dlr,
            methods=[method],
            operation_id=f"kannel_dlr_{method.lower()}",
            summary="SMS delivery reports (Kannel dlr-url: ?id=<delivery>&type=%d&at=%T)",
            response_class=PlainTextResponse,
        )
    return router
