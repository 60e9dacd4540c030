"""A partly bad batch's dead letter keeps only the failing records, in the batch's own
format (``ingest_service.formats.subset``, used by ``intake``): the accepted guests are
not copied into the dead-letter topic, and a replay parses just the records that failed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from ingest_service.formats import SourceContext
from ingest_service.formats.subset import failing_records
from ingest_service.intake import intake
from shared.schemas import SourceFormat

CTX = SourceContext("apoa-kalsel", ("63.10", "63.02"), datetime(2026, 12, 3, 6, 0, tzinfo=UTC))


def guest(i: int, nationality: str = "CHN") -> dict[str, object]:
    return {
        "nama_hotel": "Hotel Ebony",
        "kode_kecamatan": "63.10.01",
        "tamu": [{"nama_lengkap": f"Tamu Nomor {i}", "kebangsaan": nationality,
                  "nomor_paspor": f"E{i:08d}"}],
    }  # fmt: skip


def test_a_lodging_batch_keeps_only_its_bad_record() -> None:
    body = {"laporan": [guest(i) for i in range(50)], "sumber": "APOA"}
    body["laporan"][7]["tamu"][0]["kebangsaan"] = "ZZ-not-a-country"  # type: ignore[index]
    raw = json.dumps(body).encode()
    result = intake(SourceFormat.lodging, raw, CTX, id_seed="x")
    assert len(result.reports) == 49
    rejection = result.rejection
    assert rejection is not None
    kept = base64.b64decode(rejection.original_b64 or "")
    assert json.loads(kept) == {"laporan": [body["laporan"][7]], "sumber": "APOA"}  # type: ignore[index]
    assert b"E00000008" not in kept  # an accepted guest is not copied
    assert rejection.headers["kept"] == "failing records only: 1 of 50"
    assert rejection.original_size == len(kept)
    # a replay of what was kept fails the same way, and only that record
    again = intake(SourceFormat.lodging, kept, CTX)
    assert (len(again.reports), [r.index for r in again.reasons]) == (0, [0])


def test_a_canonical_array_keeps_its_bad_items() -> None:
    items = [{"category": "overstay", "location": {"kecamatan_code": "63.10.01"}}] * 3
    items = [*items, {"category": "not-a-category"}]
    kept = failing_records(SourceFormat.canonical, json.dumps(items).encode(), {3})
    assert json.loads(kept or b"") == [{"category": "not-a-category"}]


def test_a_csv_keeps_the_header_and_its_bad_rows() -> None:
    raw = (
        b"nama_lengkap;kebangsaan;nomor_paspor;kode_kecamatan\n"
        b"Tamu Satu;CHN;E00000001;63.10.01\n"
        b"\n"
        b"Tamu Dua;ZZZZ;E00000002;63.10.01\n"
        b"Tamu Tiga;VNM;E00000003;63.10.01\n"
    )
    result = intake(SourceFormat.lodging_csv, raw, CTX, id_seed="y")
    assert len(result.reports) == 2
    assert result.rejection is not None
    assert [r.index for r in result.reasons] == [4]  # the spreadsheet's row 4
    kept = base64.b64decode(result.rejection.original_b64 or "").decode()
    assert (
        kept
        == "nama_lengkap;kebangsaan;nomor_paspor;kode_kecamatan\nTamu Dua;ZZZZ;E00000002;63.10.01\n"
    )


def test_a_wholly_bad_body_is_kept_whole() -> None:
    raw = b'{"laporan": [{"tamu": "not-a-list"}]}'
    result = intake(SourceFormat.lodging, raw, CTX)
    assert result.rejection is not None
    assert base64.b64decode(result.rejection.original_b64 or "") == raw  # nothing was accepted
    assert "kept" not in result.rejection.headers
    assert failing_records(SourceFormat.cap, b"<alert/>", {0}) is None  # not a batch
