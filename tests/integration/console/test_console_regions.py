"""The region codes page: the decrees of the stored codes and of the data, the
migrations so far, and the teams in the user's scopes whose code the data lacks (another
office's stale team is not shown); the same decision as ``timpora regions status``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import TeamRow
from shared.jurisdiction import SHIPPED_DECREE
from shared.region_versions import record_decree
from tests.integration.console.conftest import Console
from tests.integration.console.test_console_teams import seed_directory

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def seed(database_url: str, *, migrated: bool) -> None:
    await seed_directory(database_url)
    await drift(database_url, ["63.10.99", "63.71.99"], migrated=migrated)  # in, out of scope


async def drift(database_url: str, codes: Iterable[str], *, migrated: bool = True) -> None:
    """Teams on ``codes`` (codes no decree has) and, ``migrated``, the database's codes
    recorded as following a newer decree than the services' data."""
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        for code in codes:
            session.add(TeamRow(team_id=f"stale-{code}", name=f"Timpora Kecamatan Contoh {code}",
                                level="kecamatan", jurisdiction_code=code))  # fmt: skip
        if migrated:
            await record_decree(
                session, decree="Kepmendagri 9/2027 (synthetic)", previous=SHIPPED_DECREE,
                applied_at=datetime(2027, 1, 5, 3, 0, tzinfo=UTC), applied_by="root",
                summary={"teams": 2, "silences": 1, "offices": 0, "users": 1},
            )  # fmt: skip
    await engine.dispose()


async def test_stale_teams_in_scope_and_the_decrees(console: Console) -> None:
    await seed(console.database_url, migrated=False)
    assert (await console.client.get("/regions")).status_code == 303  # a session first
    await console.login("view-a")
    page = (await console.client.get("/regions?lang=en")).text
    assert f"<dd>{SHIPPED_DECREE}</dd>" in page
    assert 'id="behind"' not in page  # the data and the database follow one decree
    assert "<code>63.10.99</code>" in page
    assert "63.71.99" not in page  # Banjarmasin's: outside the viewer's scopes
    assert "No migration yet" in page


async def test_a_database_on_another_decree_is_flagged_with_its_history(
    console: Console,
) -> None:
    await seed(console.database_url, migrated=True)
    await console.login("ops-b")
    page = (await console.client.get("/regions")).text
    assert "<dd>Kepmendagri 9/2027 (synthetic)</dd>" in page
    assert 'id="behind"' in page
    assert "<code>timpora regions migrate</code>" in page
    assert "2027-01-05 03:00 UTC" in page
    assert "<code>63.71.99</code>" in page
    assert "63.10.99" not in page
