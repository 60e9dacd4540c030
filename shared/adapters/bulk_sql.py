"""Bulk SQL: SQLAlchemy Core INSERT/UPDATE of a whole batch as one statement.

What it adapts: a batch of rows (all with the same keys) written with SQLAlchemy's
``insert(table)`` / ``update(table)`` executemany becomes, on PostgreSQL, one
``INSERT ... SELECT FROM unnest(<one array per column>)`` or ``UPDATE ... FROM
unnest(...)`` text statement per batch; ``column IN (...)`` becomes ``= ANY(array)``.
On SQLite (a laptop without a server) the same functions run plain SQLAlchemy.

Why: a multi-row ``VALUES`` list or an ``IN`` list is a different statement for every
batch size, and PostgreSQL planned each one afresh — a third of its CPU in the pipeline
went to planning 17-column ``VALUES`` lists (measured in the pipeline; the comment at
:func:`_unnest_insert` has the detail). An array statement is one statement for any
number of rows, prepared once per connection and planned generically.

The text statements do by hand what SQLAlchemy's INSERT would do, through these
SQLAlchemy internals (pinned by ``tests/unit/adapters/test_bulk_sql_internals.py``, the
round trip on both backends by ``tests/integration/adapters/test_bulk_sql_backends.py``):

- Python-side column defaults: ``column.default`` with ``.is_callable`` and ``.arg``
  (a callable ``arg`` takes the execution context; we pass ``None``);
- bind values: ``column.type.bind_processor(dialect)`` (JSON, UtcDateTime...);
- array casts: ``column.type.compile(dialect=dialect)``;
- identifiers: ``dialect.identifier_preparer.quote`` / ``.format_table``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, Table, TextClause, any_, bindparam, insert, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Base, is_postgresql, session_dialect


async def insert_many_ignore(
    session: AsyncSession, model: type[Base], rows: list[dict[str, object]], key: str
) -> set[object]:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING; returns the ``key`` values inserted.

    Rows whose unique key already exists (claimed before, by this or another process) are
    simply not returned. Every row must have the same keys.
    """
    if not rows:
        return set()
    table = model.__table__
    dialect = session_dialect(session)
    if dialect.name == "postgresql":
        sql, params = _unnest_insert(dialect, table, rows, ignore=True, returning=key)
        result = await session.execute(sql, params)
        return set(result.scalars().all())
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(table).on_conflict_do_nothing().returning(table.c[key])
    return set((await session.execute(statement, rows)).scalars().all())


async def insert_many(session: AsyncSession, table: Table, rows: list[dict[str, object]]) -> None:
    """Multi-row INSERT of rows that all have the same keys (one statement on PostgreSQL)."""
    if not rows:
        return
    dialect = session_dialect(session)
    if dialect.name == "postgresql":
        await session.execute(*_unnest_insert(dialect, table, rows))
    else:
        await session.execute(insert(table), rows)


async def update_many(
    session: AsyncSession, table: Table, key: str, rows: list[dict[str, object]]
) -> None:
    """UPDATE each row (by its ``key`` column) with its other values; all rows have the
    same keys. On PostgreSQL one ``UPDATE ... FROM unnest(...)`` for the whole batch."""
    if not rows:
        return
    dialect = session_dialect(session)
    columns = tuple(rows[0])
    if dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c[key] == bindparam("_key"))
            .values({name: bindparam(name) for name in columns if name != key})
        )
        await session.execute(statement, [{**row, "_key": row[key]} for row in rows])
        return
    sql, processors = _unnest_update(table, key, columns, dialect)
    await session.execute(sql, _arrays(columns, processors, rows, {}))


def in_values(session: AsyncSession, column: Any, values: Iterable[object]) -> Any:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one statement (prepared and
    planned once) for any number of values, not one per count."""
    if is_postgresql(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


# Why unnest: a multi-row ``VALUES`` list (SQLAlchemy's "insertmanyvalues") is a different
# statement for every batch size, and PostgreSQL planned each one afresh: a third of its
# CPU in the pipeline went to planning 17-column VALUES lists. ``INSERT ... SELECT FROM
# unnest(<one array per column>)`` is one statement for any number of rows: prepared once
# per connection, planned generically, one executor run per batch (an executemany runs the
# executor once per row).
def _unnest_insert(
    dialect: Dialect,
    table: Table,
    rows: list[dict[str, object]],
    *,
    ignore: bool = False,
    returning: str | None = None,
) -> tuple[TextClause, dict[str, list[object]]]:
    defaults = _python_defaults(table, frozenset(rows[0]))
    columns = (*rows[0], *defaults)
    statement, processors = _unnest_statement(table, columns, ignore, returning, dialect)
    return statement, _arrays(columns, processors, rows, defaults)


def _arrays(
    columns: tuple[str, ...],
    processors: list[Any],
    rows: list[dict[str, object]],
    defaults: dict[str, Any],
) -> dict[str, list[object]]:
    """One array parameter per column (``c0``, ``c1``...), values as SQLAlchemy binds them."""
    params: dict[str, list[object]] = {}
    for i, (name, process) in enumerate(zip(columns, processors, strict=True)):
        if name not in defaults:
            values = [r[name] for r in rows]
        elif defaults[name].is_callable:  # once per row, as SQLAlchemy does (ids, lists)
            values = [defaults[name].arg(None) for _ in rows]
        else:
            values = [defaults[name].arg] * len(rows)
        params[f"c{i}"] = [process(v) for v in values] if process else values
    return params


def _python_defaults(table: Table, present: frozenset[str]) -> dict[str, Any]:
    """The Python-side defaults (scalars and callables) of the columns not in ``present``:
    what SQLAlchemy would have filled in."""
    return {
        c.name: c.default for c in table.columns if c.name not in present and c.default is not None
    }


@functools.lru_cache(maxsize=128)
def _unnest_statement(
    table: Table, columns: tuple[str, ...], ignore: bool, returning: str | None, dialect: Dialect
) -> tuple[TextClause, list[Any]]:
    quote = dialect.identifier_preparer.quote
    arrays = _unnest_arrays(table, columns, dialect)
    # identifiers only, each looked up in table.c by _unnest_arrays (KeyError otherwise)
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(map(quote, columns))})"
    sql = f"INSERT INTO {target} SELECT * FROM unnest({arrays})"  # noqa: S608
    if ignore:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += f" RETURNING {quote(returning)}"
    return text(sql), _processors(table, columns, dialect)


@functools.lru_cache(maxsize=32)
def _unnest_update(
    table: Table, key: str, columns: tuple[str, ...], dialect: Dialect
) -> tuple[TextClause, list[Any]]:
    quote = dialect.identifier_preparer.quote
    names = [quote(name) for name in columns]
    assignments = ", ".join(
        f"{n} = v.{n}" for name, n in zip(columns, names, strict=True) if name != key
    )
    sql = (  # identifiers only, each looked up in table.c by _unnest_arrays
        f"UPDATE {dialect.identifier_preparer.format_table(table)} AS t SET {assignments} "  # noqa: S608
        f"FROM unnest({_unnest_arrays(table, columns, dialect)}) AS v({', '.join(names)}) "
        f"WHERE t.{quote(key)} = v.{quote(key)}"
    )
    return text(sql), _processors(table, columns, dialect)


def _unnest_arrays(table: Table, columns: tuple[str, ...], dialect: Dialect) -> str:
    return ", ".join(
        f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])"
        for i, name in enumerate(columns)
    )


def _processors(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[Any]:
    return [table.c[name].type.bind_processor(dialect) for name in columns]
