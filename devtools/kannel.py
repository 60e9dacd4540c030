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

Text and coding, as smsbox reads them: ``charset`` defaults to UTF-8 for ``coding=0``
(GSM-7) and UTF-16BE for ``coding=2`` (UCS-2); a text the charset cannot decode is ``400
Charset or body misformed, rejected``. Stricter than Kannel: a ``coding=0`` text outside
GSM 03.38 is refused (``400 Text not in GSM 03.38 for coding 0, rejected``), where Kannel
would send ``?`` in place of each such character. A long text is split as Kannel does
(one part: 160 GSM-7 septets / 70 UCS-2 units; else 153 / 67 a part), at most
``max_messages`` parts (the ``sendsms-user``'s ``max-messages``; the rest is cut, as
Kannel cuts it): ``meta["segments"]``, and ``meta["truncated"]`` when cut.

Delivery reports: with a ``dlr-url``, the fake requests it as Kannel does, ``dlr_delay``
seconds after accepting and again for each report, Kannel's escapes filled in and
URL-encoded (``%d`` DLR type, ``%T`` UNIX time, ``%t`` time, ``%p`` receiver, ``%P``
sender, ``%i`` SMSC, ``%I`` Kannel's id, ``%F`` the SMSC's id, ``%A`` the SMSC's receipt,
``%%``), a user part as Basic auth, and only the types the ``dlr-mask`` asks for: 8 (SMSC
submit) then 1 (delivered); for a number in ``fail_numbers`` 16 (SMSC reject) or 8 then
2 (undelivered), the message kept in ``undelivered``, not ``received`` (no phone shows
it); for one in ``silent_numbers`` 8 only (the final report never comes).
``callbacks.made`` keeps each request and the status it got.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from devtools.base import OnReceive, Received
from devtools.callbacks import Call, Caller
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
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_ESCAPED = frozenset("^{}\\[~]|€\f")  # two septets each
DEFAULT_CHARSET = {"0": "utf-8", "2": "utf-16-be"}
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
        self.max_messages = 10  # the sendsms-user's max-messages (Kannel's default: 1)
        self.dlr_delay = 0.05
        self.fail_numbers: dict[str, int] = {}  # number -> final DLR type, 2 or 16
        self.silent_numbers: set[str] = set()  # numbers whose final DLR never comes
        self.undelivered: list[Received] = []  # accepted for fail_numbers: no phone shows it
        self.callbacks = Caller()

    async def stop(self) -> None:
        await self.callbacks.cancel()
        await super().stop()

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
        meta: dict[str, object] = {
            k: v for k, v in q.items() if k not in ("username", "password", "text", "to")
        }
        meta.setdefault("coding", "0")
        coding = "0" if q.get("coding", "-1") == "-1" else q["coding"]
        text = _text(request, coding, q.get("charset"))
        if text is None:
            return Response.plain("Charset or body misformed, rejected", 400)
        if coding == "0" and not GSM7.union(GSM7_ESCAPED).issuperset(text):
            return Response.plain("Text not in GSM 03.38 for coding 0, rejected", 400)
        text, meta["segments"], truncated = _split(text, coding == "0", self.max_messages)
        if truncated:
            meta["truncated"] = True
        message = Received("sms", q["to"], text, meta=meta)
        if q["to"] in self.fail_numbers:  # accepted, never on the phone (DLR 2 or 16)
            self.accepted += 1
            self.undelivered.append(message)
        else:
            self.record(message)
        if q.get("dlr-url"):
            self._report(q, text)
        return QUEUED if self.queue else ACCEPTED

    def _report(self, q: dict[str, str], text: str) -> None:
        """Request the dlr-url for each report the mask asks for (see the module docstring)."""
        mask, to = int(q.get("dlr-mask", "0") or 0), q["to"]
        if to in self.silent_numbers:
            types = [8]
        elif self.fail_numbers.get(to) == 16:
            types = [16]
        else:
            types = [8, self.fail_numbers.get(to, 1)]
        foreign, internal = f"smsc-{self.next_id()}", str(uuid.uuid4())
        calls: list[Call] = []
        for dlr in (t for t in types if mask & t):
            now = time.time()
            stat = {1: "DELIVRD", 2: "UNDELIV", 8: "ACCEPTD", 16: "REJECTD"}[dlr]
            values = {
                "d": str(dlr),
                "T": str(int(now)),
                "t": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "p": to,
                "P": q.get("from", ""),
                "i": q.get("smsc", "fake"),
                "I": internal,
                "F": foreign,
                "A": f"id:{foreign} sub:001 dlvrd:001 stat:{stat} err:000 text:{text[:20]}",
            }
            calls.append(("GET", _escapes(q["dlr-url"], values), b"", {}))
        if calls:
            self.callbacks.later(self.dlr_delay, calls)

    def fast_answer(self, request: Request) -> Response:
        return ACCEPTED


def _text(request: Request, coding: str, charset: str | None) -> str | None:
    """The ``text`` parameter's bytes decoded as smsbox does (None: not decodable)."""
    raw = dict(
        parse_qsl(request.target.partition("?")[2], keep_blank_values=True, encoding="latin-1")
    ).get("text", "")
    encoding = (charset or DEFAULT_CHARSET.get(coding, "utf-8")).lower()
    try:
        return raw.encode("latin-1").decode(encoding)
    except (LookupError, UnicodeError):
        return None


def _split(text: str, gsm: bool, max_messages: int) -> tuple[str, int, bool]:
    """Kannel's split: the text kept, its parts, whether parts past the limit were cut."""
    single, part = (160, 153) if gsm else (70, 67)
    units = [2 if gsm and c in GSM7_ESCAPED else len(c.encode("utf-16-le")) // 2 for c in text]
    if sum(units) <= single:
        return text, 1, False
    parts, used = 1, 0
    for kept, n in enumerate(units):
        if used + n > part:
            if parts == max_messages:
                return text[:kept], parts, True
            parts, used = parts + 1, 0
        used += n
    return text, parts, False


def _escapes(url: str, values: dict[str, str]) -> str:
    """Kannel's %-escapes in a dlr-url, each value URL-encoded; unknown ones kept."""
    return re.sub(
        r"%(.)",
        lambda m: "%" if m[1] == "%" else quote(values[m[1]], safe="") if m[1] in values else m[0],
        url,
    )
