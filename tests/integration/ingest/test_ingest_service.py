"""The ingest service on real Kafka and PostgreSQL: HTTP and reports.raw in, topics out."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from ingest_service.app import create_app
from shared import topics
from shared.settings import IngestSettings, Settings
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
APOA = {"X-API-Key": "dev-key-apoa"}
POLRES = {"X-API-Key": "dev-key-polres"}


def canonical(**overrides: object) -> dict[str, object]:
    report = {
        "category": "presence",
        "severity": "low",
        "upstream_ref": "ref-1",
        "location": {"kecamatan_code": "63.10.04"},
        "subjects": [{"full_name": "Li Wei", "nationality": "CHN", "passport_number": "E1234567"}],
        "text": "WNA terlihat di area tambang",
    }
    return report | overrides


@pytest.fixture
async def client(
    kafka_settings: Settings, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    keys = tmp_path / "keys.yaml"
    keys.write_text(
        (Path(__file__).resolve().parents[3] / "config" / "api_keys.yaml").read_text()
        + "  - source: tiny\n"
        f"    key_sha256: {hashlib.sha256(b'tiny-key').hexdigest()}\n"
        "    formats: [canonical]\n"
        "    rate_limit_per_minute: 2\n"
    )
    settings = IngestSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka_settings.kafka_bootstrap_servers,
        TIMPORA_TOPIC_PREFIX=kafka_settings.topic_prefix,
        DATABASE_URL=database_url,
        api_keys_file=keys,
        max_body_bytes=64 * 1024,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as c:
            yield c


async def test_canonical_report_is_acknowledged_after_kafka_and_keyed_by_kecamatan(
    client: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    response = await client.post("/v1/reports", json=canonical(), headers=APOA)
    assert response.status_code == 202, response.text
    [report_id] = response.json()["report_ids"]
    [record] = await consume(kafka_settings, topics.REPORTS_NORMALIZED, 1)
    assert record.key == b"63.10.04"
    report = orjson.loads(record.value)
    assert report["report_id"] == report_id
    assert report["schema_version"] == 1
    assert report["source"] == "apoa-kalsel"
    assert report["location"]["kabupaten_code"] == "63.10"


async def test_idempotency_key_returns_the_same_ids_and_writes_once(
    client: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    headers = APOA | {"Idempotency-Key": "req-42"}
    first = await client.post("/v1/reports", json=canonical(), headers=headers)
    second = await client.post("/v1/reports", json=canonical(), headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    conflict = await client.post("/v1/reports", json=canonical(text="other"), headers=headers)
    assert conflict.status_code == 409
    records = await consume(kafka_settings, topics.REPORTS_NORMALIZED, 1, settle=1.0)
    assert len(records) == 1


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"X-API-Key": "wrong"}, 401), ({"Authorization": "Bearer wrong"}, 401)],
)
async def test_missing_or_wrong_credentials_are_refused(
    client: httpx.AsyncClient, headers: dict[str, str], status: int
) -> None:
    response = await client.post("/v1/reports", json=canonical(), headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == "unauthorized"


async def test_a_source_cannot_send_another_sources_format(client: httpx.AsyncClient) -> None:
    body = (SAMPLES / "lodging_batulicin.json").read_bytes()
    response = await client.post("/v1/lodging", content=body, headers=POLRES)
    assert response.status_code == 403
    assert response.json()["error"] == "format_not_allowed"


async def test_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/reports", content=b"x" * (65 * 1024), headers=APOA)
    assert response.status_code == 413


async def test_rate_limit_per_key(client: httpx.AsyncClient) -> None:
    statuses = [
        (
            await client.post("/v1/reports", json=canonical(), headers={"X-API-Key": "tiny-key"})
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


async def test_xml_bomb_is_rejected_with_original_bytes(
    client: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&lol2;</alert>'
    )
    response = await client.post(
        "/v1/cap", content=bomb, headers=POLRES | {"Content-Type": "application/cap+xml"}
    )
    assert response.status_code == 422
    assert response.json()["rejected"][0]["reasons"][0]["code"] == "xml_forbidden"
    [rejection] = values(await consume(kafka_settings, topics.REPORTS_REJECTED, 1))
    assert base64.b64decode(rejection["original_b64"]) == bomb
    assert rejection["source"] == "polres-tanbu"


async def test_batch_with_one_bad_record(
    client: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    batch = {"reports": [canonical(), {"category": "nonsense"}, canonical(upstream_ref="ref-3")]}
    response = await client.post("/v1/reports", json=batch, headers=APOA)
    assert response.status_code == 202
    body = response.json()
    assert len(body["report_ids"]) == 2
    assert [r["index"] for r in body["rejected"]] == [1]
    assert len(await consume(kafka_settings, topics.REPORTS_NORMALIZED, 2)) == 2
    [rejection] = values(await consume(kafka_settings, topics.REPORTS_REJECTED, 1))
    assert {r["index"] for r in rejection["reasons"]} == {1}


async def test_every_sample_format_is_accepted(client: httpx.AsyncClient) -> None:
    posts = [
        ("/v1/lodging", "lodging_batulicin.json", APOA, "application/json"),
        ("/v1/lodging/csv", "lodging_bulk.csv", APOA, "text/csv"),
        ("/v1/cap", "cap_satui_tambang.xml", POLRES, "application/cap+xml"),
    ]
    for path, sample, headers, ctype in posts:
        response = await client.post(
            path, content=(SAMPLES / sample).read_bytes(), headers=headers | {"Content-Type": ctype}
        )
        assert response.status_code == 202, (path, response.text)
        assert response.json()["report_ids"]
    sms = await client.get(
        "/v1/webhooks/kannel",
        params={
            "key": "dev-key-kannel",
            "from": "+6281200009999",
            "text": "LAPOR SATUI ada 5 WNA kerja di tambang",
        },
    )
    assert sms.status_code == 202
    assert sms.text.startswith("Laporan diterima")


async def test_raw_topic_is_normalised_or_rejected(
    client: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        raw = kafka_settings.topic(topics.raw_topic("kanim-batulicin"))
        good = [("format", b"canonical")]
        await producer.send_and_wait(raw, orjson.dumps(canonical()), headers=good)
        await producer.send_and_wait(raw, b"\xff\xfe not json", headers=good)
        await producer.send_and_wait(raw, b"{}", headers=[("format", b"nope")])
        # a header naming another source is not believed: the topic is the source
        claim = [("format", b"canonical"), ("source", b"apoa-kalsel")]
        await producer.send_and_wait(raw, orjson.dumps(canonical()), headers=claim)
    finally:
        await producer.stop()
    [normalized] = values(await consume(kafka_settings, topics.REPORTS_NORMALIZED, 1, settle=1))
    assert normalized["source"] == "kanim-batulicin"
    rejected = values(await consume(kafka_settings, topics.REPORTS_REJECTED, 3))
    codes = {r["reasons"][0]["code"] for r in rejected}
    assert codes == {"invalid_utf8", "unknown_format", "source_mismatch"} or codes == {
        "invalid_json",
        "unknown_format",
        "source_mismatch",
    }
    assert {r["source"] for r in rejected} == {"kanim-batulicin"}
