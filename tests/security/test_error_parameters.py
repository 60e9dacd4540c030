"""The leak (found by the failure suite, #17 item 11): with PostgreSQL gone, a failed
batch's error was logged with the statement's bound parameters, group keys with passport
numbers among them, through FastStream's own logger, which writes past the PII filter.
The engine now hides bound parameters (tested here), and the broker logs through the
services' logger and its PII filter (the failure suite's log scan, which found the leak,
covers that path: it stops PostgreSQL while reports flow)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import make_engine


async def test_a_failed_statement_does_not_carry_its_parameters(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(
                    text("SELECT * FROM routing_alerts WHERE group_key = :k"),
                    {"k": "illegal_work|P:F1000178|63.10.08|2026-12-02"},
                )
    finally:
        await engine.dispose()
    assert "F1000178" not in str(failed.value)
    assert "hidden" in str(failed.value)
