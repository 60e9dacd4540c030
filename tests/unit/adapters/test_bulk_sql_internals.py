"""Pins of what ``shared.adapters.bulk_sql`` does by hand in place of SQLAlchemy's INSERT:
Python-side defaults (``column.default.is_callable`` / ``.arg``), bind values
(``type.bind_processor``), array casts (``type.compile``) and identifiers
(``identifier_preparer``). Pure: the statements and their parameters, no database (the
round trip on PostgreSQL and SQLite is tests/integration/adapters/test_bulk_sql_backends.py).
A failure here means SQLAlchemy changed under the adapter, or a model grew a default the
adapter cannot fill."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from notify_service.models import DeliveryRow
from routing_service.models import AlertRow, EscalationTimer, ProcessedReport
from shared.adapters.bulk_sql import _python_defaults, _unnest_insert, _unnest_update
from shared.db import UtcDateTime

# the tables the services write with insert_many / insert_many_ignore / update_many
BULK_TABLES = [m.__table__ for m in (DeliveryRow, AlertRow, EscalationTimer, ProcessedReport)]


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


@pytest.mark.parametrize("table", BULK_TABLES, ids=lambda t: t.name)
def test_every_python_default_of_a_bulk_table_is_a_scalar_or_a_callable(table: Table) -> None:
    """``_arrays`` knows two kinds: ``is_callable`` (``arg(None)`` per row) and scalar
    (``arg`` as is). A SQL-expression default (``default=func.now()``) or a sequence would
    be sent as the Python object itself."""
    defaults = _python_defaults(table, frozenset())
    assert defaults, "no defaults: the pin would prove nothing"
    for name, default in defaults.items():
        assert default.is_callable != default.is_scalar, name
        value = default.arg(None) if default.is_callable else default.arg
        assert not hasattr(value, "__clause_element__"), name


def test_a_sql_expression_default_is_neither_kind() -> None:
    """The reason for the pin above: SQLAlchemy tells the kinds apart by these flags."""
    column = Column("at", UtcDateTime, default=func.now())
    assert column.default is not None
    assert not column.default.is_callable
    assert not column.default.is_scalar


def test_utc_datetime_binds_through_the_type_decorator() -> None:
    table = Table("t", MetaData(), Column("at", UtcDateTime))
    plus_two = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))

    _, params = _unnest_insert(asyncpg_dialect(), table, [{"at": plus_two}])

    assert params["c0"] == [datetime(2026, 1, 1, 10, tzinfo=UTC)]
    assert params["c0"][0].tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        _unnest_insert(asyncpg_dialect(), table, [{"at": datetime(2026, 1, 1)}])


def test_json_binds_as_text_for_the_json_array_cast() -> None:
    """asyncpg gets ``CAST(:c0 AS JSON[])`` with strings: the bind processor serialises."""
    table = Table("t", MetaData(), Column("doc", JSON))

    statement, params = _unnest_insert(asyncpg_dialect(), table, [{"doc": {"a": [1, "é"]}}])

    assert "CAST(:c0 AS JSON[])" in str(statement)
    assert isinstance(params["c0"][0], str)


def test_insert_statement_text_quotes_identifiers_and_casts_each_column() -> None:
    table = Table(
        "user",  # reserved words: must be quoted
        MetaData(),
        Column("order", Integer, primary_key=True),
        Column("name", String(40)),
        Column("at", UtcDateTime),
    )
    rows = [{"order": 1, "name": "a", "at": None}]

    statement, _ = _unnest_insert(asyncpg_dialect(), table, rows, ignore=True, returning="order")

    assert str(statement) == (
        'INSERT INTO "user" ("order", name, at) SELECT * FROM unnest('
        "CAST(:c0 AS INTEGER[]), CAST(:c1 AS VARCHAR(40)[]), "
        "CAST(:c2 AS TIMESTAMP WITH TIME ZONE[])) "
        'ON CONFLICT DO NOTHING RETURNING "order"'
    )


def test_update_statement_text() -> None:
    table = Table("user", MetaData(), Column("order", Integer), Column("name", String))

    statement, processors = _unnest_update(table, "order", ("order", "name"), asyncpg_dialect())

    assert str(statement) == (
        'UPDATE "user" AS t SET name = v.name '
        "FROM unnest(CAST(:c0 AS INTEGER[]), CAST(:c1 AS VARCHAR[])) "
        'AS v("order", name) WHERE t."order" = v."order"'
    )
    assert processors == [None, None]


def test_one_statement_object_for_every_batch_size() -> None:
    """The point of the adapter: the statement does not depend on the number of rows
    (and is built once per table, columns and dialect)."""
    dialect = asyncpg_dialect()
    table = EscalationTimer.__table__
    due = datetime(2026, 1, 1, tzinfo=UTC)

    first, *others = [
        _unnest_insert(dialect, table, [{"alert_id": f"A{i}", "due_at": due}] * n)[0]
        for i, n in enumerate((1, 2, 7, 50))
    ]

    assert all(other is first for other in others)
