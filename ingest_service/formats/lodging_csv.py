"""CSV bulk upload of lodging guest reports: one guest per row, header row first.

Small hotels export their guest book from a spreadsheet, so column names are Indonesian
or English, in any case and spacing ("Nomor Paspor", "passport_number"), the delimiter
is ``;`` (Indonesian Excel locale) or ``,`` (or a tab), and the file may start with a
UTF-8 BOM. Columns are those of :mod:`ingest_service.formats.lodging` in flat form, e.g.::

    id_laporan;nama_penginapan;alamat;kecamatan;kabupaten;kode_wilayah;nama_lengkap;
    kewarganegaraan;nomor_paspor;tanggal_lahir;jenis_kelamin;jenis_izin;
    tanggal_habis_izin;tgl_masuk;tgl_keluar

Each row becomes its own :class:`Parsed` whose ``index`` is the spreadsheet row number
(the header is row 1), so a clerk is told "row 7: tanggal_lahir unreadable". Unknown
columns are ignored; a header without any guest-identity column is refused as a whole.
Files must be UTF-8 ("CSV UTF-8" in Excel); other encodings are refused with a hint.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ingest_service.formats import MAX_BATCH, Parsed, SourceContext, fail, reason
from ingest_service.formats.lodging import record_to_parsed
from ingest_service.formats.lodging_fields import GUEST, norm_key
from shared.schemas import Reason, SourceFormat

MAX_COLUMNS = 100
MAX_FIELD = 10_000  # characters per cell
_DELIMITERS = (";", ",", "\t", "|")


def sniff_delimiter(header: str) -> str:
    """The delimiter used by the header line: the candidate that splits it most.

    ``csv.Sniffer`` guesses wrong on short files; a header of names is unambiguous.
    """
    counts = {d: len(next(csv.reader([header], delimiter=d))) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def parse_lodging_csv(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """Parse a CSV upload into one :class:`Parsed` per non-empty data row."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(
            None,
            "invalid_utf8",
            f"file is not UTF-8 (byte {exc.start}); save it as 'CSV UTF-8'",
        )
    if "\x00" in text:
        return fail(None, "invalid_csv", "file contains NUL characters; is it a spreadsheet?")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = _header(reader)
    except csv.Error as exc:
        return fail(None, "invalid_csv", f"header row is not valid CSV: {exc}")
    if header is None:
        return fail(None, "empty_body", "the file has no header row")
    problem = _check_header(header)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    return _rows(reader, header, ctx)


def _header(reader: Iterator[list[str]]) -> list[str] | None:
    for row in reader:
        if any(cell.strip() for cell in row):
            return [norm_key(cell) for cell in row]
    return None


def _check_header(header: list[str]) -> Reason | None:
    if len(header) > MAX_COLUMNS:
        return reason("invalid_csv", f"at most {MAX_COLUMNS} columns are allowed", index=1)
    identity = set(GUEST["full_name"]) | set(GUEST["passport_number"])
    if not identity & set(header):
        return reason(
            "missing_column",
            "the header needs a guest name or passport column "
            "(e.g. nama_lengkap / full_name, nomor_paspor / passport_number)",
            index=1,
        )
    return None


def _rows(reader: Iterator[list[str]], header: list[str], ctx: SourceContext) -> list[Parsed]:
    out: list[Parsed] = []
    row_number = 1  # the header
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            row_number += 1
            out.append(
                Parsed(row_number, None, [reason("invalid_csv", str(exc), index=row_number)])
            )
            break  # the reader cannot resynchronise after a broken quote
        if row is None:
            break
        row_number += 1
        if not any(cell.strip() for cell in row):
            continue
        if len(out) >= MAX_BATCH:
            return fail(None, "batch_too_large", f"a file may hold at most {MAX_BATCH} data rows")
        out.append(_row(row, header, row_number, ctx))
    if not out:
        return fail(None, "empty_batch", "the file has a header but no data rows")
    return out


def _row(row: list[str], header: list[str], row_number: int, ctx: SourceContext) -> Parsed:
    if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
        return Parsed(
            row_number,
            None,
            [
                reason(
                    "invalid_csv",
                    f"row has {len(row)} cells but the header has {len(header)} columns",
                    index=row_number,
                )
            ],
        )
    if any(len(cell) > MAX_FIELD for cell in row):
        return Parsed(
            row_number,
            None,
            [reason("invalid_csv", f"a cell exceeds {MAX_FIELD} characters", index=row_number)],
        )
    record = {name: cell for name, cell in zip(header, row, strict=False) if name}
    return record_to_parsed(
        record, row_number, ctx, batch=True, fmt=SourceFormat.lodging_csv, flat_only=True
    )
