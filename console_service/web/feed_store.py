"""What the CAP feed reads: an office's alerts (routing's table, scoped to the office's
home area by :func:`console_service.web.queries.alert_scoped`, the console's own rule)
and when their versions were routed (notify's stored versions), as the non-personal
:class:`console_service.cap_feed.FeedAlert` facts. Reads only; nothing is written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.cap_feed import LISTED, MAX_ENTRIES, FeedAlert, facts_of_report
from console_service.web.queries import alert_scoped
from notify_service.models import AlertVersionRow
from routing_service.models import AlertRow
from shared.jurisdiction import regions
from shared.schemas import Category, Severity


async def load(
    *, session: AsyncSession, home_area: Sequence[str], now: datetime, cancel_keep: timedelta
) -> list[FeedAlert]:
    """The office's open and acknowledged alerts, and those closed since ``now -
    cancel_keep``, newest change first."""
    rows = (
        await session.scalars(
            select(AlertRow)
            .where(
                alert_scoped(list(home_area)),
                or_(
                    AlertRow.status.in_(LISTED),
                    and_(AlertRow.status == "closed", AlertRow.closed_at >= now - cancel_keep),
                ),
            )
            .order_by(AlertRow.updated_at.desc(), AlertRow.alert_id.desc())
            .limit(MAX_ENTRIES)
        )
    ).all()
    routed: dict[str, dict[int, datetime]] = {row.alert_id: {} for row in rows}
    later = [row.alert_id for row in rows if row.version > 1]
    if later:
        stored = await session.execute(
            select(
                AlertVersionRow.alert_id, AlertVersionRow.version, AlertVersionRow.payload
            ).where(AlertVersionRow.alert_id.in_(later), AlertVersionRow.version > 1)
        )
        for alert_id, version, payload in stored:
            if when := _routed_at(payload):
                routed[alert_id][version] = when
    return [_facts(row, routed[row.alert_id]) for row in rows]


def _facts(row: AlertRow, routed: dict[int, datetime]) -> FeedAlert:
    payload = row.last_payload or {}
    if row.version > 1 and (when := _routed_at(payload)):
        routed.setdefault(row.version, when)
    report = payload.get("report")
    people, nationalities = facts_of_report(report if isinstance(report, dict) else {})
    return FeedAlert(
        alert_id=row.alert_id,
        version=row.version,
        status=row.status,
        category=Category(row.category),
        severity=Severity(row.severity),
        level=row.level,
        jurisdiction_code=row.jurisdiction_code,
        place_code=row.place_code,
        area_desc=area_desc(row.place_code or row.jurisdiction_code),
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        acked_at=row.acked_at,
        occurrence_count=row.occurrence_count,
        people=people,
        nationalities=nationalities,
        routed_at=routed,
    )


def _routed_at(payload: dict[str, Any] | None) -> datetime | None:
    value = (payload or {}).get("routed_at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def area_desc(code: str) -> str:
    """The place's official names, most precise first: ``Satui, Tanah Bumbu, Kalimantan
    Selatan`` (the code itself when the region data does not know it)."""
    names: list[str] = []
    region = regions().get(code)
    while region is not None and len(names) < 4:
        names.append(region.name)
        region = regions().get(region.parent_code)
    return ", ".join(names) or code
