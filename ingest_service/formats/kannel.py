"""SMS reports through Kannel's MO callback (an ``sms-service`` with ``get-url``/``post-url``).

We configure the placeholders, e.g.::

    group = sms-service
    keyword-regex = .*
    catch-all = true
    get-url = "http://ingest:8080/v1/ingest/kannel_mo?from=%p&to=%P&text=%a&ts=%T&smsc=%i&id=%I&coding=%c&charset=%C"

so the body is a query string or form-encoded bytes (a whole URL is accepted too) with
``from``/``sender`` (%p), ``to``/``receiver`` (%P), ``text`` (%a or %b), ``ts`` (%T epoch,
or %t "YYYY-MM-DD HH:MM:SS" which Kannel writes in UTC), ``smsc`` (%i), ``id``/``msgid``
(%I). The text then goes through :mod:`ingest_service.formats.text`; the sender's
number becomes the reporter's E.164 phone.

``coding=2`` (UCS-2) or a UTF-16 ``charset`` means the text bytes are UTF-16BE (Kannel
passes them through unless ``mo-recode`` is on); otherwise they are read as UTF-8 and bad
bytes replaced, because an SMS with one odd character is still worth routing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

from ingest_service import normalize as nz
from ingest_service.formats import Parsed, SourceContext, fail, reason
from ingest_service.formats.text.report import TextMessage, parse_text_report
from shared.schemas import SourceFormat

MAX_FIELDS = 50
ALIASES = {
    "from": ("from", "sender", "msisdn", "phone"),
    "to": ("to", "receiver", "shortcode"),
    "text": ("text", "message", "msg", "body"),
    "ts": ("ts", "time", "timestamp"),
    "smsc": ("smsc", "smsc_id", "smscid"),
    "id": ("id", "msgid", "message_id", "msg_id", "uuid"),
    "coding": ("coding",),
    "charset": ("charset",),
}


CREDENTIALS = frozenset({"key", "password", "pass", "pwd", "token", "secret"})


def without_credentials(raw: bytes) -> bytes:
    """The query string or form body without its credential fields (the gateway's
    ``key=``), every other pair byte for byte: what is stored or dead-lettered never
    carries the key."""
    pairs = raw.split(b"&")
    kept = [
        pair
        for pair in pairs
        if unquote_to_bytes(pair.partition(b"=")[0].replace(b"+", b" "))
        .decode("latin-1")
        .strip()
        .lower()
        .rsplit("?", 1)[-1]
        not in CREDENTIALS
    ]
    return b"&".join(kept)


def parse_form(raw: bytes) -> dict[str, bytes]:
    """Form/query fields as raw bytes (first value wins); text is decoded later.

    Decoding is deferred because only ``coding``/``charset`` say how to read ``text``.
    """
    body = raw.strip()
    if b"?" in body and (body.startswith((b"/", b"http")) or b"=" not in body.split(b"?", 1)[0]):
        body = body.split(b"?", 1)[1]
    fields: dict[str, bytes] = {}
    for pair in body.split(b"&")[: MAX_FIELDS * 2]:
        if not pair:
            continue
        key, _, value = pair.partition(b"=")
        name = unquote_to_bytes(key.replace(b"+", b" ")).decode("latin-1").strip().lower()
        if name and name not in fields and len(fields) < MAX_FIELDS:
            fields[name] = unquote_to_bytes(value.replace(b"+", b" "))
    return fields


def _field(fields: dict[str, bytes], name: str) -> bytes | None:
    for alias in ALIASES[name]:
        if alias in fields:
            return fields[alias]
    return None


def _ascii(value: bytes | None) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", errors="replace").strip()
    return text or None


def decode_text(value: bytes, coding: str | None, charset: str | None) -> str:
    """The SMS text per Kannel's coding/charset (see module docstring)."""
    charset = (charset or "").lower().replace("_", "-")
    if (coding == "2" or charset in ("utf-16be", "utf-16", "ucs-2", "ucs2")) and len(
        value
    ) % 2 == 0:
        try:
            return value.decode("utf-16-be")
        except UnicodeDecodeError:
            pass
    if charset in ("iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"):
        return value.decode("cp1252", errors="replace")
    return value.decode("utf-8", errors="replace")


def _timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if text.isdigit():
            return nz.from_epoch(text)
        return nz.parse_datetime(text, UTC)  # Kannel's %t is UTC (gw_gmtime)
    except ValueError:
        return None  # a bad gateway clock must not lose the report


def parse_kannel(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """One MO SMS → one :class:`Parsed` (a report, or why the text is not one)."""
    fields = parse_form(raw)
    if not fields:
        return fail(None, "invalid_form", "body is not a query string or form (key=value&...)")
    sender = _ascii(_field(fields, "from"))
    text_bytes = _field(fields, "text")
    missing = [name for name, value in (("from", sender), ("text", text_bytes)) if not value]
    if missing:
        return [
            Parsed(
                0,
                None,
                [reason("missing_field", f"Kannel callback needs '{m}'", path=m) for m in missing],
            )
        ]
    text = decode_text(
        text_bytes or b"", _ascii(_field(fields, "coding")), _ascii(_field(fields, "charset"))
    )
    msg_id = _ascii(_field(fields, "id"))
    message = TextMessage(
        text=text,
        phone=nz.to_e164(sender or ""),
        occurred_at=_timestamp(_ascii(_field(fields, "ts"))),
        upstream_ref=msg_id[:200] if msg_id else None,
    )
    return [parse_text_report(message, 0, ctx, SourceFormat.kannel_mo)]
