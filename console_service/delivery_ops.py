"""The delivery log behind ``timpora deliveries``, read through notify's store."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify_service import store
from shared.db import transaction


async def delivery_log(
    sessions: async_sessionmaker[AsyncSession],
    *,
    report_id: str | None = None,
    alert_id: str | None = None,
) -> list[dict[str, Any]]:
    async with transaction(sessions) as session:
        rows = await store.delivery_log(session=session, report_id=report_id, alert_id=alert_id)
    return [
        {
            "alert": f"{r.alert_id} v{r.alert_version}",
            "team": r.team_id,
            "member": r.member_id,
            "channel": r.channel,
            "status": r.status,
            "attempts": r.attempts,
            "provider_id": r.provider_message_id or "",
            "error": (r.error or "")[:60],
            "updated": r.updated_at.isoformat(timespec="seconds"),
        }
        for r in rows
    ]


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
