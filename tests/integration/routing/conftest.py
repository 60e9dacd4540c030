"""Fixtures of the routing integration tests."""

from __future__ import annotations

import pytest

from tests.integration.routing.test_routing_service import seed


@pytest.fixture
async def db(database_url: str) -> str:
    """A database with the seed directory (the teams routing reads)."""
    await seed(database_url)
    return database_url
