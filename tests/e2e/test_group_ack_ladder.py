"""A press in the team's Telegram group stops the escalation ladder, across the three
services and the console on real Kafka and PostgreSQL: an operator names Batu Licin's
team's group on the team's console page; its Camat presses *Terima* there. Counted at
the fake providers: each member of the team received the alert once, the group its one
message (edited once, to show who took it), and the kabupaten team nothing of it; the
Satui alert nobody acknowledged reached every kabupaten member once (the ladder runs; the
group ack is what stopped the other)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.e2e.test_console_browser import PASSWORD, console_server, received_by
from tests.e2e.test_escalation_acks import KANIM, alert_rows, overstay
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
GROUP = -1001234567890
BATU_LICIN, SATUI, TANAH_BUMBU = "timpora-63.10.01", "timpora-63.10.04", "timpora-63.10"
CAMAT_USER_ID = 700000006  # m0006's Telegram user (her personal channels: SMS, e-mail)


async def give_group(base: str, team_id: str, chat_id: int) -> None:
    """ops-a names the team's group with the team page's form, over HTTP."""
    async with httpx.AsyncClient(base_url=base) as client:
        login = {"username": "ops-a", "password": PASSWORD, "csrf": await _csrf(client, "/login")}
        assert (await client.post("/login", data=login)).status_code == 303
        form = {"csrf": await _csrf(client, f"/teams/{team_id}"), "chat_id": str(chat_id)}
        saved = await client.post(f"/teams/{team_id}/group", data=form)
        assert saved.status_code == 303, saved.text


async def _csrf(client: httpx.AsyncClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', (await client.get(path)).text)
    assert found is not None, path
    return found[1]


async def test_a_press_in_the_team_group_stops_the_ladder(pipeline_factory) -> None:  # type: ignore[no-untyped-def]
    async with (
        asynccontextmanager(pipeline_factory)(escalate_after="4s") as p,
        console_server(p.database_url) as console,
    ):
        await give_group(console, BATU_LICIN, GROUP)
        await asyncio.sleep(1.5)  # NOTIFY_DIRECTORY_CACHE_SECONDS=1 in these tests
        ids = {}
        for team, code, passport in ((BATU_LICIN, "63.10.01", "B2000001"),
                                     (SATUI, "63.10.04", "B2000002")):  # fmt: skip
            response = await p.ingest.post(
                "/v1/reports", json=overstay(code, passport), headers=KANIM
            )
            assert response.status_code == 202, response.text
            ids[team] = response.json()["report_ids"][0]
        tg = p.sinks.telegram

        def group_messages() -> list[tuple[str, int]]:
            return [key for key in tg.messages if key[0] == str(GROUP)]

        async def group_posted() -> bool:
            return len(group_messages()) >= 1

        await wait_for(group_posted, timeout=30)
        alerts = await alert_rows(p.database_url)
        grouped, unacked = alerts[ids[BATU_LICIN]], alerts[ids[SATUI]]
        [(_, message_id)] = group_messages()
        answer = await tg.press(
            p.notify, secret="inbound-e2e", user_id=CAMAT_USER_ID, chat_id=GROUP,
            message_id=message_id,
        )  # fmt: skip
        assert answer.status_code == 200
        assert answer.json()["outcome"] == "ack"

        async def satui_escalated() -> bool:
            return len(received_by(p.sinks, TANAH_BUMBU, unacked.ack_code)) >= 3

        await wait_for(satui_escalated, timeout=30)
        await asyncio.sleep(4 + 2)  # a whole escalate_after more: a wrong step would show
        final = await alert_rows(p.database_url)

    assert final[ids[BATU_LICIN]].status == "acked"
    assert final[ids[BATU_LICIN]].escalation_step == 0
    assert final[ids[SATUI]].escalation_step >= 1  # the ladder ran on (the province too)
    assert received_by(p.sinks, BATU_LICIN, grouped.ack_code) == Counter(
        {("m0006", "sms"): 1, ("m0007", "telegram"): 1, ("m0008", "whatsapp"): 1}
    )
    assert received_by(p.sinks, TANAH_BUMBU, grouped.ack_code) == Counter()
    kabupaten = received_by(p.sinks, TANAH_BUMBU, unacked.ack_code)
    assert len(kabupaten) == 3
    assert set(kabupaten.values()) == {1}
    assert p.sinks.per_recipient()[("telegram", str(GROUP))] == 1  # one message in the group
    [edit] = tg.edits  # edited once, to show who took it (role and initials only)
    assert edit["message_id"] == message_id
    assert edit["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ Diterima oleh Camat (D. D.)"
