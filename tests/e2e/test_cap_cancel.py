"""A police CAP alert, its Update and its Cancel through the whole pipeline, counted at
the fake providers: each area's team gets the alert; the Update is a new version of the
same alert; every member who got the alert by SMS gets one "DIBATALKAN" SMS for it."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from routing_service.models import AlertRow
from shared.db import make_engine, make_sessionmaker
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
POLRES = {"X-API-Key": "dev-key-polres", "Content-Type": "application/cap+xml"}


async def alerts(database_url: str) -> list[AlertRow]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = list((await session.scalars(select(AlertRow))).all())
    await engine.dispose()
    return rows


async def test_cap_alert_update_cancel_end_to_end(pipeline_factory) -> None:  # type: ignore[no-untyped-def]
    async with asynccontextmanager(pipeline_factory)() as p:

        async def post(sample: str) -> None:
            body = (SAMPLES / sample).read_bytes()
            response = await p.ingest.post("/v1/cap", content=body, headers=POLRES)
            assert response.status_code == 202, response.text

        def got(code: str, word: str = "") -> list[tuple[str, str]]:
            """(channel, address) of each message about the alert with ``code``."""
            return [
                (r.channel, r.to)
                for r in p.sinks.received
                if code in r.text + r.subject and word in r.text + r.subject
            ]

        await post("cap_satui_tambang.xml")  # Satui and Angsana
        rows = await wait_for(lambda: _opened(p.database_url, 4))  # two kecamatan, two kab
        assert {r.team_id for r in rows} == {
            "timpora-63.10.04",
            "timpora-63.10.09",
            "timpora-63.10",
        }
        satui = next(r for r in rows if r.team_id == "timpora-63.10.04")
        # every member of each team (three in the seed) has the alert
        await wait_for(_async(lambda: all(len(set(got(r.ack_code))) >= 3 for r in rows)))
        paged = {r.ack_code: Counter(got(r.ack_code)) for r in rows}

        await post("cap_satui_tambang_update.xml")
        await wait_for(_version(p.database_url, satui.alert_id), timeout=30)

        await post("cap_satui_tambang_cancel.xml")
        await wait_for(
            _async(lambda: all(len(got(c, "DIBATALKAN")) >= len(n) for c, n in paged.items()))
        )
        await wait_for(lambda: _closed(p.database_url))
        await asyncio.sleep(1.0)  # to catch any extra message
    for code, members in paged.items():  # once to each recipient, on the channel they had
        assert Counter(got(code, "DIBATALKAN")) == Counter(set(members)), code
    # the update went by chat and email, never as a second SMS
    assert [x for x in got(satui.ack_code) if x[0] == "sms"] == [
        x for x in got(satui.ack_code, "DIBATALKAN") if x[0] == "sms"
    ] * 2


async def _opened(database_url: str, n: int) -> list[AlertRow] | None:
    rows = await alerts(database_url)
    return rows if len(rows) >= n else None


async def _closed(database_url: str) -> bool:
    return all(r.status == "closed" for r in await alerts(database_url))


def _version(database_url: str, alert_id: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return any(r.alert_id == alert_id and r.version >= 2 for r in await alerts(database_url))

    return check


def _async(predicate):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return bool(predicate())

    return check
