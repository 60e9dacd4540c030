"""Members edited in the console (real PostgreSQL and Kafka, over HTTP): add, edit and
remove land in the directory notify reads (``shared.directory.get_team``); numbers are
stored in E.164; an unreadable number or a channel without its address is refused with
the field named and nothing saved; CSRF, a viewer and another office are refused; the
edit form's views and every change are audited, without the numbers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from console_service.web.models import AuditEntry
from shared.db import make_engine, make_sessionmaker
from shared.directory import get_team
from shared.schemas import Team
from tests.integration.console.conftest import Console
from tests.integration.console.test_console_teams import seed_directory

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TEAM = "timpora-63.10.06"
NUMBERS = re.compile(r"\+?62\d{6,}|08\d{6,}|0812-")


async def team_now(console: Console) -> Team:
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        team = await get_team(session, TEAM)
    await engine.dispose()
    assert team is not None
    return team


async def audit_of(console: Console, *actions: str) -> list[AuditEntry]:
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        rows = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)
            )
        )
    await engine.dispose()
    return rows


def member_form(csrf: str, **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf": csrf,
        "name": "Dewi Percontohan",
        "role": "Lurah",
        "phone": "0812-3456-7890",
        "whatsapp": "",
        "email": "lurah.simpangempat@example.org",
        "telegram_chat_id": "",
        "channels": ["sms", "email", ""],
        "language": "id",
        "on_duty": "1",
        "quiet_start": "",
        "quiet_end": "",
    }
    return {**form, **fields}


async def test_add_edit_remove_round_trip(console: Console) -> None:
    await seed_directory(console.database_url)
    await console.login("ops-a")
    csrf = await console.csrf()
    before = await team_now(console)
    new = await console.client.get(f"/teams/{TEAM}/members/new")
    assert new.status_code == 200
    assert 'name="csrf"' in new.text

    added = await console.client.post(f"/teams/{TEAM}/members", data=member_form(csrf))
    assert (added.status_code, added.headers["location"]) == (303, f"/teams/{TEAM}?done=md_added")
    team = await team_now(console)
    assert len(team.members) == len(before.members) + 1
    member = team.members[-1]  # last in the team's order
    assert member.member_id not in {m.member_id for m in before.members}
    assert re.fullmatch(r"m[0-9a-f]{10}", member.member_id)
    assert (member.name, member.role, member.phone) == (
        "Dewi Percontohan",
        "Lurah",
        "+6281234567890",
    )
    assert [c.value for c in member.channels] == ["sms", "email"]
    page = await console.client.get(f"/teams/{TEAM}?done=md_added")
    assert "Anggota ditambahkan" in page.text
    assert f'data-member="{member.member_id}"' in page.text
    assert "+6281234567890" not in page.text  # the list stays masked

    # the edit form shows the full values to an operator, and that view is audited
    url = f"/teams/{TEAM}/members/{member.member_id}"
    form = await console.client.get(f"{url}/edit")
    assert form.status_code == 200
    assert 'value="+6281234567890"' in form.text
    english = await console.client.get(f"{url}/edit?lang=en")
    assert "Save member" in english.text
    back = await console.client.get(f"{url}?lang=en")  # a refused form's language link
    assert (back.status_code, back.headers["location"]) == (303, f"{url}/edit?lang=en")
    edit = member_form(
        csrf,
        name="Dewi P.",
        phone="+62 813 1111 2222",
        whatsapp="0813 1111 2222",
        telegram_chat_id="700000099",
        channels=["whatsapp", "telegram", "sms", ""],
        quiet_start="22:00",
        quiet_end="06:00",
        language="en",
        on_duty="",
    )
    saved = await console.client.post(url, data=edit)
    assert (saved.status_code, saved.headers["location"]) == (303, f"/teams/{TEAM}?done=md_saved")
    edited = next(m for m in (await team_now(console)).members if m.member_id == member.member_id)
    assert (edited.phone, edited.whatsapp, edited.telegram_chat_id) == (
        "+6281311112222",
        "+6281311112222",
        "700000099",
    )
    assert [c.value for c in edited.channels] == ["whatsapp", "telegram", "sms"]
    assert edited.quiet_hours is not None
    assert edited.quiet_hours.start.hour == 22
    assert (edited.language, edited.on_duty, edited.name) == ("en", False, "Dewi P.")

    removed = await console.client.post(f"{url}/remove", data={"csrf": csrf})
    assert removed.headers["location"] == f"/teams/{TEAM}?done=md_removed"
    assert [m.member_id for m in (await team_now(console)).members] == [
        m.member_id for m in before.members
    ]
    assert (await console.client.get(f"{url}/edit")).status_code == 404

    entries = await audit_of(console, "member_add", "member_edit", "member_remove", "view_pii")
    actions = [(e.action, e.target, e.detail.get("member_id")) for e in entries]
    assert actions == [
        ("member_add", TEAM, member.member_id),
        ("view_pii", TEAM, member.member_id),
        ("view_pii", TEAM, member.member_id),
        ("member_edit", TEAM, member.member_id),
        ("member_remove", TEAM, member.member_id),
    ]
    assert entries[3].detail["fields"] == [
        "name", "phone", "telegram_chat_id", "whatsapp", "channels", "quiet_hours",
        "on_duty", "language",
    ]  # fmt: skip
    assert all(e.username == "ops-a" and e.office == "batulicin" for e in entries)
    assert not any(NUMBERS.search(str(e.detail)) for e in entries)


async def test_bad_numbers_and_channels_without_an_address_are_refused(console: Console) -> None:
    await seed_directory(console.database_url)
    await console.login("ops-a")
    csrf = await console.csrf()
    before = await team_now(console)
    url = f"/teams/{TEAM}/members/m0021"
    cases = [  # (url, form) → the field the error names, and its words
        (f"/teams/{TEAM}/members", member_form(csrf, phone="12"), "phone", "bukan nomor telepon"),
        (url, member_form(csrf, whatsapp="0812-ABCD"), "whatsapp", "bukan nomor telepon"),
        (url, member_form(csrf, email="", channels=["sms", "email"]), "email", "saluran email"),
        (url, member_form(csrf, channels=["telegram"]), "telegram_chat_id", "saluran telegram"),
        (url, member_form(csrf, channels=["whatsapp"]), "whatsapp", "saluran whatsapp"),
        (url, member_form(csrf, phone="", channels=["sms"]), "phone", "saluran sms"),
        (url, member_form(csrf, channels=["", ""]), "channels", "sedikitnya satu saluran"),
        (url, member_form(csrf, channels=["sms", "sms"]), "channels", "dua kali"),
        (url, member_form(csrf, name=""), "name", "wajib diisi"),
        (url, member_form(csrf, quiet_start="22:00"), "quiet_hours", "jam mulai dan selesai"),
    ]
    for target, form, field, words in cases:
        answer = await console.client.post(target, data=form)
        assert answer.status_code == 422, (field, answer.status_code)
        assert f'<li data-field="{field}">' in answer.text, field
        assert f'id="err-{field}"' in answer.text, field
        assert words in answer.text, (field, words)
        assert f'value="{form["name"]}"' in answer.text  # the form comes back as typed
    english = await console.client.post(f"{url}?lang=en", data=member_form(csrf, phone="12"))
    assert "not a usable phone number" in english.text
    assert await team_now(console) == before  # nothing saved
    assert await audit_of(console, "member_add", "member_edit") == []


async def test_csrf_viewer_and_other_office(console: Console) -> None:
    await seed_directory(console.database_url)
    before = await team_now(console)
    await console.login("ops-a")
    csrf = await console.csrf()
    url = f"/teams/{TEAM}/members/m0021"
    posts = [(f"/teams/{TEAM}/members", member_form("")), (url, member_form("")),
             (f"{url}/remove", {})]  # fmt: skip
    for target, form in posts:  # no CSRF token
        assert (await console.client.post(target, data=form)).status_code == 403, target
    wrong = member_form("not-the-token")
    assert (await console.client.post(url, data=wrong)).status_code == 403
    assert (await console.client.get(f"/teams/{TEAM}/members/intruder/edit")).status_code == 404
    gone = await console.client.post(f"/teams/{TEAM}/members/intruder/remove", data={"csrf": csrf})
    assert gone.status_code == 404
    await console.client.post("/logout", data={"csrf": csrf})

    # a viewer reads the masked list; no edit link, and every edit URL is a 403
    await console.login("view-a")
    page = await console.client.get(f"/teams/{TEAM}")
    assert page.status_code == 200
    assert "/edit" not in page.text
    assert 'id="add-member"' not in page.text
    csrf = await console.csrf()
    for get in (f"/teams/{TEAM}/members/new", f"{url}/edit"):
        assert (await console.client.get(get)).status_code == 403, get
    for target, form in posts:
        answer = await console.client.post(target, data={**form, "csrf": csrf})
        assert answer.status_code == 403, target
    await console.client.post("/logout", data={"csrf": csrf})

    # another office: the team and every member URL are a 404, even with its CSRF token
    await console.login("ops-b")
    csrf = await console.csrf()
    for get in (f"/teams/{TEAM}", f"/teams/{TEAM}/members/new", f"{url}/edit"):
        assert (await console.client.get(get)).status_code == 404, get
    for target, form in posts:
        answer = await console.client.post(target, data={**form, "csrf": csrf})
        assert answer.status_code == 404, target

    assert await team_now(console) == before
    assert await audit_of(console, "member_add", "member_edit", "member_remove", "view_pii") == []


async def test_removing_a_member_takes_them_out_of_the_roster(console: Console) -> None:
    await seed_directory(console.database_url)
    await console.login("ops-a")
    csrf = await console.csrf()
    roster = f"/teams/{TEAM}/roster"
    for member in ("m0021", "m0022"):
        slot = {"csrf": csrf, "op": "add_slot", "weekday": "0", "start": "08:00",
                "end": "16:00", "member_id": member}  # fmt: skip
        assert (await console.client.post(roster, data=slot)).status_code == 303
    leave = {"csrf": csrf, "op": "add_override", "member_id": "m0021", "on_duty": "0",
             "starts_at": "2030-01-01T08:00", "ends_at": "2030-01-02T08:00"}  # fmt: skip
    assert (await console.client.post(roster, data=leave)).status_code == 303

    removed = await console.client.post(f"/teams/{TEAM}/members/m0021/remove", data={"csrf": csrf})
    assert removed.status_code == 303
    team = await team_now(console)
    assert "m0021" not in {m.member_id for m in team.members}
    assert team.roster is not None
    assert [s.member_id for s in team.roster.slots] == ["m0022"]
    assert team.roster.overrides == []
    (entry,) = await audit_of(console, "member_remove")
    assert entry.detail == {"member_id": "m0021", "slots": 1, "overrides": 1}
    page = await console.client.get(f"/teams/{TEAM}?done=md_removed")
    assert "dari jadwal piketnya" in page.text
