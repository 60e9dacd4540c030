"""Fake generic HTTP SMS provider: the JSON API ``notify_service.channels.http_sms`` speaks.

``POST /sms`` with ``Authorization: Bearer <token>`` and a JSON body of exactly
``{"to", "message", "reference"}``. 201 ``{"id": "sms-N"}`` for a new message; a repeated
``reference`` answers 200 ``{"id": <the first id>, "duplicate": true}`` and is not
delivered again (the provider-side idempotency the client relies on). 401
``{"error": "unauthorized"}``, 400 for a body that is not JSON, 422 for another shape;
scripted failures answer ``{"error": "scripted <status>"}`` (with ``Retry-After`` if set).
"""

from __future__ import annotations

import re

from devtools.base import OnReceive, Received
from devtools.http_server import JSON, HttpFake, Request, Response

TOKEN = "http-sms-token"
FIELDS = {"to", "message", "reference"}


class HttpSmsGateway(HttpFake):
    """JSON ``POST /sms`` ``{to, message, reference}``, idempotent by ``reference``."""

    channel = "sms"
    route = re.compile(r"/sms")

    def __init__(
        self,
        token: str = TOKEN,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
    ) -> None:
        super().__init__(port=port, fast=fast, on_receive=on_receive)
        self.token = token
        self.by_reference: dict[str, str] = {}

    @property
    def url(self) -> str:
        return f"{self.base_url}/sms"

    def error_response(self, status: int, retry_after: float | None) -> Response:
        return Response.json({"error": f"scripted {status}"}, status, retry_after)

    def answer(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response.json({"error": "unauthorized"}, 401)
        try:
            body = request.json()
        except ValueError:
            return Response.json({"error": "invalid json"}, 400)
        if not isinstance(body, dict) or set(body) != FIELDS:
            return Response.json({"error": "expected {to, message, reference}"}, 422)
        if body["reference"] in self.by_reference:
            return Response.json({"id": self.by_reference[body["reference"]], "duplicate": True})
        message_id = f"sms-{self.next_id()}"
        self.by_reference[body["reference"]] = message_id
        self.record(Received("sms", body["to"], body["message"], meta={"id": message_id}))
        return Response.json({"id": message_id}, 201)

    def fast_answer(self, request: Request) -> Response:
        return Response(201, b'{"id":"sms-%d"}' % self.next_id(), JSON)
