"""The operator CLI (``timpora``) against the real Kafka broker and a fresh PostgreSQL.

The CLI runs ``asyncio.run`` itself, so these tests are plain functions; the async
fixtures (topics, database) are resolved by pytest before the test body runs, and the
few async steps of the tests (publishing, inserting rows) run in their own
``asyncio.run``.
"""
