"""Fake webhook receiver: the contract of ``notify_service.channels.webhook``, checked
independently (its own HMAC, not the product's code).

``POST /hook`` (or any path below it) with ``Content-Type: application/json``, a JSON
body, ``X-Timpora-Signature: sha256=<hex HMAC-SHA256 of the body with the shared
secret>`` (GitHub's scheme) and ``X-Timpora-Delivery: <delivery key>``. 200 ``ok``; 401
``bad signature``, 415 for another content type, 400 for a body that is not JSON. A
message is recorded with the full URL as ``to``, the body as ``text`` and the delivery key
in ``meta``; ``deliveries`` counts accepted messages per delivery key (a retry that got
through twice shows as 2).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter

import orjson

from devtools.base import OnReceive, Received
from devtools.http_server import HttpFake, Request, Response

SECRET = "hook-secret"
OK = Response.plain("ok")


class WebhookReceiver(HttpFake):
    """Accepts ``POST /hook`` (any path below it) when the HMAC signature verifies."""

    channel = "webhook"
    route = re.compile(r"/hook(?:/.*)?")

    def __init__(
        self,
        secret: str = SECRET,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
    ) -> None:
        super().__init__(port=port, fast=fast, on_receive=on_receive)
        self.secret = secret
        self.deliveries: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    def answer(self, request: Request) -> Response:
        body = request.body
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-timpora-signature", "")):
            return Response.plain("bad signature", 401)
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return Response.plain("expected application/json", 415)
        try:
            orjson.loads(body)
        except ValueError:
            return Response.plain("invalid json", 400)
        key = request.headers.get("x-timpora-delivery", "")
        self.deliveries[key] += 1
        url = f"{self.base_url}{request.target}"
        self.record(Received("webhook", url, body.decode(), meta={"delivery": key}))
        return OK

    def fast_answer(self, request: Request) -> Response:
        return OK
