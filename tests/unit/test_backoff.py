"""A failing batch handler pauses before its batch is redelivered, longer each time in a
row (bounded), and not at all once it succeeds again; a lost database is told from a
rejected statement (notify waits for the former before recording outcomes)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.exc import DBAPIError

from shared.db import lost_connection
from shared.kafka import RETRY_FIRST_S, RETRY_MAX_S, Records, with_backoff


async def test_failures_in_a_row_pause_longer_up_to_the_bound_and_success_resets() -> None:
    pauses: list[float] = []
    outcomes = iter([*[RuntimeError("database away")] * 8, None, RuntimeError("again")])

    async def handler(records: Records) -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    guarded = with_backoff(handler, "routing/reports.normalized", sleep)
    for _ in range(8):
        with pytest.raises(RuntimeError):  # re-raised: the batch is nacked, redelivered
            await guarded(())
    assert len(pauses) == 8
    assert RETRY_FIRST_S * 0.8 <= pauses[0] <= RETRY_FIRST_S * 1.2
    assert all(b > a for a, b in itertools.pairwise(pauses[:5]))  # doubling
    assert max(pauses) <= RETRY_MAX_S * 1.2
    assert pauses[-1] >= RETRY_MAX_S * 0.8
    await guarded(())  # success: no pause, and the count starts over
    assert len(pauses) == 8
    with pytest.raises(RuntimeError):
        await guarded(())
    assert pauses[-1] <= RETRY_FIRST_S * 1.2


async def test_the_handler_keeps_its_name_and_signature_for_faststream() -> None:
    async def on_reports_raw(records: Records) -> None:
        return None

    guarded = with_backoff(on_reports_raw, "ingest/reports.raw")
    assert guarded.__name__ == "on_reports_raw"
    assert guarded.__wrapped__ is on_reports_raw  # type: ignore[attr-defined]


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("exc", "lost"),
    [
        (ConnectionRefusedError(111, "refused"), True),  # asyncpg connecting to nothing
        (TimeoutError(), True),
        (DBAPIError("SELECT 1", {}, _PgError("57P03")), True),  # starting up
        (DBAPIError("SELECT 1", {}, _PgError("57P01")), True),  # admin shutdown
        (DBAPIError("SELECT 1", {}, _PgError("08006")), True),  # connection failure
        (DBAPIError("SELECT 1", {}, _PgError("XX000"), connection_invalidated=True), True),
        (DBAPIError("INSERT", {}, _PgError("23505")), False),  # unique violation: a bug
        (DBAPIError("INSERT", {}, Exception("no sqlstate")), False),
        (ValueError("bad data"), False),
    ],
)
def test_lost_connection_tells_an_unreachable_database_from_a_rejected_statement(
    exc: BaseException, lost: bool
) -> None:
    assert lost_connection(exc) is lost
