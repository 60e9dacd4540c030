"""The attacks (#17 item 10, the rest): a body that costs minutes of parsing held a parse
thread for minutes (two such bodies: ingest parses nothing else); and anyone can write to
the public channels (the SMS number, the bot), so one phone or chat account could flood a
team with reports.

Now each body has a parse budget (``INGEST_PARSE_BUDGET_SECONDS``): items not reached by
then are rejected ``parse_budget_exceeded`` and kept in the dead letter for a replay; and a
sender may send ``INGEST_SENDER_RATE_LIMIT_PER_MINUTE`` reports a minute over a public
channel, more are rejected ``sender_rate_limited`` (other senders unaffected). Ingest on
real Kafka and PostgreSQL; the accepted reports and the dead letters are read back.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from ingest_service.formats import canonical
from shared import topics
from shared.settings import Settings
from tests.kafkautil import consume, values
from tests.security.ingest_app import ingest_client

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KANIM = {"X-API-Key": "dev-key-kanim", "Content-Type": "application/json"}
TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": "dev-key-telegram"}
BUDGET_S, PER_ITEM_S, ITEMS = 0.6, 0.03, 100


@pytest.fixture
async def ingest(kafka_settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with ingest_client(
        kafka_settings, database_url, parse_budget_seconds=BUDGET_S, sender_rate_limit_per_minute=3
    ) as client:
        yield client


def slow(real: Callable[..., Any]) -> Callable[..., Any]:
    """Placing each report costs PER_ITEM_S of CPU: a body of ITEMS costs 3 s, 5x budget."""

    def finish(*args: Any, **kwargs: Any) -> Any:
        end = time.perf_counter() + PER_ITEM_S
        while time.perf_counter() < end:
            sum(range(1000))
        return real(*args, **kwargs)

    return finish


async def test_a_body_gets_its_parse_budget_and_no_more(
    ingest: httpx.AsyncClient, kafka_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(canonical, "finish_report", slow(canonical.finish_report))
    batch = [
        {
            "category": "presence",
            "upstream_ref": f"b-{i}",
            "location": {"kecamatan_code": "63.10.04"},
        }
        for i in range(ITEMS)
    ]
    started = time.perf_counter()
    response = await ingest.post("/v1/reports", content=orjson.dumps(batch), headers=KANIM)
    took = time.perf_counter() - started
    assert response.status_code == 202, response.text
    accepted = len(response.json()["report_ids"])
    late = [r["index"] for r in response.json()["rejected"]]
    assert {c["code"] for r in response.json()["rejected"] for c in r["reasons"]} == {
        "parse_budget_exceeded"
    }
    assert 0 < accepted < ITEMS  # the attack happened: the body was worth more than the budget
    assert accepted + len(late) == ITEMS  # and nothing was lost
    assert late == list(range(accepted, ITEMS))
    assert took < BUDGET_S + 1.5, f"the request took {took:.2f} s for a {BUDGET_S} s budget"

    normalized = values(await consume(kafka_settings, topics.REPORTS_NORMALIZED, accepted))
    assert sorted(r["upstream_ref"] for r in normalized) == sorted(
        f"b-{i}" for i in range(accepted)
    )
    [dead] = values(await consume(kafka_settings, topics.REPORTS_REJECTED, 1))
    kept = orjson.loads(base64.b64decode(dead["original_b64"]))  # for a replay: just those
    assert [k["upstream_ref"] for k in kept] == [f"b-{i}" for i in late]


def update(update_id: int, sender: int, text: str) -> bytes:
    message = {
        "message_id": update_id,
        "date": 1768198200,
        "from": {"id": sender, "first_name": "Budi"},
        "chat": {"id": -100123, "type": "group"},
        "text": text,
    }
    return orjson.dumps({"update_id": update_id, "message": message})


async def test_one_sender_cannot_flood_a_public_channel(
    ingest: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    async def post(update_id: int, sender: int, text: str) -> dict[str, Any]:
        body = update(update_id, sender, text)
        r = await ingest.post("/v1/webhooks/telegram", content=body, headers=TELEGRAM)
        assert r.status_code == 200, r.text  # Telegram retries anything else
        return dict(r.json())

    chatter = await post(1, 5551234, "selamat pagi semua")  # not a report: costs nothing
    assert chatter["report_ids"] == []
    flood = [await post(10 + i, 5551234, f"LAPOR Satui ada WNA kerja {i}") for i in range(5)]
    other = await post(30, 7770001, "LAPOR Satui ada WNA di tambang")
    assert [len(f["report_ids"]) for f in flood] == [1, 1, 1, 0, 0]  # the limit is 3 a minute
    codes = [c["code"] for f in flood[3:] for r in f["rejected"] for c in r["reasons"]]
    assert codes == ["sender_rate_limited", "sender_rate_limited"]
    assert len(other["report_ids"]) == 1  # another person is not held back
    normalized = values(await consume(kafka_settings, topics.REPORTS_NORMALIZED, 4, settle=1))
    assert len(normalized) == 4


async def test_the_sms_number_answers_a_flooding_phone_with_the_reason(
    ingest: httpx.AsyncClient,
) -> None:
    async def sms(phone: str) -> httpx.Response:
        query = {"key": "dev-key-kannel", "from": phone, "text": "LAPOR Satui ada WNA", "id": "1"}
        return await ingest.get("/v1/webhooks/kannel", params=query)

    replies = [await sms("+6281234567890") for _ in range(4)]
    assert [r.text.startswith("Laporan diterima") for r in replies] == [True] * 3 + [False]
    assert replies[3].text.startswith("Terlalu banyak laporan dari nomor ini")
    assert (await sms("081298765432")).text.startswith("Laporan diterima")
