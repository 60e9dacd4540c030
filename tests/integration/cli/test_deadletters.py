"""``timpora deadletters list/show/replay``: rejected reports, shown masked and replayed."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from typer.testing import CliRunner

from shared import topics
from shared.schemas import Reason, ReportRejected, SourceFormat, new_id
from shared.settings import Settings

from .conftest import invoke, publish, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


RAW = orjson.dumps(
    {
        "laporan": [
            {
                "id_laporan": "APOA-6310-2026-000123",
                "tamu": {"nama_lengkap": "LI WEI", "nomor_paspor": "e 1234 5678"},
            }
        ]
    }
)


def rejection(**overrides: object) -> ReportRejected:
    fields: dict[str, object] = {
        "source": "apoa-kalsel",
        "source_format": SourceFormat.lodging,
        "reasons": [
            Reason(code="invalid_field", message="tgl_masuk is missing", path="laporan.0"),
            Reason(code="unknown_region", message="kode_wilayah 999999 is unknown"),
        ],
        "original_b64": base64.b64encode(RAW).decode(),
        "original_size": len(RAW),
        "original_sha256": hashlib.sha256(RAW).hexdigest(),
        "original_topic": topics.REPORTS_RAW,
        "headers": {
            "format": "lodging",
            "source": "apoa-kalsel",
            "content-type": "application/json",
        },
    }
    return ReportRejected(**(fields | overrides))


async def read_all(settings: Settings, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                return records
            for recs in batch.values():
                records += recs
    finally:
        await consumer.stop()


def test_deadletters_list_show_replay(cli: CliRunner, kafka_settings: Settings) -> None:
    first, second = rejection(), rejection(source="polres-tanbu", source_format=None)
    for r in (first, second):
        sync(publish(kafka_settings, topics.REPORTS_REJECTED, r.model_dump_json().encode(), b"i"))

    rows = json.loads(invoke(cli, "deadletters", "list", "--json").output)
    assert {r["rejection_id"] for r in rows} == {first.rejection_id, second.rejection_id}
    mine = next(r for r in rows if r["rejection_id"] == first.rejection_id)
    assert mine["source"] == "apoa-kalsel"
    assert mine["format"] == "lodging"
    assert mine["reason"] == "invalid_field: tgl_masuk is missing"
    assert mine["replay_to"] == "reports.raw.apoa-kalsel"  # the topic names the source
    assert "e 1234 5678" not in json.dumps(rows)
    assert len(json.loads(invoke(cli, "deadletters", "list", "-n", "1", "--json").output)) == 1
    table = invoke(cli, "deadletters", "list")
    assert first.rejection_id in table.output

    shown = invoke(cli, "deadletters", "show", first.rejection_id)
    assert first.rejection_id in shown.output
    assert "tgl_masuk is missing" in shown.output
    assert "kode_wilayah 999999 is unknown" in shown.output
    assert "APOA-6310-2026-000123" in shown.output  # the original bytes, as text

    replayed = invoke(cli, "deadletters", "replay", first.rejection_id)
    target = kafka_settings.topic(topics.raw_topic("apoa-kalsel"))
    assert f"replayed {first.rejection_id} to {target}" in replayed.output
    raw = sync(read_all(kafka_settings, topics.raw_topic("apoa-kalsel")))
    assert len(raw) == 1
    assert raw[0].value == RAW
    # the format travels in a header, the source is the topic (a header would be ignored)
    assert dict(raw[0].headers) == {"format": b"lodging", "content-type": b"application/json"}


def test_deadletters_replay_to_another_topic(cli: CliRunner, kafka_settings: Settings) -> None:
    dead = rejection(original_topic=topics.REPORTS_NORMALIZED, headers={"partition": "0"})
    sync(publish(kafka_settings, topics.REPORTS_REJECTED, dead.model_dump_json().encode()))
    invoke(cli, "deadletters", "replay", dead.rejection_id)
    normalized = sync(read_all(kafka_settings, topics.REPORTS_NORMALIZED))
    assert [r.value for r in normalized] == [RAW]
    assert normalized[0].headers == ()  # no ingest headers outside the raw topics

    polres = topics.raw_topic("polres-tanbu")
    invoke(cli, "deadletters", "replay", dead.rejection_id, "--topic", polres)
    raw = sync(read_all(kafka_settings, polres))
    assert [r.value for r in raw] == [RAW]
    assert dict(raw[0].headers) == {"format": b"lodging"}


def test_deadletters_unknown_id(cli: CliRunner, kafka_settings: Settings) -> None:
    sync(publish(kafka_settings, topics.REPORTS_REJECTED, rejection().model_dump_json().encode()))
    missing = new_id()
    shown = invoke(cli, "deadletters", "show", missing, ok=False)
    assert shown.exit_code != 0
    assert f"no rejection {missing}" in shown.output
    replay = invoke(cli, "deadletters", "replay", missing, ok=False)
    assert replay.exit_code != 0
    assert sync(read_all(kafka_settings, topics.raw_topic("apoa-kalsel"))) == []
