"""The delivery log behind ``timpora deliveries``, read through notify's store.

Each line has the delivery's ``state``: ``sent`` (the provider accepted it), then
``delivered`` / ``read`` / ``failed`` from the provider's report, or ``unconfirmed`` when
none came in time (``NOTIFY_RECEIPT_TIMEOUT_SECONDS``); ``--state`` lists one of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify_service import store
from notify_service.models import DeliveryRow
from notify_service.receipts import delivery_state
from shared.db import transaction

STATES = (
    "sent",
    "delivered",
    "read",
    "failed",
    "unconfirmed",
    "awaiting",
    "sending",
    "retrying",
    "gave_up",
    "skipped",
    "cancelled",
    "uncertain",
)


def _line(r: DeliveryRow) -> dict[str, Any]:
    """One delivery as the operator reads it: ``state`` is the provider's report when there
    is one (delivered, read, failed, unconfirmed), else the status."""
    return {
        "alert": f"{r.alert_id} v{r.alert_version}",
        "team": r.team_id,
        "member": r.member_id,
        "channel": r.channel,
        "status": r.status,
        "state": delivery_state(r.status, r.receipt),
        "attempts": r.attempts,
        "provider_id": r.provider_message_id or "",
        "error": (r.error or "")[:60],
        "updated": r.updated_at.isoformat(timespec="seconds"),
        "reported": r.receipt_at.isoformat(timespec="seconds") if r.receipt_at else "",
    }


async def delivery_log(
    sessions: async_sessionmaker[AsyncSession],
    *,
    report_id: str | None = None,
    alert_id: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    """A report's or an alert's deliveries (only those in ``state``, if given), oldest
    first; with neither id, the newest deliveries in ``state``."""
    async with transaction(sessions) as session:
        if report_id or alert_id:
            rows = await store.delivery_log(session=session, report_id=report_id, alert_id=alert_id)
        elif state:
            rows = await store.in_state(session=session, state=state)
        else:
            raise ValueError("give a report id, an alert id or a state")
    lines = [_line(r) for r in rows]
    return [line for line in lines if state in (None, line["state"])]


async def uncertain_log(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    """Deliveries a stopped notify process may not have made (lower severities are not
    re-sent): ids, team, channel and when; no address, name or alert text."""
    async with transaction(sessions) as session:
        rows = await store.uncertain(session=session)
    return [
        {
            "alert": f"{r.alert_id} v{r.alert_version}",
            "severity": severity,
            "team": r.team_id,
            "member": r.member_id,
            "channel": r.channel,
            "ack_code": r.ack_code,
            "claimed": r.created_at.isoformat(timespec="seconds"),
        }
        for r, severity in rows
    ]
