"""The attack (#17 item 8): a source pre-submits, as its own report's ``report_id``, the id
another source's next report will get (ids derived from an Idempotency-Key are
predictable), so that routing takes the victim's report for a redelivery of the attacker's
and routes nothing new. Ingest and routing run on real Kafka and PostgreSQL. Since ids carry
a keyed tag (shared.report_ids) only a holder of TIMPORA_SECRET_KEY could predict one; the
test grants the attacker the prediction anyway."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ingest_service.intake import stable_id
from shared import report_ids, topics
from shared.settings import Settings
from tests.integration.ingest.test_ingest_service import APOA, POLRES, canonical, client
from tests.integration.routing.test_routing_service import routing_settings, running, seed
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["client"]  # the ingest fixture


async def test_a_source_cannot_take_the_id_of_another_sources_report(
    client: httpx.AsyncClient, kafka_settings: Settings, database_url: str
) -> None:
    await seed(database_url)
    victim_key = "lapor-0001"
    key = report_ids.derive_key(kafka_settings.secret_key.get_secret_value())
    predicted = report_ids.issue(
        stable_id(f"http/apoa-kalsel/{victim_key}", 0, None), "apoa-kalsel", key
    )
    decoy = canonical(category="other", severity="info", report_id=predicted, upstream_ref="x")
    attack = await client.post("/v1/reports", json=decoy, headers=POLRES)
    assert attack.status_code == 202, attack.text
    [attacker_id] = attack.json()["report_ids"]
    assert attacker_id != predicted  # the chosen id is scoped to the attacker's source

    async with running(routing_settings(kafka_settings, database_url)):
        await consume(kafka_settings, topics.ALERTS_ROUTED, 1)  # the decoy is routed
        report = canonical(category="illegal_work", severity="high", upstream_ref="v-1")
        sent = await client.post(
            "/v1/reports", json=report, headers=APOA | {"Idempotency-Key": victim_key}
        )
        assert sent.status_code == 202, sent.text
        assert sent.json()["report_ids"] == [predicted]  # what the attacker predicted
        await asyncio.sleep(0.5)
        alerts = values(await consume(kafka_settings, topics.ALERTS_ROUTED, 3, settle=1.5))
    victims = [a for a in alerts if a["report_id"] == predicted]
    assert victims, "the victim's report was taken for a redelivery and routed nowhere"
    assert {a["report"]["source"] for a in victims} == {"apoa-kalsel"}
    assert {a["category"] for a in victims} == {"illegal_work"}
