"""Idempotency keys: a retried request returns the first response, never a second report.

The key is *claimed* (a row inserted, unique per source and key) before anything is
published, so two concurrent attempts with the same key cannot both publish: the second
gets "in progress" and retries. The claim is completed with the response once Kafka
acknowledged, or released if publishing failed. A claim left by a crashed process is
taken over after ``STALE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest_service.models import IdempotencyRecord
from shared.db import insert_ignore, transaction
from shared.schemas import utcnow

STALE = timedelta(minutes=2)
PENDING: dict[str, Any] = {"pending": True}


@dataclass(frozen=True)
class Claim:
    state: str  # "new" (go ahead) | "done" (replay response) | "conflict" | "in_progress"
    response: dict[str, Any] | None = None


async def claim(
    sessions: async_sessionmaker[AsyncSession], source: str, key: str, digest: str
) -> Claim:
    async with transaction(sessions) as session:
        values: dict[str, object] = {
            "source": source,
            "key": key,
            "request_sha256": digest,
            "response": PENDING,
        }
        if await insert_ignore(session, IdempotencyRecord, values):
            return Claim("new")
        row = await session.scalar(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.source == source, IdempotencyRecord.key == key)
            .with_for_update()
        )
        if row is None:  # released between our insert and select: try once more later
            return Claim("in_progress")
        if row.request_sha256 != digest:
            return Claim("conflict")
        if row.response.get("pending"):
            if utcnow() - row.created_at < STALE:
                return Claim("in_progress")
            row.created_at = utcnow()  # the first attempt died: take the claim over
            return Claim("new")
        return Claim("done", row.response)


async def complete(
    sessions: async_sessionmaker[AsyncSession], source: str, key: str, response: dict[str, Any]
) -> None:
    async with transaction(sessions) as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.source == source, IdempotencyRecord.key == key)
            .values(response=response)
        )


async def release(sessions: async_sessionmaker[AsyncSession], source: str, key: str) -> None:
    async with transaction(sessions) as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.source == source, IdempotencyRecord.key == key
            )
        )
