"""SMS through Kannel's ``sendsms`` HTTP interface (smsbox, ``GET /cgi-bin/sendsms``).

Request: ``username``, ``password``, ``from``, ``to``, ``text`` (UTF-8, ``charset=UTF-8``),
``coding=2`` when the text needs UCS-2 (Kannel converts from the charset), and when
configured ``smsc`` (route), ``dlr-mask`` and ``dlr-url``. Kannel returns no message id,
so our delivery key is the id; it travels in ``dlr-url`` (``{delivery_key}`` placeholder)
so delivery reports can be matched to the delivery log.

Answers (gw/smsbox.c): 202 ``0: Accepted for delivery`` / ``3: Queued for later
delivery`` (or ``Sent.`` with ``immediate-sendsms-reply``); 4xx with a reason
(``Authorization failed for sendsms``, ``Missing receiver number, rejected``, ``Not
routable. Do not try again.``) are permanent; 5xx (``Sending failed.``, ``Temporal
failure, try again later.``) are transient.

The password travels in the query string (Kannel's design): aiohttp does not log
request URLs, and no error message here contains the URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from notify_service.channels.base import (
    HttpChannel,
    OutgoingMessage,
    PermanentError,
    SendResult,
    raise_for_status,
    short_body,
)
from notify_service.render.gsm7 import gsm7_friendly, is_gsm7

SUCCESS_PREFIXES = ("0:", "3:", "Sent.")
DEFAULT_DLR_MASK = 31  # delivered, failed, buffered, submitted, rejected


class KannelChannel(HttpChannel):
    name = "sms"
    provider = "kannel"

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        sender: str,
        *,
        smsc: str | None = None,
        dlr_url: str | None = None,
        dlr_mask: int = DEFAULT_DLR_MASK,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.url, self.username, self.password, self.sender = url, username, password, sender
        self.smsc, self.dlr_url, self.dlr_mask = smsc, dlr_url, dlr_mask

    def params(self, msg: OutgoingMessage) -> dict[str, str]:
        """The sendsms query parameters for ``msg`` (public for tests and operators)."""
        text = gsm7_friendly(msg.text)
        params = {
            "username": self.username,
            "password": self.password,
            "from": self.sender,
            "to": msg.to_address,
            "text": text,
            "charset": "UTF-8",
        }
        if not is_gsm7(text):
            params["coding"] = "2"  # UCS-2; Kannel converts from the charset
        if self.smsc:
            params["smsc"] = self.smsc
        if self.dlr_url:
            params["dlr-mask"] = str(self.dlr_mask)
            params["dlr-url"] = self.dlr_url.replace(
                "{delivery_key}", quote(msg.delivery_key, safe="")
            )
        return params

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if not msg.to_address.strip():
            raise PermanentError("kannel: empty receiver number")
        response = await self.request("GET", self.url, params=self.params(msg))
        raise_for_status(response, "kannel")
        answer = response.text.strip()
        if not answer.startswith(SUCCESS_PREFIXES):
            # 2xx but not Kannel's answer: the SMS may have gone out. Not retried (a
            # duplicate SMS cannot be taken back); the engine falls back instead.
            raise PermanentError(f"kannel: unexpected answer {short_body(response)!r}")
        return SendResult(provider_message_id=msg.delivery_key)
