"""Report ids that say which source they were issued to, so only that source can ask
about them (``GET /v1/reports/{report_id}``) without anything stored per report.

A report id stays a ULID (26 characters, sorts by time): 6 bytes of time, 6 bytes of
a digest of the id ingest made (random, or derived from an Idempotency-Key or a
caller's id, so a retry still gets the same id), and a 4-byte tag, HMAC-SHA256 over the
source and those 12 bytes under a key derived from ``TIMPORA_SECRET_KEY``. Whoever checks an id (the
console's status endpoint) recomputes the tag for the source of the API key presented:

* an id issued to another source, or never issued, fails the check and reads as unknown
  (404): nothing tells one from the other, and no store is asked;
* an id issued to this source that routing has not recorded yet is a report in flight:
  ingest published it (202), routing will see it;
* nobody without the secret can compute an id that passes for a source, nor tell from an
  id which source it belongs to.

48 bits of the id stay unique per millisecond (one collision in years at the benchmark's
rate); a forged id passes the check with probability 2^-32. Ids made before the tag
(or by the bench, straight on ``reports.normalized``) fail the check: their status is
unknown to the API, the operator's ``timpora report`` still shows them.

Pure: no I/O; the key is an argument. Key rotation: ``TIMPORA_PREVIOUS_SECRET_KEYS``
still verify the ids they tagged (:func:`keys_of`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from ulid import ULID

BODY = 12  # time (6) + the id's own bytes (6)
DOMAIN = b"timpora/report-id/v1"


def derive_key(secret: str) -> bytes:
    """The report-id key of a deployment secret (never the secret itself: the links'
    signatures and the ids' tags cannot stand in for one another)."""
    return hmac.new(secret.encode(), DOMAIN, hashlib.sha256).digest()


def keys_of(secrets: Iterable[str]) -> list[bytes]:
    """The keys to check ids against: the current secret's first, then previous ones."""
    return [derive_key(s) for s in secrets if s]


def _tag(key: bytes, source: str, body: bytes) -> bytes:
    message = DOMAIN + b"\0" + source.encode() + b"\0" + body
    return hmac.new(key, message, hashlib.sha256).digest()[:4]


def issue(report_id: str, source: str, key: bytes) -> str:
    """``report_id`` (a ULID) tagged for ``source``: the same input gives the same id."""
    raw = ULID.from_str(report_id).bytes
    # Its time, then 6 bytes of a digest of the whole id: ULIDs made in one millisecond
    # are monotonic (the same bytes but the last ones), so keeping their first 12 bytes
    # would give two reports of one input the same id.
    body = raw[:6] + hashlib.sha256(raw).digest()[: BODY - 6]
    return str(ULID.from_bytes(body + _tag(key, source, body)))


def issued_to(report_id: str, source: str, keys: Sequence[bytes]) -> bool:
    """Was ``report_id`` issued to ``source`` (under one of ``keys``)? Never raises."""
    try:
        raw = ULID.from_str(report_id).bytes
    except (ValueError, TypeError):
        return False
    body, tag = raw[:BODY], raw[BODY:]
    return any(hmac.compare_digest(_tag(key, source, body), tag) for key in keys)
