"""Offices in the console: an administrator lists, adds and edits offices (checked like
an import: areas, fallback teams, overrides), audited; an operator sees only their own
office, read-only, and cannot save; another office is a 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console_service.web import identity
from console_service.web.models import AuditEntry
from shared.db import make_engine, make_sessionmaker, transaction
from shared.offices import Office, all_offices, replace_offices
from tests.integration.console.conftest import PASSWORD, Console
from tests.integration.console.test_console_teams import seed_directory

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

BATULICIN = Office(
    id="batulicin",
    name="Kantor Imigrasi Batulicin",
    home_area=["63.10", "63.02"],
    fallback_team="timpora-63.10",
)
BANJARMASIN = Office(
    id="banjarmasin",
    name="Kantor Imigrasi Banjarmasin",
    home_area=["63.71"],
    fallback_team="timpora-63",
)


async def seed(database_url: str) -> None:
    await seed_directory(database_url)
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_offices(session, [BATULICIN, BANJARMASIN])
        await identity.add_user(
            session=session, username="root", password=PASSWORD, role="admin",
            office="batulicin", scopes=["*"],
        )  # fmt: skip
    await engine.dispose()


async def stored(database_url: str) -> tuple[dict[str, Office], list[AuditEntry]]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        offices = {o.id: o for o in await all_offices(session)}
        audit = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action.like("office_%")))
        )
    await engine.dispose()
    return offices, audit


def form(csrf: str, office: Office, **changes: str) -> dict[str, str]:
    return {
        "csrf": csrf, "id": office.id, "name": office.name,
        "home_area": ", ".join(office.home_area), "fallback_team": office.fallback_team,
        "sources": "", "escalate_after": "", **changes,
    }  # fmt: skip


async def test_an_operator_sees_only_their_office_and_cannot_change_it(console: Console) -> None:
    await seed(console.database_url)
    await console.login("ops-a")
    listing = await console.client.get("/offices")
    assert 'data-office="batulicin"' in listing.text
    assert "banjarmasin" not in listing.text.lower()
    own = await console.client.get("/offices/batulicin")
    assert own.status_code == 200
    assert 'id="save-office"' not in own.text
    assert (await console.client.get("/offices/banjarmasin")).status_code == 404
    assert (await console.client.get("/offices/new")).status_code == 403
    csrf = await console.csrf()
    edit = form(csrf, BATULICIN, fallback_team="timpora-63.02") | {"editing": "batulicin"}
    assert (await console.client.post("/offices", data=edit)).status_code == 403
    offices, audit = await stored(console.database_url)
    assert offices["batulicin"] == BATULICIN
    assert audit == []


async def test_an_administrator_adds_and_edits_offices_with_the_import_checks(
    console: Console,
) -> None:
    await seed(console.database_url)
    await console.login("root")
    listing = await console.client.get("/offices")
    assert 'data-office="batulicin"' in listing.text
    assert 'data-office="banjarmasin"' in listing.text
    csrf = await console.csrf()
    edit = {"editing": "batulicin"}

    missing_csrf = form("", BATULICIN, escalate_after="30m") | edit
    assert (await console.client.post("/offices", data=missing_csrf)).status_code == 403

    refusals = {
        "is not in the directory": form(csrf, BATULICIN, fallback_team="timpora-99") | edit,
        "lies in": form(csrf, BATULICIN, home_area="63.10, 63.71") | edit,  # Banjarmasin's
        "escalate_after": form(csrf, BATULICIN, escalate_after="soon") | edit,
        "cannot change": form(csrf, BATULICIN, id="batulicin2") | edit,
        "exists": form(csrf, BANJARMASIN),  # a new office with an id in use
        "unknown Kemendagri": form(csrf, BATULICIN, home_area="99.99") | edit,
    }
    for why, data in refusals.items():
        refused = await console.client.post("/offices", data=data)
        assert refused.status_code == 422, why
        assert why in refused.text, why

    saved = await console.client.post(
        "/offices", data=form(csrf, BATULICIN, escalate_after="30m", sources="apoa-kalsel") | edit
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/offices/batulicin")
    added = await console.client.post(
        "/offices",
        data=form(
            csrf,
            Office(
                id="tabalong",
                name="Kanim Tabalong",
                home_area=["63.09"],
                fallback_team="timpora-63",
            ),
        ),
    )
    assert added.status_code == 303

    offices, audit = await stored(console.database_url)
    assert offices["batulicin"].defaults == {"escalate_after": "30m"}
    assert offices["batulicin"].sources == ["apoa-kalsel"]
    assert offices["tabalong"].home_area == ["63.09"]
    assert offices["banjarmasin"] == BANJARMASIN
    assert sorted((a.action, a.target, a.detail["fields"]) for a in audit) == [
        ("office_add", "tabalong", sorted(["id", "name", "home_area", "fallback_team", "sources",
                                             "group_key", "group_window", "escalate_after",
                                             "update_sms_every"])),
        ("office_edit", "batulicin", ["defaults", "sources"]),
    ]  # fmt: skip
    page = await console.client.get("/offices/batulicin")
    assert 'value="30m"' in page.text
