"""Speed code, kept out of the domain modules: each adapter is named for what it adapts,
says what it measured, and has tests that pin the library internals it leans on
(``tests/unit/adapters``, ``tests/integration/adapters``).

- :mod:`shared.adapters.bulk_sql`: SQLAlchemy Core INSERT/UPDATE of a batch as one
  ``unnest`` statement on PostgreSQL;
- :mod:`shared.adapters.batch_publish`: records sent to aiokafka one batch per partition,
  past FastStream's per-record publish path.

Adapters import the domain helpers (``shared.db``, ``shared.settings``), never the
reverse, except ``shared.kafka`` calling :mod:`~shared.adapters.batch_publish`, which
imports nothing of ``shared.kafka``.
"""
