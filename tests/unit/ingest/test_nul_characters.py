"""Found by the API fuzzer: a report whose text held U+0000 passed ingest, and PostgreSQL
(whose text cannot hold NUL) refused routing's every write of that batch, so routing's
partition stalled for good. Ingest now rejects such an item (``invalid_character``), and
every consumer dead-letters a record holding one instead of retrying it forever."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
from aiokafka import ConsumerRecord

from ingest_service.formats import SourceContext
from ingest_service.intake import intake
from shared.deadletter import read_records
from shared.schemas import Report, ReportRejected, SourceFormat

CTX = SourceContext("kanim-batulicin", ("63.10",), datetime(2026, 12, 3, 6, 0, tzinfo=UTC))


def report(text: str) -> dict[str, object]:
    return {"category": "presence", "location": {"kecamatan_code": "63.10.04"}, "text": text}


def test_ingest_rejects_an_item_holding_nul_and_keeps_the_others() -> None:
    raw = json.dumps([report("ada WNA"), report("ada\u0000WNA"), report("lagi")]).encode()
    result = intake(SourceFormat.canonical, raw, CTX, id_seed="x")
    assert [r.text for r in result.reports] == ["ada WNA", "lagi"]
    assert [r.code for r in result.reasons] == ["invalid_character"]
    assert result.reasons[0].index == 1
    assert all(b"\\u0000" not in r.value for r in result.records()[:2])


def record(value: bytes, offset: int) -> ConsumerRecord:
    return ConsumerRecord("reports.normalized", 0, offset, 0, 0, None, value, None, 0, 0, ())


def test_a_consumer_dead_letters_a_record_holding_nul() -> None:
    good = Report(source="kanim-batulicin", text="ada WNA")
    bad = good.model_copy(
        update={"text": "ada\u0000WNA", "report_id": "01J00000000000000000000000"}
    )
    values = [orjson.dumps(good.model_dump(mode="json")), orjson.dumps(bad.model_dump(mode="json"))]
    reports, dead = read_records(
        tuple(record(v, i) for i, v in enumerate(values)), Report, "reports.normalized", "routing"
    )
    assert [r.report_id for r in reports] == [good.report_id]
    [letter] = dead
    assert [r.code for r in ReportRejected.model_validate_json(letter.value).reasons] == [
        "invalid_character"
    ]
