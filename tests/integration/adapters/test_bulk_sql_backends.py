"""``shared.adapters.bulk_sql`` on real databases: the unnest statements on PostgreSQL
behave like SQLAlchemy's own inserts and updates (and like SQLite's plain path), and are
one prepared statement for any batch size (the reason the adapter exists)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from notify_service.models import DeliveryRow
from routing_service.models import EscalationTimer
from shared.adapters.bulk_sql import in_values, insert_many, insert_many_ignore, update_many
from shared.db import make_engine, make_sessionmaker, migrate, transaction
from tests.rows import delivery_row

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_bulk_writes_keep_insert_semantics(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    """insert_many_ignore / insert_many / update_many / in_values: conflicts skipped and
    not returned, Python-side defaults filled, JSON and timestamps round-trip, updates by
    key."""
    url = database_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/t.db"
    if backend == "sqlite":
        await migrate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    due = datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)
    try:
        async with transaction(sessions) as session:
            first = await insert_many_ignore(
                session,
                DeliveryRow,
                [delivery_row("D1", "m1"), delivery_row("D2", "m2")],
                "delivery_id",
            )
            # D3 repeats D1's unique key (alert, version, member, channel): not inserted
            again = await insert_many_ignore(
                session,
                DeliveryRow,
                [delivery_row("D3", "m1"), delivery_row("D4", "m3")],
                "delivery_id",
            )
            await insert_many(
                session, EscalationTimer.__table__, [{"alert_id": "A1", "due_at": due}]
            )
        assert first == {"D1", "D2"}
        assert again == {"D4"}

        async with transaction(sessions) as session:
            await update_many(
                session,
                DeliveryRow.__table__,
                "delivery_id",
                [
                    {"delivery_id": "D1", "status": "sent", "next_attempt_at": None},
                    {"delivery_id": "D2", "status": "retrying", "next_attempt_at": due},
                ],
            )
        async with transaction(sessions) as session:
            rows = {
                r.delivery_id: r
                for r in await session.scalars(
                    select(DeliveryRow).where(
                        in_values(session, DeliveryRow.delivery_id, ["D1", "D2", "D4"])
                    )
                )
            }
            timer = (await session.scalars(select(EscalationTimer))).one()
        assert set(rows) == {"D1", "D2", "D4"}
        assert (rows["D1"].status, rows["D2"].status, rows["D4"].status) == (
            "sent",
            "retrying",
            "sending",
        )
        assert rows["D2"].next_attempt_at == due
        assert rows["D1"].next_attempt_at is None
        assert rows["D4"].fallback_channels == ["email", [1, {"x": "é"}]]
        assert (rows["D4"].attempts, rows["D4"].repeat) == (0, False)  # Python-side defaults
        assert rows["D4"].created_at.tzinfo is not None
        assert (timer.step, timer.state, timer.due_at) == (1, "pending", due)
    finally:
        await engine.dispose()


async def test_batches_of_any_size_share_one_prepared_statement(database_url: str) -> None:
    """On one connection, inserts of 1, 3 and 40 rows, updates of 2 and 5, and lookups
    of 1 and 6 values leave one prepared INSERT, one UPDATE and one SELECT: PostgreSQL
    plans each once (SQLAlchemy's asyncpg driver prepares every statement it runs)."""
    engine = make_engine(database_url, pool_size=1)
    sessions = make_sessionmaker(engine)
    due = datetime(2026, 11, 28, tzinfo=UTC)
    try:
        async with transaction(sessions) as session:
            start = 0
            for n in (1, 3, 40):
                rows = [{"alert_id": f"A{i}", "due_at": due} for i in range(start, start + n)]
                await insert_many(session, EscalationTimer.__table__, rows)
                start += n
            ids = list((await session.scalars(select(EscalationTimer.id))).all())
            for n in (2, 5):
                rows = [{"id": i, "state": "fired"} for i in ids[:n]]
                await update_many(session, EscalationTimer.__table__, "id", rows)
            for n in (1, 6):
                found = select(EscalationTimer.id).where(
                    in_values(session, EscalationTimer.id, ids[:n])
                )
                assert len((await session.scalars(found)).all()) == n
            prepared = (
                await session.scalars(
                    text("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
                )
            ).all()
    finally:
        await engine.dispose()
    timers = [s for s in prepared if "routing_escalation_timers" in s]
    assert sum(s.startswith("INSERT") and "unnest" in s for s in timers) == 1, timers
    assert sum(s.startswith("UPDATE") and "unnest" in s for s in timers) == 1, timers
    assert sum("= ANY" in s for s in timers) == 1, timers
