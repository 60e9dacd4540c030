"""Fake WhatsApp Cloud API: sending messages (Graph API ``v21.0``; fields as Meta's
``messages`` reference documents them for that version and later).

``POST /<version>/<phone_number_id>/messages`` with ``Authorization: Bearer <token>`` and
``{"messaging_product": "whatsapp", "to": "<digits>", "type": ...}`` (``recipient_type``
optional), where ``type`` is ``text`` (``text.body``, ``preview_url``), ``template``
(``template.name``, ``template.language.code``, ``components``: ``body`` parameters and a
``quick_reply`` button payload) or ``interactive`` (``type: button``, ``body.text``,
``action.buttons`` of ``reply`` id/title). Each is checked as Meta checks it, with Meta's
error codes (:mod:`devtools.whatsapp_messages`); the approved templates are the ones
``notify_service.whatsapp_templates`` defines (``templates=`` to change them).

The 24-hour customer-service window, as Meta applies it: :meth:`WhatsAppGateway.inbound`
records that a user wrote to the business number (the test plays the member). A
template is delivered at any time; free text and interactive messages only within 24 h of
that user's last message. Outside it Meta still *accepts* the send (200 with a wamid)
and reports it ``failed`` with error 131047 ("Re-engagement message") in the status
webhook afterwards; so does the fake: the send is in ``sent`` with ``error_code`` 131047,
and not in ``received`` (no phone shows it).

Success: 200 ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
"messages": [{"id": "wamid...."}]}``. Errors in the Graph shape ``{"error": {"message",
"type": "OAuthException", "code", "error_data": {"messaging_product", "details"},
"fbtrace_id"}}``: 401 code 190 (token), 400 code 100 (phone number id, product, type),
2500 (version), 131008/131009 (missing or invalid parameter), 404 132001 (template),
132000 (parameter count), 132018 (parameter format), 132005 (filled body too long);
scripted 429 is code 130429, 500 131000, 503 131016.

``received``: what phones show (``meta`` has ``id``, ``type`` and for templates and
interactive messages the ``buttons`` and their ``payloads``); ``sent``: every accepted
send, delivered or not (:class:`Sent`), to count per member and type.

Status webhook (:mod:`devtools.whatsapp_statuses`): with ``status_url`` and ``app_secret``
set, each accepted send is followed by Meta's signed status posts (``sent``, ``delivered``,
``read``; ``failed`` with its error code when not delivered or for ``fail_numbers``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from devtools.base import OnReceive, Received
from devtools.http_server import JSON, HttpFake, Request, Response
from devtools.whatsapp_messages import REGISTERED, Checked, Refusal, Templates, check_message
from devtools.whatsapp_statuses import StatusWebhook

TOKEN, PHONE_NUMBER_ID = "wa-test-token", "109876"
SCRIPTED_CODES = {429: 130429, 500: 131000, 503: 131016}
WINDOW_S = 24 * 3600.0
REENGAGEMENT = 131047  # free text / interactive outside the 24-hour window (async failure)


@dataclass(frozen=True)
class Sent:
    """One send the fake accepted (200 and a wamid), delivered or not."""

    wamid: str
    to: str  # digits, as sent
    type: str  # "text", "template", "interactive"
    template: str | None  # the template's name
    delivered: bool  # False: outside the window, reported failed afterwards
    error_code: int | None = None  # 131047 when not delivered
    at: float = 0.0  # wall-clock seconds


class WhatsAppGateway(StatusWebhook, HttpFake):
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
        templates: Templates | None = None,
    ) -> None:
        super().__init__(port=port, fast=fast, on_receive=on_receive)
        self.token, self.phone_number_id = token, phone_number_id
        self.templates = dict(REGISTERED if templates is None else templates)
        self.last_inbound: dict[str, float] = {}  # user's digits -> their last message
        self.sent: list[Sent] = []
        self.clock = time.time
        self._init_statuses()

    # --- the 24-hour window
    def inbound(self, number: str, at: float | None = None) -> None:
        """The user ``number`` wrote to the business number (at ``at``, default now)."""
        digits = re.sub(r"\D", "", number)
        when = self.clock() if at is None else at
        self.last_inbound[digits] = max(when, self.last_inbound.get(digits, when))

    def window_open(self, to: str) -> bool:
        last = self.last_inbound.get(re.sub(r"\D", "", to))
        return last is not None and self.clock() - last < WINDOW_S

    def sent_to(self, to: str, type_: str | None = None) -> list[Sent]:
        """Accepted sends to ``to`` (digits or any written form), of ``type_`` if given."""
        digits = re.sub(r"\D", "", to)
        return [s for s in self.sent if s.to.lstrip("+") == digits and type_ in (None, s.type)]

    @staticmethod
    def _error(status: int, code: int, message: str, details: str = "") -> Response:
        error: dict[str, object] = {"message": message, "type": "OAuthException", "code": code}
        if details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return Response.json({"error": error | {"fbtrace_id": "T"}}, status)

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
        checked = check_message(body, self.templates)
        if isinstance(checked, Refusal):
            return self._error(checked.status, checked.code, checked.message, checked.details)
        return self._accept(checked)

    def _accept(self, checked: Checked) -> Response:
        """200 and a wamid; delivered (in ``received``) if a template or inside the window."""
        wamid = f"wamid.TEST{self.next_id()}"
        delivered = checked.type == "template" or self.window_open(checked.to)
        template = checked.meta.get("template")
        error = None if delivered else REENGAGEMENT
        if (code := self.fail_numbers.get(checked.to.lstrip("+"))) is not None:
            delivered, error = False, code  # a number configured to fail (status webhook)
        self.sent.append(
            Sent(wamid, checked.to, checked.type, template, delivered, error, self.clock())
        )
        self._post_statuses(self.sent[-1])
        if delivered:
            meta = {"id": wamid, "type": checked.type, **checked.meta}
            self.record(Received("whatsapp", checked.to, checked.shown, meta=meta))
        to = checked.to
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
