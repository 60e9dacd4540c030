"""How long personal data is kept: the decisions the retention job (``timpora purge``,
its dry run, the console's daily run) and the tests share.

An alert's personal data (names, passport and permit numbers, dates of birth, the
reporter's contacts, the report's free text) is erased ``closed_days`` after the alert
ended: closed, or finished without a close (muted by a silence, inhibited by a case at
another team, folded into a digest). An alert nobody ended is erased after ``idle_days``
without any change. What stays are the facts an audit needs: ids, place, level,
category, severity, nationality, counts, who acked or closed it and when. The audit log
(ids only, never the data) is kept ``audit_days``, never less than the data it mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Statuses in which an alert has ended: nothing will be sent for it again.
ENDED = frozenset({"closed", "muted", "inhibited", "digested"})
ERASED_NOTE = "[dihapus: masa simpan habis]"  # what an erased note or close note reads


@dataclass(frozen=True, slots=True)
class Retention:
    closed_days: int = 180
    idle_days: int = 365
    audit_days: int = 730

    def __post_init__(self) -> None:
        if min(self.closed_days, self.idle_days) < 1:
            raise ValueError("personal data is kept at least a day")
        if self.audit_days < max(self.closed_days, self.idle_days):
            raise ValueError(
                f"the audit log ({self.audit_days} days) must be kept at least as long as "
                f"the personal data it mentions ({max(self.closed_days, self.idle_days)} days)"
            )

    def candidates_before(self, now: datetime) -> datetime:
        """No alert changed after this is due (a bound for the query, not the decision)."""
        return now - timedelta(days=min(self.closed_days, self.idle_days))

    def audit_before(self, now: datetime) -> datetime:
        """Audit entries older than this are deleted."""
        return now - timedelta(days=self.audit_days)


def last_change(updated_at: datetime, *also: datetime | None) -> datetime:
    """When the alert last changed: its update, ack or close, whichever is latest."""
    return max([updated_at, *(t for t in also if t is not None)])


def erase_due(status: str, changed_at: datetime, now: datetime, retention: Retention) -> bool:
    """Whether an alert's personal data is to be erased now."""
    days = retention.closed_days if status in ENDED else retention.idle_days
    return changed_at <= now - timedelta(days=days)
