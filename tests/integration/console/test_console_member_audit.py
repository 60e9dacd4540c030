"""What a member did on a member page (they belong to no office) shows in the audit log of
the office whose scopes hold the alert, and no other's."""

from __future__ import annotations

import pytest

from console_service.web.models import AuditEntry
from shared.db import make_engine, make_sessionmaker, transaction
from tests.integration.console.conftest import Console

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_members_view_of_full_details_is_audited_for_the_alerts_office_only(
    console: Console,
) -> None:
    engine = make_engine(console.database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        session.add(
            AuditEntry(
                username="member:m0021",
                office=None,
                action="view_pii",
                target=console.alerts["batulicin"],
                detail={},
            )
        )
    await engine.dispose()
    await console.login("ops-a")
    assert "member:m0021" in (await console.client.get("/audit")).text
    await console.client.post("/logout", data={"csrf": await console.csrf()})
    await console.login("ops-b")
    page = await console.client.get("/audit")
    assert page.status_code == 200
    assert "member:m0021" not in page.text
