"""Dead letters in the console: each office sees the rejections of its own sources,
masked, and replays them onto their topic (audited); another office gets a 404."""

from __future__ import annotations

import base64

import pytest
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.schemas import Reason, ReportRejected
from shared.settings import Settings
from tests.integration.console.conftest import Console
from tests.kafkautil import consume

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ORIGINAL = b'{"subjects": [{"full_name": "Nguyen Van An", "passport_number": "C7654321"}'


async def publish(settings: Settings, *rejections: ReportRejected) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for r in rejections:
            await producer.send_and_wait(
                settings.topic(topics.REPORTS_REJECTED), r.model_dump_json().encode()
            )
    finally:
        await producer.stop()


def rejection(source: str) -> ReportRejected:
    return ReportRejected(
        source=source,
        source_format="canonical",
        reasons=[Reason(code="invalid_json", message="truncated JSON at byte 78")],
        original_b64=base64.b64encode(ORIGINAL).decode(),
        original_size=len(ORIGINAL),
        original_topic=topics.REPORTS_RAW,
        headers={"format": "canonical", "source": source},
    )


async def test_offices_see_and_replay_their_own_dead_letters(console: Console) -> None:
    ours, unknown = rejection("kanim-batulicin"), rejection("someone-else")
    await publish(console.settings, ours, unknown)
    await console.login("ops-a")
    page = await console.client.get("/deadletters")
    assert page.status_code == 200
    assert ours.rejection_id in page.text
    assert unknown.rejection_id not in page.text  # a source of no office: administrators
    assert "invalid_json" in page.text
    assert "C7654321" not in page.text  # the original is shown masked
    assert "Nguyen Van An" not in page.text
    csrf = await console.csrf()
    replayed = await console.client.post(
        f"/deadletters/{ours.rejection_id}/replay", data={"csrf": csrf}
    )
    assert (replayed.status_code, replayed.headers["location"]) == (
        303,
        "/deadletters?done=replayed",
    )
    kanim = topics.raw_topic("kanim-batulicin")  # the topic names the source
    (record,) = await consume(console.settings, kanim, 1, settle=1.0)
    assert record.value == ORIGINAL
    assert (
        await console.client.post(
            f"/deadletters/{unknown.rejection_id}/replay", data={"csrf": csrf}
        )
    ).status_code == 404

    await console.client.post("/logout", data={"csrf": csrf})
    await console.login("ops-b")
    page = await console.client.get("/deadletters")
    assert ours.rejection_id not in page.text
    refused = await console.client.post(
        f"/deadletters/{ours.rejection_id}/replay", data={"csrf": await console.csrf()}
    )
    assert refused.status_code == 404
    records = await consume(console.settings, kanim, 1, settle=1.0)
    assert len(records) == 1  # nothing replayed by the refused requests
