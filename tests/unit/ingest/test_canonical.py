"""Canonical JSON: single, array and ``{"reports": [...]}`` batches, per-item reasons."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from ulid import ULID

from ingest_service.formats import MAX_BATCH, SourceContext, parse
from shared.schemas import Category, SourceFormat

from .conftest import RECEIVED, codes, only_report

SATUI = {
    "upstream_ref": "POLSEK-SATUI-0112-01",
    "occurred_at": "2026-01-12 08:45 WITA",
    "category": "illegal_work",
    "severity": "high",
    "location": {"kecamatan_name": "Satui", "kabupaten_name": "Tanah Bumbu",
                 "place_name": "Tambang batubara PT X"},
    "subjects": [{"full_name": "ZHANG SAN", "nationality": "Tiongkok", "sex": "L",
                  "passport_number": "e 9876 5432", "permit_type": "KITAS",
                  "permit_expiry": "30/06/2026"}],
    "subject_count": 7,
    "reporter": {"name": "Bripka Andi", "phone": "0812-3456-7890", "organisation": "Polsek Satui"},
    "text": "7 WNA bekerja di tambang",
}  # fmt: skip


def _body(obj: object) -> bytes:
    return orjson.dumps(obj)


def test_single_report_is_stamped_from_context(ctx: SourceContext) -> None:
    report = only_report(parse("canonical", _body(SATUI), ctx))
    assert report.source == "kanim-batulicin"
    assert report.home_area == ["63.10", "63.02"]
    assert report.received_at == RECEIVED
    assert report.source_format is SourceFormat.canonical
    assert report.category is Category.illegal_work
    ULID.from_str(report.report_id)
    subject = report.subjects[0]
    assert (subject.nationality, subject.sex, subject.passport_number) == ("CHN", "M", "E98765432")
    assert subject.permit_type.value == "ITAS"
    assert str(subject.permit_expiry) == "2026-06-30"
    assert report.reporter.phone == "+6281234567890"
    assert report.occurred_at.isoformat() == "2026-01-12T00:45:00+00:00"


def test_caller_cannot_override_context(ctx: SourceContext) -> None:
    body = {**SATUI, "source": "kanim-batulicin", "home_area": ["31"],
            "received_at": "2020-01-01T00:00:00Z"}  # fmt: skip
    report = only_report(parse("canonical", _body(body), ctx))
    assert report.home_area == ["63.10", "63.02"]
    assert report.received_at == RECEIVED


def test_source_mismatch(ctx: SourceContext) -> None:
    [item] = parse("canonical", _body({**SATUI, "source": "polda-kalsel"}), ctx)
    assert codes(item) == ["source_mismatch"]
    assert item.reasons[0].path == "source"


def test_a_caller_report_id_is_scoped_to_its_source_invalid_refused(ctx: SourceContext) -> None:
    rid = ULID()
    first = only_report(parse("canonical", _body({**SATUI, "report_id": str(rid)}), ctx))
    again = only_report(parse("canonical", _body({**SATUI, "report_id": str(rid)}), ctx))
    assert first.report_id == again.report_id  # a replay by the same source: a redelivery
    assert first.report_id != str(rid)  # nobody can choose the id another source will get
    assert ULID.from_str(first.report_id).timestamp == rid.timestamp  # still sorts by time
    other = SourceContext(source="polda-kalsel", home_area=ctx.home_area, received_at=RECEIVED)
    theirs = only_report(parse("canonical", _body({**SATUI, "report_id": str(rid)}), other))
    assert theirs.report_id != first.report_id
    [item] = parse("canonical", _body({**SATUI, "report_id": "42"}), ctx)
    assert codes(item) == ["invalid_field"]


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"reports": items}])
def test_batch_with_per_item_reasons(ctx: SourceContext, wrap: Callable[[list], object]) -> None:
    items = [
        SATUI,
        "not an object",
        {**SATUI, "subjects": [{"nationality": "Wakanda"}]},
        {**SATUI, "category": "kidnapping", "extra": 1},
        {"location": {"kecamatan_name": "Angsana"}},
    ]
    parsed = parse("canonical", _body(wrap(items)), ctx)
    assert [p.index for p in parsed] == [0, 1, 2, 3, 4]
    assert [p.ok for p in parsed] == [True, False, False, False, True]
    assert codes(parsed[1]) == ["not_an_object"]
    assert parsed[2].reasons[0].path == "subjects.0.nationality"
    assert parsed[2].reasons[0].index == 2
    assert {r.path for r in parsed[3].reasons} == {"category", "extra"}
    assert {r.code for r in parsed[3].reasons} == {"invalid_field", "unknown_field"}


def test_naive_datetime_read_in_source_zone(ctx: SourceContext) -> None:
    report = only_report(parse("canonical", _body({"occurred_at": "2026-01-12T09:00:00"}), ctx))
    assert report.occurred_at.isoformat() == "2026-01-12T01:00:00+00:00"


def test_overstay_rule_applies(ctx: SourceContext) -> None:
    body = {"subjects": [{"nationality": "MYS", "permit_expiry": "2026-01-01"}]}
    assert only_report(parse("canonical", _body(body), ctx)).category is Category.overstay


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff\xfe{}", "invalid_utf8"),
        (b"{not json", "invalid_json"),
        (b"[" * 40 + b"]" * 40, "too_deep"),
        (b"[]", "empty_batch"),
        (b'{"reports": {}}', "invalid_batch"),
        (b"42", "not_an_object"),
        (b"null", "not_an_object"),
    ],
)
def test_body_level_reasons(ctx: SourceContext, raw: bytes, code: str) -> None:
    [item] = parse("canonical", raw, ctx)
    assert codes(item) == [code]


def test_batch_too_large(ctx: SourceContext) -> None:
    [item] = parse("canonical", _body([{}] * (MAX_BATCH + 1)), ctx)
    assert codes(item) == ["batch_too_large"]


def test_schema_version_must_match(ctx: SourceContext) -> None:
    [item] = parse("canonical", _body({"schema_version": 2}), ctx)
    assert item.reasons[0].path == "schema_version"


def test_bom_is_tolerated(ctx: SourceContext) -> None:
    assert parse("canonical", b"\xef\xbb\xbf" + _body(SATUI), ctx)[0].ok


def test_code_resolution_with_real_regions(ctx: SourceContext, regions: object) -> None:
    report = only_report(parse("canonical", _body({"location": {"kecamatan_name": "Satui"}}), ctx))
    assert report.location.kecamatan_code == "63.10.04"
    assert report.location.kabupaten_code == "63.10"
    assert report.partition_key() == "63.10.04"
