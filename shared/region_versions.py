"""Which decree the stored region codes follow (table ``region_versions``).

One row per migration of the deployment's codes (``timpora regions migrate``): the
decree applied, the one it replaced, when, by whom, and a count of what changed. No row:
the codes follow the shipped data's decree (:data:`shared.jurisdiction.SHIPPED_DECREE`).
Alerts keep the codes they were routed with and are never rewritten.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UtcDateTime
from shared.jurisdiction import SHIPPED_DECREE


class RegionVersion(Base):
    __tablename__ = "region_versions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    decree: Mapped[str] = mapped_column(String(200))
    previous: Mapped[str] = mapped_column(String(200))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    applied_by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


async def current_decree(session: AsyncSession) -> str:
    """The decree the stored codes follow (the shipped data's until a migration)."""
    latest = await session.scalar(
        select(RegionVersion.decree).order_by(RegionVersion.id.desc()).limit(1)
    )
    return latest or SHIPPED_DECREE


async def record_decree(
    session: AsyncSession,
    *,
    decree: str,
    previous: str,
    applied_at: datetime,
    applied_by: str,
    summary: dict[str, Any],
) -> None:
    session.add(
        RegionVersion(
            decree=decree,
            previous=previous,
            applied_at=applied_at,
            applied_by=applied_by,
            summary=summary,
        )
    )
    await session.flush()
