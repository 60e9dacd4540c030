"""Fake WhatsApp Cloud API: sending a text message (Graph API ``v21.0`` and later).

``POST /<version>/<phone_number_id>/messages`` with ``Authorization: Bearer <token>`` and
``{"messaging_product": "whatsapp", "to": "<digits>", "type": "text", "text": {"body":
..., "preview_url": ...}}`` (``recipient_type`` optional). ``to`` must be digits (a
leading ``+`` is tolerated), the body 1-4096 characters.

Success: 200 ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
"messages": [{"id": "wamid...."}]}``. Errors in the Graph shape ``{"error": {"message",
"type": "OAuthException", "code", "fbtrace_id"}}``: 401 code 190 (token), 400 code 100
(phone number id, body), 2500 (version), 131009 (parameter value); scripted 429 is code
130429, 500 131000, 503 131016.
"""

from __future__ import annotations

import re

from devtools.base import OnReceive, Received
from devtools.http_server import JSON, HttpFake, Request, Response

TOKEN, PHONE_NUMBER_ID = "wa-test-token", "109876"
SCRIPTED_CODES = {429: 130429, 500: 131000, 503: 131016}


class WhatsAppGateway(HttpFake):
    """Cloud API ``messages``: Bearer token, phone number id in the path, Graph errors."""

    channel = "whatsapp"
    route = re.compile(r"/(?P<version>[^/]+)/(?P<phone_id>[^/]+)/messages")

    def __init__(
        self,
        token: str = TOKEN,
        phone_number_id: str = PHONE_NUMBER_ID,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
    ) -> None:
        super().__init__(port=port, fast=fast, on_receive=on_receive)
        self.token, self.phone_number_id = token, phone_number_id

    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "T"}
        return Response.json({"error": error}, status)

    def error_response(self, status: int, retry_after: float | None) -> Response:
        return self._error(status, SCRIPTED_CODES.get(status, 100), f"scripted {status}")

    def answer(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(401, 190, "Invalid OAuth access token.")
        if request.params["phone_id"] != self.phone_number_id:
            return self._error(400, 100, "Unsupported post request.")
        if not request.params["version"].startswith("v"):
            return self._error(400, 2500, "Unknown path components")
        try:
            body = request.json()
        except ValueError:
            return self._error(400, 100, "Invalid JSON")
        if not isinstance(body, dict):
            return self._error(400, 100, "Invalid JSON")
        text = body.get("text") if isinstance(body.get("text"), dict) else {}
        if body.get("messaging_product") != "whatsapp" or body.get("type") != "text":
            return self._error(400, 100, "Invalid parameter")
        to, message = body.get("to"), text.get("body")
        if not isinstance(to, str) or not to.lstrip("+").isdigit():
            return self._error(400, 131009, "Parameter value is not valid")
        if not isinstance(message, str) or not message or len(message) > 4096:
            return self._error(400, 131009, "Parameter value is not valid")
        wamid = f"wamid.TEST{self.next_id()}"
        self.record(Received("whatsapp", to, message, meta={"id": wamid}))
        return Response.json(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": wamid}],
            }
        )

    def fast_answer(self, request: Request) -> Response:
        body = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.B%d"}]}' % self.next_id()
        return Response(200, body, JSON)
