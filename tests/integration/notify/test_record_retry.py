"""Outcomes of sends that happened are recorded even when the database was away for a
moment: notify waits for it rather than failing the batch (which would leave the rows
``sending``, later ``uncertain``). A rejected statement is not retried."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from notify_service import delivery
from notify_service.models import DeliveryRow
from shared.adapters.bulk_sql import insert_many_ignore
from shared.db import make_engine, make_sessionmaker, transaction
from shared.schemas import utcnow
from tests.rows import delivery_row

pytestmark = pytest.mark.postgres


def _row(delivery_id: str, member: str) -> dict[str, object]:
    return delivery_row(delivery_id, member, attempts=1)


def _flaky(sessions: Any, failures: int, calls: list[str]) -> Any:
    """A session factory that is refused ``failures`` times, as asyncpg is while the
    database is down, then works."""

    def factory() -> Any:
        calls.append("refused" if len(calls) < failures else "ok")
        if calls[-1] == "refused":
            raise ConnectionRefusedError(111, "Connect call failed")
        return sessions()

    return factory


async def test_outcomes_are_recorded_once_the_database_is_back(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RECORD_RETRY_S", (0.0, 0.0, 0.0))
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        await insert_many_ignore(session, DeliveryRow, [_row("D1", "m1")], "delivery_id")
    calls: list[str] = []
    deps = SimpleNamespace(runtime=SimpleNamespace(sessions=_flaky(sessions, 2, calls)))
    update = {
        "delivery_id": "D1",
        "status": "sent",
        "next_attempt_at": None,
        "provider_message_id": "sms-1",
        "error": None,
        "updated_at": utcnow(),
    }
    fallback = _row("D2", "m2") | {"status": "retrying", "attempts": 0}
    inserted = await delivery._record(deps, [update], [fallback])  # type: ignore[arg-type]
    assert calls == ["refused", "refused", "ok"]
    assert inserted == {"D2"}
    async with sessions() as session:
        rows = {r.delivery_id: r for r in await session.scalars(select(DeliveryRow))}
    await engine.dispose()
    assert (rows["D1"].status, rows["D1"].provider_message_id) == ("sent", "sms-1")
    assert rows["D2"].status == "retrying"


async def test_a_database_away_for_too_long_fails_the_batch(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RECORD_RETRY_S", (0.0, 0.0))
    engine = make_engine(database_url)
    calls: list[str] = []
    deps = SimpleNamespace(
        runtime=SimpleNamespace(sessions=_flaky(make_sessionmaker(engine), 99, calls))
    )
    with pytest.raises(ConnectionRefusedError):
        await delivery._record(deps, [], [])  # type: ignore[arg-type]
    await engine.dispose()
    assert calls == ["refused"] * 3  # two pauses, three attempts


async def test_a_rejected_statement_is_not_retried(database_url: str) -> None:
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    calls: list[str] = []
    deps = SimpleNamespace(runtime=SimpleNamespace(sessions=_flaky(sessions, 0, calls)))
    broken = _row("D3", "m3") | {"alert_id": None}  # NOT NULL
    with pytest.raises(IntegrityError):
        await delivery._record(deps, [], [broken])  # type: ignore[arg-type]
    await engine.dispose()
    assert calls == ["ok"]
