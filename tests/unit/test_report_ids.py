"""Report ids tagged for their source (shared.report_ids): what ingest issues and what the
status endpoint checks."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from ulid import ULID

from ingest_service.formats import SourceContext
from ingest_service.intake import intake
from shared import report_ids
from shared.schemas import SourceFormat

KEY = report_ids.derive_key("test-secret")
OLD = report_ids.derive_key("old-secret")
CANONICAL = SourceFormat.canonical


def test_an_id_passes_for_its_source_only() -> None:
    raw = str(ULID())
    issued = report_ids.issue(raw, "apoa-kalsel", KEY)
    assert ULID.from_str(issued).timestamp == ULID.from_str(raw).timestamp  # still sorts
    assert report_ids.issue(raw, "apoa-kalsel", KEY) == issued  # a retry: the same id
    assert report_ids.issued_to(issued, "apoa-kalsel", [KEY])
    assert not report_ids.issued_to(issued, "polres-tanbu", [KEY])
    assert not report_ids.issued_to(issued, "apoa-kalsel", [report_ids.derive_key("other")])
    assert not report_ids.issued_to(raw, "apoa-kalsel", [KEY])  # an untagged id
    for junk in ("", "42", "not a ulid at all", "Z" * 26, "0" * 300):
        assert not report_ids.issued_to(junk, "apoa-kalsel", [KEY])


def test_ids_tagged_before_a_rotation_still_pass() -> None:
    issued = report_ids.issue(str(ULID()), "apoa-kalsel", OLD)
    keys = report_ids.keys_of(["new-secret", "", "old-secret"])
    assert len(keys) == 2
    assert report_ids.issued_to(issued, "apoa-kalsel", keys)
    assert not report_ids.issued_to(issued, "apoa-kalsel", keys[:1])


def test_the_key_is_not_the_secret() -> None:
    assert report_ids.derive_key("s") != b"s"
    assert len(report_ids.derive_key("s")) == 32


def test_intake_tags_every_report_for_its_source() -> None:
    ctx = SourceContext(
        source="kanim-batulicin", home_area=("63.10",), received_at=datetime.now(UTC)
    )
    body = orjson.dumps([{"location": {"kecamatan_code": c}} for c in ("63.10.04", "63.10.06")])
    result = intake(CANONICAL, body, ctx, id_key=KEY)
    assert len(result.reports) == 2
    for report in result.reports:
        assert report_ids.issued_to(report.report_id, "kanim-batulicin", [KEY])
        assert not report_ids.issued_to(report.report_id, "apoa-kalsel", [KEY])
    # with an idempotency seed, the same input gets the same tagged ids again
    again = [intake(CANONICAL, body, ctx, id_seed="http/k/1", id_key=KEY) for _ in "ab"]
    assert [r.report_id for r in again[0].reports] == [r.report_id for r in again[1].reports]
    # the published bytes carry the tagged id
    assert result.reports[0].report_id.encode() in result.values[0]


def test_ids_made_in_one_millisecond_stay_distinct() -> None:
    """ULIDs of one millisecond are monotonic: they differ only in their last bytes (a
    CAP with two areas gives two reports at once); their tagged ids must differ too."""
    from ulid import ULID

    from shared.report_ids import derive_key, issue, issued_to

    key = derive_key("a secret of this deployment")
    made = [str(ULID()) for _ in range(50)]
    assert len({m[:10] for m in made}) < len(made)  # some share their millisecond
    tagged = [issue(m, "polres-tanbu", key) for m in made]
    assert len(set(tagged)) == len(made)
    assert all(issued_to(t, "polres-tanbu", [key]) for t in tagged)
    assert tagged == [issue(m, "polres-tanbu", key) for m in made]  # stable
