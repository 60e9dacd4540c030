"""The demo scenario end to end: every report accounted for, each expected member reached
once on the expected channel, duplicates absorbed, the malformed report rejected."""

from __future__ import annotations

from collections import Counter
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from devtools.scenario import steps
from notify_service.models import DeliveryRow
from routing_service.models import AlertRow, ProcessedReport
from shared import topics
from shared.db import make_engine, make_sessionmaker
from tests.kafkautil import DEV_SOURCES, caught_up, consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def play(pipeline) -> list[dict]:  # type: ignore[no-untyped-def]
    results = []
    for step in steps():
        response = await pipeline.ingest.request(
            step.method,
            step.path,
            headers=step.headers,
            content=step.body or None,
            params=step.params or None,
        )
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {"text": response.text}
        )
        results.append({"step": step, "status": response.status_code, "body": body})
    return results


async def rows(database_url: str, model):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        result = list((await session.scalars(select(model))).all())
    await engine.dispose()
    return result


async def settled(pipeline) -> bool:  # type: ignore[no-untyped-def]
    s = pipeline.settings
    return (
        all([await caught_up(s, "ingest", topics.raw_topic(src)) for src in DEV_SOURCES])
        and await caught_up(s, "routing", topics.REPORTS_NORMALIZED)
        and await caught_up(s, "notify", topics.ALERTS_ROUTED)
    )


async def test_scenario_every_report_accounted_for(pipeline_factory, no_passport_in_logs) -> None:  # type: ignore[no-untyped-def]
    async with asynccontextmanager(pipeline_factory)() as pipeline:
        results = await play(pipeline)
        statuses = [(r["step"].expect, r["status"]) for r in results]
        assert statuses == [
            ("digest", 202),
            ("routed", 202),
            ("same_as_previous", 202),
            ("routed", 202),
            ("routed", 202),
            ("routed", 202),
            ("rejected", 422),
        ]
        assert results[1]["body"] == results[2]["body"]  # the retry got the same report id
        accepted = {i for r in results for i in r["body"].get("report_ids", [])}
        assert len(accepted) == 4  # + the SMS, whose id goes back in the reply text
        assert results[4]["body"]["text"].startswith("Laporan diterima")
        await wait_for(lambda: _processed(pipeline.database_url, 5), timeout=60)
        await wait_for(lambda: _sinks(pipeline, 18), timeout=60)
        await wait_for(lambda: settled(pipeline), timeout=60)
        rejected = values(await consume(pipeline.settings, topics.REPORTS_REJECTED, 1))
        sent = [r for r in await rows(pipeline.database_url, DeliveryRow) if r.status == "sent"]
        alerts = await rows(pipeline.database_url, AlertRow)
        processed = {r.report_id for r in await rows(pipeline.database_url, ProcessedReport)}
    assert accepted <= processed
    assert len(processed) == 5

    # The malformed report: a dead letter with its reason and original bytes.
    assert rejected[0]["reasons"][0]["code"] == "invalid_json"
    assert rejected[0]["original_b64"]
    # The valid-permit guest goes into the Batu Licin team's daily digest, nothing sent now.
    assert {(a.team_id, a.status) for a in alerts if a.status == "digest"} == {
        ("timpora-63.10.01", "digest")
    }
    # Who got what: (team, alert version) → channels.
    got = Counter((r.team_id, r.alert_version, r.channel) for r in sent)
    assert got == Counter(
        {
            # Simpang Empat overstay: new alert (v1), every member on their first channel ...
            ("timpora-63.10.06", 1, "sms"): 1,
            ("timpora-63.10.06", 1, "telegram"): 1,
            ("timpora-63.10.06", 1, "whatsapp"): 1,
            # ... and the second sighting updates it (v2): chat/email only, no second SMS.
            ("timpora-63.10.06", 2, "email"): 1,
            ("timpora-63.10.06", 2, "telegram"): 1,
            ("timpora-63.10.06", 2, "whatsapp"): 1,
            # Satui mine (CAP) and Angsana (SMS): kecamatan teams and the kabupaten team.
            ("timpora-63.10.04", 1, "sms"): 1,
            ("timpora-63.10.04", 1, "telegram"): 1,
            ("timpora-63.10.04", 1, "whatsapp"): 1,
            ("timpora-63.10.09", 1, "sms"): 1,
            ("timpora-63.10.09", 1, "telegram"): 1,
            ("timpora-63.10.09", 1, "whatsapp"): 1,
            ("timpora-63.10", 1, "email"): 2,
            ("timpora-63.10", 1, "telegram"): 2,
            ("timpora-63.10", 1, "whatsapp"): 2,
        }
    )
    # No duplicates: every provider message is one delivery row, and vice versa.
    assert len(pipeline.sinks.received) == len(sent) == 18
    # No unmasked passport on SMS or chat; full details only by email.
    for message in pipeline.sinks.received:
        if message.channel != "email":
            assert "C7654321" not in message.text
            assert "NGUYEN" not in message.text.upper()
    # The PII scan that runs after this test has the scenario's people to look for.
    assert "c7654321" in no_passport_in_logs.submitted.passports
    assert no_passport_in_logs.submitted.names


async def _processed(database_url: str, n: int) -> bool:
    return len(await rows(database_url, ProcessedReport)) >= n


async def _sinks(pipeline, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(pipeline.sinks.received) >= n
