"""Operator silences behind the CLI: validate, then call routing's store in one transaction.

The matcher is validated by ``routing_service.silences.SilenceMatcher`` (pure); the rows are
written only by ``routing_service.store``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from routing_service import store
from routing_service.silences import SilenceMatcher
from shared.db import transaction
from shared.schemas import utcnow

Sessions = async_sessionmaker[AsyncSession]


async def add_silence(
    sessions: Sessions,
    *,
    matchers: dict[str, Any],
    duration: timedelta,
    comment: str,
    created_by: str,
) -> str:
    matcher = SilenceMatcher.model_validate({k: v for k, v in matchers.items() if v})
    if matcher.is_empty():
        raise ValueError("a silence needs at least one matcher")
    if not comment.strip():
        raise ValueError("a silence needs a comment")
    now = utcnow()
    async with transaction(sessions) as session:
        silence = await store.add_silence(
            session=session,
            matchers=matcher,
            starts_at=now,
            ends_at=now + duration,
            created_by=created_by,
            comment=comment,
        )
        return silence.id


async def list_silences(sessions: Sessions) -> list[dict[str, Any]]:
    now = utcnow()
    async with transaction(sessions) as session:
        rows = await store.list_silences(session=session, now=now, include_expired=True)
    return [
        {
            "id": r.id,
            "matchers": orjson.dumps(r.matchers).decode(),
            "ends_at": r.ends_at.isoformat(timespec="minutes"),
            "active": r.starts_at <= now < r.ends_at,
            "comment": r.comment,
            "by": r.created_by,
        }
        for r in rows
    ]


async def expire_silence(sessions: Sessions, silence_id: str) -> bool:
    """End a silence now; False when there is no such silence."""
    async with transaction(sessions) as session:
        return await store.expire_silence(session=session, silence_id=silence_id, now=utcnow())
