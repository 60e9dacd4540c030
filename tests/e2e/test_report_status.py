"""GET /v1/reports/{report_id} over the whole pipeline (ingest, routing, notify and the
console on real Kafka and PostgreSQL, the fake providers): the source that sent a report
sees it accepted, routed to its kecamatan team, delivered to as many as the providers
received, acknowledged by an SMS reply; another source gets the 404 of an unknown id, no
key a 401; a report routing rejects shows the reason; nothing names a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from ulid import ULID

from console_service.web.app import create_app as create_console
from shared.settings import ConsoleSettings
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KANIM = {"X-API-Key": "dev-key-kanim"}  # source A: kanim-batulicin
APOA = {"X-API-Key": "dev-key-apoa"}  # source B: apoa-kalsel
KUSAN_HILIR = "63.10.02"
BANDUNG = "32.73.01"  # outside the sources' home area (Tanah Bumbu, Kotabaru)
NAME, PASSPORT = "Tran Thi Bich", "E12345678"


def report(code: str) -> dict[str, Any]:
    return {
        "category": "overstay",
        "severity": "medium",
        "location": {"kecamatan_code": code},
        "subjects": [{"full_name": NAME, "nationality": "VNM", "passport_number": PASSPORT}],
        "text": f"{NAME} paspor {PASSPORT} melewati izin tinggal",
    }


def rejecting(policy: str) -> str:
    """A report outside its source's home area is rejected (a dead letter with its
    reason) instead of held for the office's fallback team."""
    assert "outside_home_area: hold" in policy
    return policy.replace("outside_home_area: hold", "outside_home_area: reject")


@asynccontextmanager
async def console(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("CONSOLE_PURGE_EVERY_HOURS", "0")
    app = create_console(ConsoleSettings())  # the pipeline's Kafka and database (env)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app)
        yield await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://console")
        )


async def test_a_source_follows_its_report_and_nobody_else_can(
    pipeline_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        asynccontextmanager(pipeline_factory)(policy_edit=rejecting) as p,
        console(monkeypatch) as status_api,
    ):

        async def status(report_id: str, headers: dict[str, str] = KANIM) -> httpx.Response:
            return await status_api.get(f"/v1/reports/{report_id}", headers=headers)

        sent = await p.ingest.post("/v1/reports", json=report(KUSAN_HILIR), headers=KANIM)
        assert sent.status_code == 202, sent.text
        [rid] = sent.json()["report_ids"]

        # the answer right after the 202 is accepted (in flight) or already routed
        first = await status(rid)
        assert first.status_code == 200, first.text
        assert first.json()["state"] in {"accepted", "routed", "delivered"}

        # every member of the Kusan Hilir team gets it once, on one channel
        await wait_for(lambda: _received(p, 3), timeout=60)
        answer = await wait_for(lambda: _delivered(status, rid, 3), timeout=30)
        per_recipient = p.sinks.per_recipient()
        assert sum(per_recipient.values()) == 3
        assert set(per_recipient.values()) == {1}, per_recipient  # no duplicate
        [alert] = answer["alerts"]
        assert answer["state"] == "delivered"
        assert (alert["level"], alert["jurisdiction_code"], alert["outcome"]) == (
            "kecamatan",
            KUSAN_HILIR,
            "sent",
        )
        assert alert["team"] == {
            "team_id": "timpora-63.10.02",
            "name": "Timpora Kecamatan Kusan Hilir",
        }
        assert alert["deliveries"] == {
            "total": 3,
            "sent": 3,
            "delivered": 3,
            "failed": 0,
            "pending": 0,
            "recipients": 3,
        }
        assert (alert["acknowledged"], alert["closed"]) == (None, None)

        # another source: the same 404 as an id nobody was given; no key: 401
        theirs = await status(rid, APOA)
        unknown = await status(str(ULID()), APOA)
        assert (theirs.status_code, unknown.status_code) == (404, 404)
        assert theirs.text == unknown.text
        assert (await status_api.get(f"/v1/reports/{rid}")).status_code == 401
        bad_key = await status(rid, {"X-API-Key": "dev-key-nobody"})
        assert bad_key.status_code == 401

        # the Camat answers the SMS: acknowledged, on sms, by nobody named
        ack_code = await _alert_ack_code(p, alert["alert_id"])
        sms = next(r for r in p.sinks.by_channel("sms") if ack_code in r.text)
        reply = await p.notify.get(
            "/v1/webhooks/kannel",
            params={"key": "inbound-e2e", "from": sms.to.lstrip("+"), "text": f"ok {ack_code}"},
        )
        assert "dikonfirmasi" in reply.text
        acked = await wait_for(lambda: _state(status, rid, "acknowledged"), timeout=30)
        [acked_alert] = acked["alerts"]
        assert acked_alert["acknowledged"]["channel"] == "sms"
        assert acked_alert["deliveries"]["delivered"] == 3  # the ack notices are not deliveries

        # a report placed outside the source's home area: routing rejects it, says why
        lost = await p.ingest.post("/v1/reports", json=report(BANDUNG), headers=KANIM)
        assert lost.status_code == 202, lost.text
        [lost_id] = lost.json()["report_ids"]
        rejected = await wait_for(lambda: _state(status, lost_id, "rejected"), timeout=30)
        assert rejected["rejection"]["code"] == "outside_home_area"
        assert rejected["alerts"] == []
        assert (await status(lost_id, APOA)).status_code == 404

        # the same person at the same place the same day: grouped into the same alert
        again = await p.ingest.post("/v1/reports", json=report(KUSAN_HILIR), headers=KANIM)
        [again_id] = again.json()["report_ids"]
        grouped = await wait_for(lambda: _routed(status, again_id), timeout=30)
        assert [a["alert_id"] for a in grouped["alerts"]] == [alert["alert_id"]]
        assert grouped["alerts"][0]["version"] == 2
        assert grouped["state"] == "acknowledged"  # the alert it joined is

        # nothing in any answer names a person: neither the recipients nor the subject
        texts = [first.text, str(answer), str(acked), str(rejected), str(grouped)]
        for text in texts:
            for personal in (NAME, PASSPORT, "m0009", "m0010", "m0011", "+62812", "Yusuf"):
                assert personal not in text
        assert sum(p.sinks.per_recipient().values()) >= 3  # notices may follow the ack


async def _received(p: Any, n: int) -> bool:
    return len(p.sinks.received) >= n


async def _delivered(status: Any, rid: str, n: int) -> dict[str, Any] | None:
    body = (await status(rid)).json()
    alerts = body.get("alerts") or []
    return body if alerts and alerts[0]["deliveries"]["delivered"] >= n else None


async def _routed(status: Any, rid: str) -> dict[str, Any] | None:
    body = (await status(rid)).json()
    return body if body.get("alerts") else None


async def _state(status: Any, rid: str, state: str) -> dict[str, Any] | None:
    body = (await status(rid)).json()
    return body if body.get("state") == state else None


async def _alert_ack_code(p: Any, alert_id: str) -> str:
    from routing_service.models import AlertRow
    from shared.db import make_engine, make_sessionmaker

    engine = make_engine(p.database_url)
    async with make_sessionmaker(engine)() as session:
        row = await session.get(AlertRow, alert_id)
    await engine.dispose()
    assert row is not None
    return row.ack_code
