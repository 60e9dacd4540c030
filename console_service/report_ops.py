"""``timpora report REPORT_ID``: what became of one report, read through the services'
stores: each alert it opened or updated (sent, muted, inhibited, in a digest) with its deliveries
per status, the alerts it was a duplicate in, the alerts it cancelled (a CAP Cancel, even
of nothing routing knows), or its dead letter and why."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notify_service import store as notify_store
from routing_service import store as routing_store
from shared.db import transaction

OUTCOME_TEXT = {
    "send": "alert sent",
    "muted": "alert muted by a silence (recorded, not sent)",
    "inhibited": "alert inhibited: its case is open at a higher level (recorded, not sent)",
    "digest": "entry of a digest (sent with the period's summary)",
    "duplicate": "already in this alert (nothing new sent)",
    "dead_letter": "dead letter",
    "cancel": "cancelled by its source (alert closed, its team told)",
}


async def report_story(
    sessions: async_sessionmaker[AsyncSession], report_id: str
) -> dict[str, Any] | None:
    """The report's fate, one entry per alert (or its dead letter); None: routing never
    saw it (not accepted by ingest, or not routed yet)."""
    async with transaction(sessions) as session:
        row = await routing_store.processed_report(session=session, report_id=report_id)
        if row is None:
            return None
        entries = []
        for entry in row.fate or _legacy_fate(row.outputs):
            deliveries: Counter[str] = Counter()
            if entry.get("alert_id"):
                for d in await notify_store.delivery_log(
                    session=session, alert_id=entry["alert_id"]
                ):
                    deliveries[f"{d.channel}:{d.status}"] += 1
            entries.append({**entry, "deliveries": dict(sorted(deliveries.items()))})
    return {
        "report_id": report_id,
        "routed_at": row.processed_at.isoformat(timespec="seconds"),
        "fate": entries,
    }


def _legacy_fate(outputs: list[Any]) -> list[dict[str, Any]]:
    """Rows routed before fates were recorded: the alerts they sent."""
    return [
        {
            "outcome": "send",
            "alert_id": a["alert_id"],
            "version": a["version"],
            "team_id": a["team_id"],
        }
        for a in outputs
    ]


def story_rows(story: dict[str, Any]) -> list[dict[str, Any]]:
    """One table row per entry, for the CLI."""
    return [
        {
            "outcome": OUTCOME_TEXT.get(e["outcome"], e["outcome"]),
            "alert": f"{e['alert_id']} v{e['version']}"
            if e.get("version")
            else e.get("alert_id", ""),
            "team": e.get("team_id", "")
            + (f" (fallback of {e['fallback']})" if e.get("fallback") else "")
            + (f", held: {e['held']} is outside the source's area" if e.get("held") else ""),
            "rules": ",".join(e.get("rules") or []),
            "deliveries": " ".join(f"{k}={v}" for k, v in e["deliveries"].items()),
            "reason": e.get("reason", "") or _inhibited_by(e),
        }
        for e in story["fate"]
    ]


def _inhibited_by(entry: dict[str, Any]) -> str:
    by = entry.get("inhibited_by")
    return f"by alert {by['alert_id']} (rule {by['rule']})" if by else ""
