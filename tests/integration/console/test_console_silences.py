"""Silences in the console: the preview names the active alerts routing's own matcher
would mute; a silence is created and expired only inside the user's scopes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console_service.web.models import AuditEntry
from routing_service.models import Silence
from shared.db import make_engine, make_sessionmaker
from tests.integration.console.conftest import Console

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def silences(database_url: str) -> list[Silence]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = list(await session.scalars(select(Silence)))
    await engine.dispose()
    return rows


async def test_preview_shows_what_would_be_muted(console: Console) -> None:
    await console.login("ops-a")
    csrf = {"X-CSRF-Token": await console.csrf()}
    mine = console.alerts["batulicin"]

    async def preview(**form: str) -> str:
        response = await console.client.post("/silences/preview", data=form, headers=csrf)
        assert response.status_code == 200
        return response.text

    hit = await preview(prefix="63.10.06", category="overstay")
    assert re.search(r"<strong>1</strong>", hit)
    assert mine[-8:] in hit
    assert re.search(
        r"<strong>0</strong>", await preview(prefix="63.10.06", category="illegal_work")
    )
    assert re.search(r"<strong>0</strong>", await preview(prefix="63.10.01"))
    # another office's area: refused, and its alert is never listed
    other = await preview(prefix="63.71")
    assert "Di luar wilayah Anda" in other
    assert console.alerts["banjarmasin"][-8:] not in other
    assert "Isi sedikitnya satu kriteria" in await preview()


async def test_create_and_expire_inside_the_scope_only(console: Console) -> None:
    await console.login("ops-a")
    csrf = await console.csrf()
    form = {"csrf": csrf, "prefix": "63.10.06", "duration": "4h", "comment": "Razia terpadu"}
    created = await console.client.post("/silences", data=form)
    assert (created.status_code, created.headers["location"]) == (
        303,
        "/silences?done=silence_added",
    )
    (row,) = await silences(console.database_url)
    assert row.matchers == {"jurisdiction_prefix": "63.10.06"}
    assert row.created_by == "console:ops-a"
    refused = await console.client.post("/silences", data={**form, "prefix": "63.71"})
    assert refused.status_code == 403
    no_reason = await console.client.post("/silences", data={**form, "comment": " "})
    assert no_reason.status_code == 400
    no_place = await console.client.post("/silences", data={**form, "prefix": ""})
    assert no_place.status_code == 400
    assert len(await silences(console.database_url)) == 1

    # the other office neither sees nor ends it
    await console.client.post("/logout", data={"csrf": csrf})
    await console.login("ops-b")
    listing = await console.client.get("/silences")
    assert row.id not in listing.text
    ended = await console.client.post(
        f"/silences/{row.id}/expire", data={"csrf": await console.csrf()}
    )
    assert ended.status_code == 404
    assert (await silences(console.database_url))[0].ends_at == row.ends_at

    # its office ends it
    await console.client.post("/logout", data={"csrf": await console.csrf()})
    await console.login("ops-a")
    ended = await console.client.post(
        f"/silences/{row.id}/expire", data={"csrf": await console.csrf()}
    )
    assert ended.status_code == 303
    assert (await silences(console.database_url))[0].ends_at < row.ends_at
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        audit = [
            (e.username, e.action, e.target)
            for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.action.startswith("silence")
        ]
    await engine.dispose()
    assert audit == [("ops-a", "silence_add", row.id), ("ops-a", "silence_expire", row.id)]


async def test_a_viewer_cannot_silence(console: Console) -> None:
    await console.login("view-a")
    page = await console.client.get("/silences")
    assert 'id="create-silence"' not in page.text
    form = {"csrf": await console.csrf(), "prefix": "63.10.06", "duration": "4h", "comment": "x"}
    assert (await console.client.post("/silences", data=form)).status_code == 403
    assert await silences(console.database_url) == []
