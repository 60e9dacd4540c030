"""The fake Cloud API's status webhook: what Meta posts after a send, per message.

Point it at the webhook (``status_url``, e.g. notify's ``/v1/webhooks/whatsapp``) with the
Meta app's secret (``app_secret``): every accepted send then gets its statuses as Meta
posts them, ``status_delay`` seconds apart, each a ``whatsapp_business_account``
notification (``entry[].changes[].value.statuses[]``: ``id`` the wamid, ``status``,
``timestamp``, ``recipient_id``, ``conversation``/``pricing`` once delivered, ``errors``
when failed) signed ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>``:

* delivered: ``sent`` then ``delivered`` (then ``read`` for a number in ``read_numbers``);
* not delivered (outside the 24-hour window, or a number in ``fail_numbers``, digits →
  error code): ``failed`` with ``errors: [{code, title, message, error_data.details}]``
  (131047 "Re-engagement message", 131026 "Message undeliverable", ...).

``callbacks.made`` keeps each post and the status it got (notify answers 200 to a valid
signature, 401 otherwise).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Protocol

import orjson

from devtools.callbacks import Call, Caller

WABA_ID = "102290129340398"
DISPLAY_NUMBER = "6281100000000"
ERROR_TITLES = {
    131047: "Re-engagement message",
    131026: "Message undeliverable",
    131049: "This message was not delivered to maintain healthy ecosystem engagement.",
    131000: "Something went wrong",
}
ERROR_DETAILS = {
    131047: "Message failed to send because more than 24 hours have passed since the "
    "customer last replied to this number.",
    131026: "Message Undeliverable.",
}


class SentLike(Protocol):
    @property
    def wamid(self) -> str: ...
    @property
    def to(self) -> str: ...
    @property
    def delivered(self) -> bool: ...
    @property
    def error_code(self) -> int | None: ...
    @property
    def at(self) -> float: ...


def sign(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def status_notification(
    phone_number_id: str, sent: SentLike, status: str, at: float
) -> dict[str, Any]:
    """One Cloud API status notification for ``sent`` (the shape Meta posts)."""
    item: dict[str, Any] = {
        "id": sent.wamid,
        "status": status,
        "timestamp": str(int(at)),
        "recipient_id": sent.to.lstrip("+"),
    }
    if status in ("sent", "delivered", "read"):
        item["conversation"] = {"id": f"conv-{sent.wamid[-8:]}", "origin": {"type": "utility"}}
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "utility"}
    if status == "failed":
        code = sent.error_code or 131000
        title = ERROR_TITLES.get(code, "Something went wrong")
        item["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": ERROR_DETAILS.get(code, title)},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id},
        "statuses": [item],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


class StatusWebhook:
    """Mixed into :class:`devtools.whatsapp.WhatsAppGateway` (see the module docstring)."""

    phone_number_id: str

    def _init_statuses(self) -> None:
        self.status_url: str | None = None
        self.app_secret: str | None = None
        self.status_delay = 0.05
        self.fail_numbers: dict[str, int] = {}  # digits -> error code of the failed status
        self.read_numbers: set[str] = set()  # digits whose messages are also read
        self.callbacks = Caller()

    def _post_statuses(self, sent: SentLike) -> None:
        if not self.status_url or not self.app_secret:
            return
        if not sent.delivered:
            states = ["failed"]
        elif sent.to.lstrip("+") in self.read_numbers:
            states = ["sent", "delivered", "read"]
        else:
            states = ["sent", "delivered"]
        calls: list[Call] = []
        for i, state in enumerate(states):
            body = orjson.dumps(status_notification(self.phone_number_id, sent, state, sent.at + i))
            headers = {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(self.app_secret, body),
            }
            calls.append(("POST", self.status_url, body, headers))
        self.callbacks.later(self.status_delay, calls)

    async def stop(self) -> None:
        await self.callbacks.cancel()
        await super().stop()  # type: ignore[misc]
