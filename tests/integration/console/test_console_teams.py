"""The directory in the console: a team's members (contacts masked), who is on duty now,
and its roster edited inside the user's scopes only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from console_service.web.models import AuditEntry
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import get_team, load_directory, replace_directory
from shared.schemas import utcnow
from tests.integration.console.conftest import Console

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[3]
TEAM = "timpora-63.10.06"
WITA = ZoneInfo("Asia/Makassar")


async def seed_directory(database_url: str) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, load_directory(ROOT / "config" / "teams.yaml"))
    await engine.dispose()


def local(delta: timedelta) -> str:
    return (utcnow() + delta).astimezone(WITA).strftime("%Y-%m-%dT%H:%M")


async def test_roster_edits_inside_the_scope(console: Console) -> None:
    await seed_directory(console.database_url)
    await console.login("ops-a")
    listing = await console.client.get("/teams")
    assert TEAM in listing.text
    page = await console.client.get(f"/teams/{TEAM}")
    assert page.status_code == 200
    assert "+6281200000021" not in page.text  # contacts masked
    csrf = await console.csrf()
    # m0021 stands in now for two hours: the roster exists, only m0021 is on duty
    swap = {
        "csrf": csrf, "op": "add_override", "member_id": "m0021", "on_duty": "1",
        "starts_at": local(-timedelta(hours=1)), "ends_at": local(timedelta(hours=2)),
    }  # fmt: skip
    saved = await console.client.post(f"/teams/{TEAM}/roster", data=swap)
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/teams/{TEAM}?done=roster_saved",
    )
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        team = await get_team(session, TEAM)
    await engine.dispose()
    assert team is not None
    assert team.roster is not None
    assert [o.member_id for o in team.roster.overrides] == ["m0021"]
    page = await console.client.get(f"/teams/{TEAM}")
    duty = {
        m: page.text.split(f'data-member="{m}"')[1].split("</tr>")[0].count(">ya<")
        for m in ("m0021", "m0022", "m0023")
    }
    assert duty == {"m0021": 1, "m0022": 0, "m0023": 0}
    # invalid edits are refused, nothing saved
    for bad in ({**swap, "member_id": "intruder"}, {**swap, "ends_at": local(-timedelta(hours=3))},
                {"csrf": csrf, "op": "remove_slot", "index": "7"}):  # fmt: skip
        assert (await console.client.post(f"/teams/{TEAM}/roster", data=bad)).status_code == 400

    # another office: the team is not listed, its page and its roster are a 404
    await console.client.post("/logout", data={"csrf": csrf})
    await console.login("ops-b")
    assert TEAM not in (await console.client.get("/teams")).text
    assert (await console.client.get(f"/teams/{TEAM}")).status_code == 404
    clear = {"csrf": await console.csrf(), "op": "clear"}
    assert (await console.client.post(f"/teams/{TEAM}/roster", data=clear)).status_code == 404
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        still = await get_team(session, TEAM)
        edits = [
            (e.username, e.target)
            for e in await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "roster_edit")
            )
        ]
    await engine.dispose()
    assert still is not None
    assert still.roster is not None
    assert edits == [("ops-a", TEAM)]
