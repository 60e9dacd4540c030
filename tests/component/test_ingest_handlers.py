"""Ingest's raw-topic consumer through TestKafkaBroker: raw records on a source's
``reports.raw.<source>`` in, normalised reports or one dead letter (with the original
bytes and a reason) out."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker

from ingest_service.app import create_app
from ingest_service.deps import IngestDeps
from shared import topics
from shared.runtime import Runtime
from shared.schemas import Report, ReportRejected
from shared.settings import IngestSettings, Settings
from shared.sources import KeyRegistry

Capture = Callable[[KafkaBroker, Settings, str], list[ConsumerRecord]]
Outputs = tuple[list[ConsumerRecord], list[ConsumerRecord]]
APOA = {"format": "canonical"}
CANONICAL = orjson.dumps(
    {
        "category": "illegal_work",
        "severity": "high",
        "upstream_ref": "ref-1",
        "location": {"kecamatan_code": "63.10.04"},
        "subjects": [{"full_name": "Li Wei", "nationality": "CHN", "passport_number": "E1234567"}],
        "text": "WNA bekerja di area tambang",
    }
)


@pytest.fixture
def deps(
    settings_values: dict[str, Any], make_runtime: Callable[[Settings, str], Runtime]
) -> IngestDeps:
    settings = IngestSettings(**settings_values)
    keys = KeyRegistry.from_file(settings.api_keys_file)
    return IngestDeps(make_runtime(settings, "timpora-ingest"), settings, keys, {})


async def publish_raw(
    deps: IngestDeps,
    capture: Capture,
    body: bytes,
    headers: dict[str, str],
    source: str = "apoa-kalsel",
) -> Outputs:
    """Build the app on ``deps``, publish one record on ``source``'s raw topic: what came
    out on ``reports.normalized`` and on ``reports.rejected``."""
    app = create_app(deps=deps)
    assert app.state.deps is deps
    normalized = capture(deps.broker, deps.settings, topics.REPORTS_NORMALIZED)
    rejected = capture(deps.broker, deps.settings, topics.REPORTS_REJECTED)
    async with TestKafkaBroker(deps.broker) as broker:
        topic = deps.settings.topic(topics.raw_topic(source))
        await broker.publish(body, topic, headers=headers)
    return normalized, rejected


async def test_raw_report_is_published_normalised_keyed_by_kecamatan(
    deps: IngestDeps, capture: Capture
) -> None:
    normalized, rejected = await publish_raw(deps, capture, CANONICAL, APOA)

    assert rejected == []
    [record] = normalized
    assert record.key == b"63.10.04"
    report = Report.model_validate_json(record.value)
    assert dict(record.headers)["report_id"] == report.report_id.encode()
    assert (report.source, report.upstream_ref) == ("apoa-kalsel", "ref-1")
    assert report.location.kabupaten_code == "63.10"
    assert report.resolution is not None
    assert (report.resolution.routing_code, report.resolution.method) == ("63.10.04", "code")
    assert report.subjects[0].nationality == "CHN"


async def test_garbage_becomes_one_dead_letter_with_the_original_bytes(
    deps: IngestDeps, capture: Capture
) -> None:
    garbage = b"\x00not json{"
    normalized, rejected = await publish_raw(deps, capture, garbage, APOA)

    assert normalized == []
    [record] = rejected
    assert record.key == b"apoa-kalsel"
    rejection = ReportRejected.model_validate_json(record.value)
    assert [r.code for r in rejection.reasons] == ["invalid_json"]
    assert rejection.reasons[0].message.startswith("body is not valid JSON")
    assert base64.b64decode(rejection.original_b64 or "") == garbage
    assert rejection.original_topic == topics.raw_topic("apoa-kalsel")
    assert rejection.headers["format"] == "canonical"


@pytest.mark.parametrize(
    ("source", "headers", "code"),
    [
        # #17 item 9: a record cannot make itself another source's by a header
        ("apoa-kalsel", {"source": "polres-tanbu", "format": "canonical"}, "source_mismatch"),
        ("apoa-kalsel", {"format": "fax"}, "unknown_format"),
        ("sms-batulicin", {"format": "canonical"}, "format_not_allowed"),
    ],
)
async def test_a_valid_report_from_a_wrong_source_or_format_is_dead_lettered(
    deps: IngestDeps, capture: Capture, source: str, headers: dict[str, str], code: str
) -> None:
    normalized, rejected = await publish_raw(deps, capture, CANONICAL, headers, source)

    assert normalized == []
    [record] = rejected
    rejection = ReportRejected.model_validate_json(record.value)
    assert [r.code for r in rejection.reasons] == [code]
    assert base64.b64decode(rejection.original_b64 or "") == CANONICAL
    assert rejection.source == source  # the topic's, whatever a header says
