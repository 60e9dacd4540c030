"""The failing records of a partly bad batch, as a body of the same format.

What a dead letter keeps: one bad guest row must not copy the other 999 guests (their
passports, names, dates of birth) into the dead-letter topic, where they would stay for
its retention; the good records were accepted and routed already. The body is of the
batch's own format, so ``timpora deadletters replay`` after a fix parses exactly the
records that failed. Pure; ``None`` when the records cannot be cut out (a CSV whose broken
quote stops the reader): then the dead letter keeps the reasons, not the body.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import orjson

from ingest_service.formats import batch_items, load_json
from ingest_service.formats.lodging_csv import sniff_delimiter
from ingest_service.formats.lodging_fields import BATCH_KEYS
from shared.schemas import SourceFormat

_JSON_KEYS: dict[SourceFormat, Sequence[str]] = {
    SourceFormat.canonical: ("reports",),
    SourceFormat.lodging: BATCH_KEYS,
}


def failing_records(fmt: SourceFormat | None, raw: bytes, failed: set[int]) -> bytes | None:
    """``raw`` reduced to the items at ``failed`` (batch positions; CSV row numbers with
    the header as row 1); ``None`` for a format without batches or a body that cannot be
    cut."""
    if fmt in _JSON_KEYS:
        return _json_subset(raw, failed, _JSON_KEYS[fmt])
    if fmt is SourceFormat.lodging_csv:
        return _csv_subset(raw, failed)
    return None


def _json_subset(raw: bytes, failed: set[int], keys: Sequence[str]) -> bytes | None:
    data, problem = load_json(raw)
    if problem is not None:
        return None
    items, problem = batch_items(data, keys)
    if problem is not None or items is None:
        return None
    kept = [item for i, item in enumerate(items) if i in failed]
    if isinstance(data, list):
        return orjson.dumps(kept)
    key = next(k for k in keys if isinstance(data, dict) and k in data)
    out: dict[str, Any] = {**data, key: kept}  # the batch's shared fields stay
    return orjson.dumps(out)


def _csv_subset(raw: bytes, failed: set[int]) -> bytes | None:
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return None
    delimiter = sniff_delimiter(text.lstrip("\r\n").split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            return None
        writer.writerow(header)
        for row_number, row in enumerate(reader, start=2):  # numbered as the parser does
            if row_number in failed:
                writer.writerow(row)
    except csv.Error:
        return None
    return out.getvalue().encode()
