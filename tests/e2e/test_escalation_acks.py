"""Escalation across services: an acknowledgement by signed link, by SMS reply or by the
Telegram button stops the escalation of its alert; the unacknowledged one escalates."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from notify_service.models import DeliveryRow
from routing_service.models import AlertRow
from shared.db import make_engine, make_sessionmaker
from tests.kafkautil import wait_for
from tests.member_page import member_pages, token_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KANIM = {"X-API-Key": "dev-key-kanim"}
PLACES = {"link": "63.10.06", "sms": "63.10.02", "telegram": "63.10.01", "nobody": "63.10.04"}


def overstay(code: str, passport: str) -> dict[str, object]:
    return {
        "category": "overstay",
        "severity": "medium",
        "location": {"kecamatan_code": code},
        "subjects": [
            {"full_name": "Test Subject", "nationality": "VNM", "passport_number": passport}
        ],
    }


async def alert_rows(database_url: str) -> dict[str, AlertRow]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = (await session.scalars(select(AlertRow))).all()
    await engine.dispose()
    return {r.report_ids[0]: r for r in rows}


async def test_acks_from_each_channel_stop_escalation(pipeline_factory) -> None:  # type: ignore[no-untyped-def]
    async with asynccontextmanager(pipeline_factory)(escalate_after="4s") as p:
        ids = {}
        for i, (how, code) in enumerate(PLACES.items()):
            response = await p.ingest.post(
                "/v1/reports", json=overstay(code, f"B100000{i}"), headers=KANIM
            )
            assert response.status_code == 202, response.text
            ids[how] = response.json()["report_ids"][0]
        await wait_for(lambda: _n(p, 12), timeout=30)  # 4 kecamatan teams × 3 members
        alerts = await alert_rows(p.database_url)
        by_how = {how: alerts[rid] for how, rid in ids.items()}

        # 1. the Camat of Simpang Empat opens the signed link and confirms
        link_alert = by_how["link"]
        camat = next(r for r in p.sinks.by_channel("sms") if link_alert.ack_code in r.text)
        async with member_pages() as member:
            acked = await member.post(token_in(camat.text), "ack")
            assert acked.status_code == 200
            assert "Terima kasih" in acked.text
        # 2. the Camat of Kusan Hilir replies to the SMS
        sms_alert = by_how["sms"]
        sms = next(r for r in p.sinks.by_channel("sms") if sms_alert.ack_code in r.text)
        reply = await p.notify.get(
            "/v1/webhooks/kannel",
            params={
                "key": "inbound-e2e",
                "from": sms.to.lstrip("+"),
                "text": f"ok {sms_alert.ack_code}",
            },
        )
        assert "dikonfirmasi" in reply.text
        # 3. the Kapolsek of Batu Licin presses the Telegram button
        tg_alert = by_how["telegram"]
        tg = next(r for r in p.sinks.by_channel("telegram") if tg_alert.ack_code in r.text)
        button = tg.meta["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        update = {
            "update_id": 9,
            "callback_query": {"id": "c1", "from": {"id": int(tg.to)}, "data": button},
        }
        answer = await p.notify.post(
            "/v1/webhooks/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": "inbound-e2e"},
        )
        assert answer.json()["ok"] is True

        await wait_for(lambda: _escalated(p, "timpora-63.10"), timeout=30)
        await asyncio.sleep(2)  # room for any wrong escalation to show up
        final = await alert_rows(p.database_url)
        engine = make_engine(p.database_url)
        async with make_sessionmaker(engine)() as session:
            kab = (
                await session.scalars(
                    select(DeliveryRow).where(DeliveryRow.team_id == "timpora-63.10")
                )
            ).all()
        await engine.dispose()

    assert {how: final[rid].status for how, rid in ids.items()} == {
        "link": "acked",
        "sms": "acked",
        "telegram": "acked",
        "nobody": "open",
    }
    assert {how: final[rid].escalation_step for how, rid in ids.items()} == {
        "link": 0,
        "sms": 0,
        "telegram": 0,
        "nobody": 1,
    }
    # Only the unacknowledged Satui alert reached the kabupaten team, once per member.
    assert {r.alert_id for r in kab} == {final[ids["nobody"]].alert_id}
    assert len(kab) == 3


async def _n(p, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(p.sinks.received) >= n


async def _escalated(p, team_id: str) -> bool:  # type: ignore[no-untyped-def]
    engine = make_engine(p.database_url)
    async with make_sessionmaker(engine)() as session:
        found = (
            await session.scalars(
                select(DeliveryRow).where(
                    DeliveryRow.team_id == team_id, DeliveryRow.status == "sent"
                )
            )
        ).all()
    await engine.dispose()
    return len(found) >= 3
