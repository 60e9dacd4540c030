"""A team's Telegram group named in the console: an operator of the team's area sets or
clears it (the directory's own check refuses a person's chat id with the reason, nothing
saved), audited; a viewer may not, another office gets a 404. What is stored is what
notify reads (``shared.directory.get_teams``); that notify then posts to the group is
``tests/integration/notify/test_team_group.py``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console_service.web.models import AuditEntry
from shared.db import make_engine, make_sessionmaker
from shared.directory import get_teams
from tests.integration.console.conftest import Console
from tests.integration.console.test_console_teams import TEAM, seed_directory

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
GROUP = "-1001234567890"


async def stored(database_url: str) -> tuple[str | None, list[tuple[str, dict[str, object]]]]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        team = (await get_teams(session, [TEAM]))[TEAM]
        audit = [
            (e.username, e.detail)
            for e in await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "team_group").order_by(AuditEntry.id)
            )
        ]
    await engine.dispose()
    return team.telegram_group_chat_id, audit


async def test_an_operator_names_and_clears_the_teams_group(console: Console) -> None:
    await seed_directory(console.database_url)
    await console.login("ops-a")
    page = (await console.client.get(f"/teams/{TEAM}")).text
    assert "Tim ini tidak punya grup Telegram." in page
    csrf = await console.csrf()

    name = lambda chat_id: console.client.post(  # noqa: E731
        f"/teams/{TEAM}/group", data={"csrf": csrf, "chat_id": chat_id}
    )
    person = await name("700000021")
    assert person.status_code == 422
    assert "a positive id is a person&#39;s chat, not a group" in person.text
    assert 'value="700000021"' in person.text  # what was typed, to correct
    assert await stored(console.database_url) == (None, [])

    saved = await name(f" {GROUP} ")
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/teams/{TEAM}?done=md_group_saved",
    )
    assert f"<code>{GROUP}</code>" in (await console.client.get(f"/teams/{TEAM}")).text
    chat_id, audit = await stored(console.database_url)
    assert chat_id == GROUP
    assert [(user, details.get("chat_id")) for user, details in audit] == [("ops-a", GROUP)]

    cleared = await name("")
    assert cleared.status_code == 303
    chat_id, audit = await stored(console.database_url)
    assert chat_id is None
    assert [details.get("chat_id") for _, details in audit] == [GROUP, None]


async def test_a_viewer_and_another_office_cannot_name_it(console: Console) -> None:
    await seed_directory(console.database_url)
    await console.login("view-a")
    assert 'id="group-form"' not in (await console.client.get(f"/teams/{TEAM}")).text
    form = {"csrf": await console.csrf(), "chat_id": GROUP}
    assert (await console.client.post(f"/teams/{TEAM}/group", data=form)).status_code == 403
    await console.client.post("/logout", data={"csrf": form["csrf"]})
    await console.login("ops-b")
    form = {"csrf": await console.csrf(), "chat_id": GROUP}
    assert (await console.client.post(f"/teams/{TEAM}/group", data=form)).status_code == 404
    assert await stored(console.database_url) == (None, [])
