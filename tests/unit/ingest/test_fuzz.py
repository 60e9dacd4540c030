"""Hostile and random input: every parser returns reports or reasons, never raises.

Properties checked for every result: at least one item; each item holds exactly one of
report/reasons; reasons carry a code and an English message; reports round-trip through
the schema and carry the context's source.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_service.formats import MAX_BODY, PARSERS, Parsed, SourceContext, parse
from shared.schemas import Report, SourceFormat

CTX = SourceContext("kanim-batulicin", ("63.10", "63.02"), datetime(2026, 1, 12, 2, tzinfo=UTC))
FORMATS = list(SourceFormat)
# FUZZ_EXAMPLES=5000 for a long campaign; the default keeps the unit suite fast.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check(results: list[Parsed]) -> None:
    assert isinstance(results, list)
    assert results
    for item in results:
        assert isinstance(item, Parsed)
        assert (item.report is None) != (not item.reasons)
        if item.report is not None:
            assert item.report.source == CTX.source
            Report.model_validate_json(item.report.model_dump_json())
        for reason in item.reasons:
            assert reason.code
            assert reason.code.replace("_", "").isalnum()
            assert reason.message


# --------------------------------------------------------------------------- raw bytes


@FUZZ
@given(fmt=st.sampled_from(FORMATS), raw=st.binary(max_size=2048))
def test_arbitrary_bytes(fmt: SourceFormat, raw: bytes) -> None:
    check(parse(fmt, raw, CTX))


@FUZZ
@given(fmt=st.sampled_from(FORMATS), text=st.text(max_size=500))
def test_arbitrary_text(fmt: SourceFormat, text: str) -> None:
    check(parse(fmt, text.encode("utf-8", "surrogatepass"), CTX))


# --------------------------------------------------------------------------- JSON-ish

VOCAB = [
    # canonical
    "source", "report_id", "category", "severity", "location", "subjects", "subject_count",
    "reporter", "lodging", "text", "occurred_at", "kecamatan_name", "nationality", "phone",
    "passport_number", "permit_expiry", "sex", "permit_type", "reports", "schema_version",
    # lodging
    "laporan", "penginapan", "tamu", "guests", "nama", "nama_lengkap", "kewarganegaraan",
    "nomor_paspor", "tanggal_lahir", "jenis_kelamin", "jenis_izin", "tanggal_habis_izin",
    "tgl_masuk", "tgl_keluar", "kode_wilayah", "kecamatan", "lat", "lon", "pelapor",
    # chat
    "update_id", "message", "channel_post", "from", "chat", "id", "date", "caption",
    "entry", "changes", "value", "messages", "contacts", "statuses", "type", "timestamp",
    "body", "profile", "wa_id", "result",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(
        [
            "LAPOR Satui ada 5 WNA kerja",
            "2026-01-12",
            "31/02/2026",
            "12 Januari 2026 14.30 WITA",
            "Tiongkok",
            "L",
            "P",
            "KITAS",
            "631006",
            "63.10.04",
            "text",
            "image",
            "1768198200",
            "+6281234567890",
            "illegal_work",
            "presence",
            "high",
            "-1e308",
            "",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(VOCAB), st.text(max_size=8)), children,
                        max_size=6),
    ),
    max_leaves=30,
)  # fmt: skip


@FUZZ
@given(fmt=st.sampled_from(FORMATS), data=JSON)
def test_structured_json(fmt: SourceFormat, data: object) -> None:
    check(parse(fmt, orjson.dumps(data), CTX))


def _chat_text() -> st.SearchStrategy[str]:
    words = st.sampled_from(
        ["LAPOR", "lpr", "Satui", "Simpang", "4", "Batu", "Licin", "ada", "5", "lima", "WNA",
         "WN", "China", "Korea", "Selatan", "kerja", "tambang", "di", "Kec.", "overstay",
         "narkoba", "seorang", "dua", "puluh", "belas", ",", "\n", "SEGERA", "orang", "asing"]
    )  # fmt: skip
    return st.lists(st.one_of(words, st.text(max_size=6)), max_size=25).map(" ".join)


@FUZZ
@given(text=_chat_text(), sender=st.text(max_size=16))
def test_text_reports_through_every_channel(text: str, sender: str) -> None:
    form = urlencode({"from": sender or "0812", "text": text or "x"}).encode()
    check(parse(SourceFormat.kannel_mo, form, CTX))
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1768198200,
              "chat": {"id": 1}, "from": {"first_name": sender}, "text": text}}  # fmt: skip
    check(parse(SourceFormat.telegram, orjson.dumps(update), CTX))
    webhook = {"entry": [{"changes": [{"value": {"messages": [
        {"from": sender, "id": "w", "timestamp": "1768198200", "type": "text",
         "text": {"body": text}}]}}]}]}  # fmt: skip
    check(parse(SourceFormat.whatsapp, orjson.dumps(webhook), CTX))


# --------------------------------------------------------------------------- CSV-ish

CSV_COLUMNS = ["nama_lengkap", "kewarganegaraan", "nomor_paspor", "tanggal_lahir",
               "jenis_kelamin", "tgl_masuk", "tgl_keluar", "kecamatan", "kode_wilayah",
               "nama_penginapan", "Nama Lengkap", "x"]  # fmt: skip


@FUZZ
@given(
    header=st.lists(st.sampled_from(CSV_COLUMNS), min_size=1, max_size=8),
    rows=st.lists(st.lists(SCALARS.map(lambda v: "" if v is None else str(v)), max_size=9),
                  max_size=6),
    delimiter=st.sampled_from([";", ",", "\t"]),
)  # fmt: skip
def test_structured_csv(header: list[str], rows: list[list[str]], delimiter: str) -> None:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    check(parse(SourceFormat.lodging_csv, "\n".join(lines).encode(), CTX))


# --------------------------------------------------------------------------- XML-ish

CAP_TAGS = [
    "identifier",
    "sender",
    "sent",
    "status",
    "msgType",
    "scope",
    "info",
    "language",
    "category",
    "event",
    "urgency",
    "severity",
    "certainty",
    "headline",
    "description",
    "area",
    "areaDesc",
    "polygon",
    "circle",
    "geocode",
    "valueName",
    "value",
    "onset",
]
CAP_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30),
    st.sampled_from(["Actual", "Alert", "id-ID", "Severe", "Immediate", "KEMENDAGRI",
                     "63.10.04", "2026-01-12T09:30:00+08:00", "-3.8,115.4 -3.9,115.5 -3.8,115.4",
                     "-3.6,115.6 5", "Pekerja asing tanpa izin", "Kecamatan Satui"]),
)  # fmt: skip


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


ELEMENT = st.recursive(
    CAP_TEXT.map(_escape),
    lambda children: st.tuples(st.sampled_from(CAP_TAGS), st.lists(children, max_size=4)).map(
        lambda t: "".join(f"<{t[0]}>{c}</{t[0]}>" for c in t[1]) or f"<{t[0]}/>"
    ),
    max_leaves=25,
)


@FUZZ
@given(body=st.lists(ELEMENT, max_size=8), wrap=st.booleans())
def test_structured_cap(body: list[str], wrap: bool) -> None:
    inner = "".join(body)
    fixed = (
        "<identifier>X</identifier><sender>s</sender><sent>2026-01-12T09:30:00+08:00</sent>"
        "<status>Actual</status><msgType>Alert</msgType>"
        if wrap
        else ""
    )
    xml = f'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">{fixed}{inner}</alert>'
    check(parse(SourceFormat.cap, xml.encode(), CTX))


# --------------------------------------------------------------------------- named attacks


def _codes(fmt: SourceFormat, raw: bytes) -> list[str]:
    results = parse(fmt, raw, CTX)
    check(results)
    return [r.code for item in results for r in item.reasons]


def test_billion_laughs() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b']><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&lol9;</alert>'
    )
    assert _codes(SourceFormat.cap, bomb) == ["xml_forbidden"]


def test_external_entity() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&x;</alert>'
    )
    assert _codes(SourceFormat.cap, xxe) == ["xml_forbidden"]


def test_quadratic_blowup_without_dtd_is_plain_text() -> None:
    # One huge attribute-free text node is fine: bounded by MAX_BODY.
    raw = b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">' + b"a" * 500_000 + b"</alert>"
    assert _codes(SourceFormat.cap, raw) == ["missing_field"] * 5


@pytest.mark.parametrize(
    "fmt",
    [SourceFormat.canonical, SourceFormat.lodging, SourceFormat.telegram, SourceFormat.whatsapp],
)
@pytest.mark.parametrize("depth", [40, 2000, 100_000])
def test_deep_json(fmt: SourceFormat, depth: int) -> None:
    assert _codes(fmt, b"[" * depth + b"]" * depth) == ["too_deep"]
    assert _codes(fmt, b'{"a":' * depth + b"1" + b"}" * depth) == ["too_deep"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_utf8(fmt: SourceFormat) -> None:
    results = parse(fmt, b'{"text": "LAPOR \xc3\x28 Satui"}', CTX)
    check(results)


@pytest.mark.parametrize(
    "fmt",
    [SourceFormat.canonical, SourceFormat.lodging, SourceFormat.lodging_csv,
     SourceFormat.telegram, SourceFormat.whatsapp],
)  # fmt: skip
def test_invalid_utf8_is_named(fmt: SourceFormat) -> None:
    assert _codes(fmt, b"nama\n\xff\xfe\xfd") == ["invalid_utf8"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_oversized(fmt: SourceFormat) -> None:
    assert _codes(fmt, b"a" * (MAX_BODY + 1)) == ["body_too_large"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_bytes_body(fmt: SourceFormat) -> None:
    assert _codes(fmt, "LAPOR Satui") == ["invalid_body"]  # type: ignore[arg-type]


def test_every_parser_is_registered() -> None:
    assert set(PARSERS) == set(FORMATS)
