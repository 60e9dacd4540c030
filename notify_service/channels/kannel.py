"""SMS through Kannel's ``sendsms`` HTTP interface (smsbox, ``GET /cgi-bin/sendsms``).

Request: ``username``, ``password``, ``from``, ``to``, ``text`` (UTF-8, ``charset=UTF-8``),
``coding=0`` (GSM-7, Kannel's default, left out) or ``coding=2`` when the text needs UCS-2
(Kannel converts from the charset to UTF-16BE), and when configured ``smsc`` (route),
``dlr-mask`` and ``dlr-url``. A long text is one request: Kannel splits it into
concatenated parts with the UDH itself (153 GSM-7 septets or 67 UCS-2 characters a part,
up to the ``max-messages`` of its ``sendsms-user``), so no ``udh`` is sent here.

Delivery reports: Kannel returns no message id, so our delivery key is the id. The
``dlr-url`` is notify's ``/v1/webhooks/kannel/dlr`` (``NOTIFY_KANNEL_DLR_URL``) with
``id=<delivery key>&type=%d&at=%T`` added (Kannel fills in ``%d``, the DLR type, and
``%T``, its time) and the inbound key as the password of the URL's user part, which
Kannel sends as Basic auth. ``%A`` (the SMSC's receipt) is not asked for: SMPP receipts
quote the start of the text. A configured URL holding ``{delivery_key}`` is used as
written, the key substituted. The key should be letters and digits: Kannel reads any
``%X`` in the dlr-url as its escape.

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
from urllib.parse import quote, urlsplit, urlunsplit

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
        dlr_key: str = "",
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.url, self.username, self.password, self.sender = url, username, password, sender
        self.smsc, self.dlr_url, self.dlr_mask = smsc, dlr_url, dlr_mask
        self._dlr_base = _with_key(dlr_url, dlr_key) if dlr_url else None

    def dlr_url_for(self, delivery_key: str) -> str | None:
        """The ``dlr-url`` of one SMS (``None``: no delivery reports)."""
        if not self.dlr_url or not self._dlr_base:
            return None
        key = quote(delivery_key, safe="")
        if "{delivery_key}" in self.dlr_url:
            return self.dlr_url.replace("{delivery_key}", key)
        joiner = "&" if "?" in self._dlr_base else "?"
        return f"{self._dlr_base}{joiner}id={key}&type=%d&at=%T"

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
        if dlr_url := self.dlr_url_for(msg.delivery_key):
            params["dlr-mask"] = str(self.dlr_mask)
            params["dlr-url"] = dlr_url
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


def _with_key(url: str, key: str) -> str:
    """``url`` with ``kannel:<key>@`` as its user part (kept if it has one, or no key)."""
    parts = urlsplit(url)
    if not key or "@" in parts.netloc:
        return url
    netloc = f"kannel:{quote(key, safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc))
