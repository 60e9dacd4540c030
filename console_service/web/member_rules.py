"""Pure decisions of the member page (the link in every alert message). No I/O; the page
and the tests call these same functions.

* A link works while it is authentic and unexpired (its signature, checked first), the
  alert is not closed, and the member is still in a team the alert was delivered to them
  through: closing the alert or leaving the team revokes every link at once.
* Full details need a step-up: a one-time code sent to the member's own phone or chat.
  A code works once, until it expires, for ``max_attempts`` tries; a member may ask for
  ``per_hour`` codes an hour.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

LinkVerdict = Literal["ok", "unknown", "closed", "left"]
CodeVerdict = Literal["ok", "wrong", "expired", "exhausted", "used", "unknown"]
CLOSED = frozenset({"closed"})


def link_verdict(
    *, alert_status: str | None, delivered_teams: Iterable[str], teams_listing_member: Iterable[str]
) -> LinkVerdict:
    """Whether a (valid, unexpired) link still opens its alert."""
    if alert_status is None:
        return "unknown"
    if alert_status in CLOSED:
        return "closed"
    if not set(delivered_teams) & set(teams_listing_member):
        return "left"
    return "ok"


def may_request_code(*, requested_last_hour: int, per_hour: int) -> bool:
    return requested_last_hour < per_hour


def code_verdict(
    *,
    stored_digest: str | None,
    presented_digest: str,
    expires_at: datetime | None,
    attempts: int,
    used_at: datetime | None,
    now: datetime,
    max_attempts: int,
) -> CodeVerdict:
    """What a typed code is worth; a wrong one counts as an attempt (the caller's job)."""
    if stored_digest is None or expires_at is None:
        return "unknown"
    if used_at is not None:
        return "used"
    if attempts >= max_attempts:
        return "exhausted"
    if expires_at <= now:
        return "expired"
    if not hmac.compare_digest(stored_digest.encode(), presented_digest.encode()):
        return "wrong"
    return "ok"
