"""The unnest INSERT fills Python-side defaults as SQLAlchemy's own INSERT would: a
callable default once per row (an id generator must not give a batch one id), a scalar
default for every row. Pure: the statement's parameters, no database (the round trip on
PostgreSQL is in tests/integration/test_foundation.py)."""

from __future__ import annotations

import itertools

from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from shared.db import _unnest_insert


def test_callable_defaults_are_called_per_row_and_scalars_repeated() -> None:
    counter = itertools.count(1)
    table = Table(
        "things",
        MetaData(),
        Column("thing_id", String, primary_key=True, default=lambda: f"T{next(counter)}"),
        Column("name", String),
        Column("step", Integer, default=1),
    )
    statement, params = _unnest_insert(asyncpg_dialect(), table, [{"name": "a"}, {"name": "b"}])

    assert "unnest" in str(statement)
    assert {tuple(values) for values in params.values()} == {("T1", "T2"), ("a", "b"), (1, 1)}
