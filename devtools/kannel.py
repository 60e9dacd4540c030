"""Fake Kannel: smsbox's HTTP ``sendsms`` interface (Kannel 1.4, ``gw/smsbox.c``).

``GET`` (or ``POST``) ``/cgi-bin/sendsms`` with the parameters of the Kannel user guide
("Sending SMS", the ``sendsms`` service): ``username``, ``password``, ``from``, ``to``,
``text``, ``charset``, ``coding``, ``smsc``, ``dlr-mask``, ``dlr-url`` and the rest of
:data:`KANNEL_PARAMS`. Checked as smsbox does; unknown or repeated parameters are rejected
too, so a client drifting from the contract fails here.

Answers (plain text): 202 ``0: Accepted for delivery`` (``queue=True``: ``3: Queued for
later delivery``); 403 ``Authorization failed for sendsms``; 400 ``Missing receiver number,
rejected``, ``Empty receiver number not allowed, rejected``, ``Wrong sendsms args,
rejected``, ``<Field> field misformed, rejected``. Scripted failures: 503 ``Temporal
failure, try again later.``, 500 ``Sending failed.``, 403 ``Not routable. Do not try
again.``. A message is recorded with ``to``, ``text`` and the other parameters as ``meta``
(``coding`` defaults to ``"0"``, as smsbox assumes).
"""

from __future__ import annotations

import re

from devtools.base import OnReceive, Received
from devtools.http_server import HttpFake, Request, Response

KANNEL_PARAMS = frozenset(
    [
        "username",
        "password",
        "from",
        "to",
        "text",
        "charset",
        "udh",
        "smsc",
        "flash",
        "mclass",
        "mwi",
        "compress",
        "coding",
        "validity",
        "deferred",
        "dlr-mask",
        "dlrmask",
        "dlr-url",
        "dlrurl",
        "pid",
        "alt-dcs",
        "rpi",
        "account",
        "binfo",
        "priority",
        "meta-data",
    ]
)
RANGES = {"coding": range(-1, 3), "dlr-mask": range(-1, 67), "mclass": range(-1, 4)}
LABELS = {"coding": "Coding", "dlr-mask": "DLR-Mask", "mclass": "MClass"}
USERNAME, PASSWORD = "timpora", "kannel-pass"
ACCEPTED = Response.plain("0: Accepted for delivery", 202)
QUEUED = Response.plain("3: Queued for later delivery", 202)


class KannelGateway(HttpFake):
    """Kannel smsbox's sendsms interface, validating as ``gw/smsbox.c`` does."""

    channel = "sms"
    route = re.compile(r"/cgi-bin/sendsms")
    methods = frozenset({"GET", "POST"})

    def __init__(
        self,
        username: str = USERNAME,
        password: str = PASSWORD,
        *,
        port: int = 0,
        fast: bool = False,
        on_receive: OnReceive = None,
    ) -> None:
        super().__init__(port=port, fast=fast, on_receive=on_receive)
        self.username, self.password = username, password
        self.queue = False  # answer "3: Queued for later delivery"

    @property
    def url(self) -> str:
        return f"{self.base_url}/cgi-bin/sendsms"

    def error_response(self, status: int, retry_after: float | None) -> Response:
        text = {
            503: "Temporal failure, try again later.",
            500: "Sending failed.",
            403: "Not routable. Do not try again.",
        }.get(status, "Wrong sendsms args, rejected")
        return Response.plain(text, status, retry_after)

    def _invalid(self, q: dict[str, str], names: list[str]) -> Response | None:
        unknown = sorted(set(names) - KANNEL_PARAMS)
        if unknown:
            return Response.plain(f"Unknown parameter(s) {', '.join(unknown)}, rejected", 400)
        if len(names) != len(set(names)):
            return Response.plain("Repeated parameter, rejected", 400)
        if (q.get("username"), q.get("password")) != (self.username, self.password):
            return Response.plain("Authorization failed for sendsms", 403)
        if "to" not in q:
            return Response.plain("Missing receiver number, rejected", 400)
        if not q["to"].strip():
            return Response.plain("Empty receiver number not allowed, rejected", 400)
        if "text" not in q and "udh" not in q:
            return Response.plain("Wrong sendsms args, rejected", 400)
        for name, allowed in RANGES.items():
            if name in q and (not q[name].lstrip("-").isdigit() or int(q[name]) not in allowed):
                return Response.plain(f"{LABELS[name]} field misformed, rejected", 400)
        if q.get("dlr-url") and not q["dlr-url"].lower().startswith(("http://", "https://")):
            return Response.plain("DLR-URL field misformed, rejected", 400)
        return None

    def answer(self, request: Request) -> Response:
        q = request.query
        if invalid := self._invalid(q, [k for k, _ in request.query_list]):
            return invalid
        meta = {k: v for k, v in q.items() if k not in ("username", "password", "text", "to")}
        meta.setdefault("coding", "0")
        self.record(Received("sms", q["to"], q.get("text", ""), meta=meta))
        return QUEUED if self.queue else ACCEPTED

    def fast_answer(self, request: Request) -> Response:
        return ACCEPTED
