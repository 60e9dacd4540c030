"""The ``provider_buckets`` table: one row per provider account and per Telegram chat,
holding the bucket's ``next_free`` (:mod:`notify_service.limits`), in seconds of the
database's clock (``clock_timestamp()``), so every notify instance, on any host, reads
the same time. PostgreSQL only: the component tier's SQLite uses a per-process bucket
(:class:`notify_service.limiter.LocalBuckets`).

:func:`lock` is the one statement of a take: the rows (created free on first use),
locked ``FOR UPDATE`` in key order (two instances never deadlock), with the database's
time read after the locks; :func:`save` writes what the decision changed, in the same
short transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Float, String, extract, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.adapters.bulk_sql import in_values, insert_many_ignore, update_many
from shared.db import Base


class ProviderBucketRow(Base):
    """A send bucket: ``{channel}:{account}`` or ``{channel}:{account}:chat:{digest}``."""

    __tablename__ = "provider_buckets"

    bucket_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    next_free: Mapped[float] = mapped_column(Float, default=0.0)  # epoch seconds (database)


async def create(*, session: AsyncSession, keys: Iterable[str]) -> None:
    """Rows for buckets seen for the first time (free); existing rows are left alone.
    One array statement for any number of keys (with the national directory nearly every
    group of sends brings members' chats seen for the first time)."""
    rows: list[dict[str, object]] = [
        {"bucket_key": key, "next_free": 0.0} for key in sorted(set(keys))
    ]
    await insert_many_ignore(session, ProviderBucketRow, rows, "bucket_key")


async def lock(*, session: AsyncSession, keys: Iterable[str]) -> tuple[float, dict[str, float]]:
    """The database's time and ``next_free`` of each bucket in ``keys``, rows locked until
    the transaction ends. The time is read per row after its lock (a row a concurrent take
    held is read once that take committed); the latest is the time after every lock."""
    table = ProviderBucketRow.__table__
    locked = (
        select(table.c.bucket_key, table.c.next_free)
        .where(in_values(session, table.c.bucket_key, sorted(set(keys))))
        .order_by(table.c.bucket_key)
        .with_for_update()
        .cte("locked")
    )
    clock = extract("epoch", func.clock_timestamp())
    rows = (await session.execute(select(locked.c.bucket_key, locked.c.next_free, clock))).all()
    if not rows:
        now = (await session.execute(select(clock))).scalar_one()
        return float(now), {}
    return max(float(r[2]) for r in rows), {r[0]: float(r[1]) for r in rows}


async def save(*, session: AsyncSession, next_free: Mapping[str, float]) -> None:
    rows: list[dict[str, object]] = [
        {"bucket_key": key, "next_free": at} for key, at in sorted(next_free.items())
    ]
    await update_many(session, ProviderBucketRow.__table__, "bucket_key", rows)


async def snapshot(*, session: AsyncSession) -> dict[str, float]:
    """Every bucket's ``next_free`` (for operators and tests)."""
    rows = await session.execute(select(ProviderBucketRow.bucket_key, ProviderBucketRow.next_free))
    return {key: float(at) for key, at in rows.all()}
