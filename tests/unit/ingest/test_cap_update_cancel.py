"""CAP Update, Cancel and several areas: references read from ``sender,identifier,sent``
entries, a Cancel is one report that cancels (refused without references), each
``<area>`` its own report with a stable id of its own."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ingest_service.formats import SourceContext, parse
from ingest_service.formats.cap import MAX_AREAS, cap_references
from ingest_service.intake import intake
from shared.schemas import Category, Severity, SourceFormat

from .conftest import codes, only_report
from .test_cap import cap, info, reports

SATUI = "<area><areaDesc>Kecamatan Satui</areaDesc></area>"
ANGSANA = (
    "<area><areaDesc>Kecamatan Angsana</areaDesc><geocode><valueName>KEMENDAGRI</valueName>"
    "<value>63.10.09</value></geocode></area>"
)
REFS = "ops@example.go.id,KALSEL-0,2026-01-12T08:00:00+08:00"


def with_refs(body: bytes, refs: str = REFS, note: str = "") -> bytes:
    extra = f"<references>{refs}</references>" + (f"<note>{note}</note>" if note else "")
    return body.replace(b"<scope>Restricted</scope>", f"<scope>Restricted</scope>{extra}".encode())


def test_update_sample_references_the_alert(
    ctx: SourceContext, sample: Callable[[str], bytes]
) -> None:
    report = only_report(parse("cap", sample("cap_satui_tambang_update.xml"), ctx))
    assert report.upstream_ref == "POLRES-TANBU-2026-0112-008"
    assert report.references == ["POLRES-TANBU-2026-0112-007"]
    assert report.cancels is False
    assert report.category is Category.illegal_work
    assert report.subject_count == 9
    assert report.location.kecamatan_code == "63.10.04"


def test_cancel_sample_is_one_cancelling_report(
    ctx: SourceContext, sample: Callable[[str], bytes]
) -> None:
    report = only_report(parse("cap", sample("cap_satui_tambang_cancel.xml"), ctx))
    assert report.source_format is SourceFormat.cap
    assert report.cancels is True
    assert report.references == ["POLRES-TANBU-2026-0112-007", "POLRES-TANBU-2026-0112-008"]
    assert report.upstream_ref == "POLRES-TANBU-2026-0112-009"
    assert report.text.startswith("Salah lapor")  # its <note>
    # no <info>: the defaults; placed by the source's home area
    assert (report.category, report.severity) == (Category.presence, Severity.info)
    assert report.resolution is not None


def test_cancel_with_info_takes_its_category_and_first_area(ctx: SourceContext) -> None:
    body = cap(info("Pekerja asing tanpa izin", area=SATUI + ANGSANA), msg_type="Cancel")
    report = only_report(parse("cap", with_refs(body, note="Dibatalkan"), ctx))
    assert report.cancels is True
    assert report.references == ["KALSEL-0"]
    assert report.category is Category.illegal_work
    assert report.location.kecamatan_name == "Satui"
    assert report.text.startswith("Dibatalkan\n\nPekerja asing")


def test_cancel_without_references_is_refused(ctx: SourceContext) -> None:
    [item] = parse("cap", cap(info("WNA"), msg_type="Cancel"), ctx)
    assert codes(item) == ["cancel_without_references"]
    assert item.reasons[0].path == "alert.references"
    assert "references" in item.reasons[0].message


def test_update_without_references_is_a_new_alert(ctx: SourceContext) -> None:
    report = only_report(parse("cap", cap(info("WNA overstay"), msg_type="Update"), ctx))
    assert report.references == []
    assert report.category is Category.overstay


def test_an_alert_ignores_references(ctx: SourceContext) -> None:
    report = only_report(parse("cap", with_refs(cap(info("WNA overstay"))), ctx))
    assert report.references == []


@pytest.mark.parametrize(
    ("text", "identifiers"),
    [
        (REFS, ["KALSEL-0"]),
        (f"{REFS}  a@b,KALSEL-1,2026-01-12T09:00:00+08:00\n{REFS}", ["KALSEL-0", "KALSEL-1"]),
        ("BARE-ID", ["BARE-ID"]),  # not the standard form: taken as an identifier
        ("", []),
        (None, []),
    ],
)
def test_references_are_the_identifiers(text: str | None, identifiers: list[str]) -> None:
    assert cap_references(text) == identifiers


def test_each_area_is_a_report(ctx: SourceContext) -> None:
    satui, angsana = reports(parse("cap", cap(info("WNA overstay", area=SATUI + ANGSANA)), ctx))
    assert satui.location.kecamatan_code == "63.10.04"
    assert angsana.location.kecamatan_code == "63.10.09"
    assert satui.upstream_ref == angsana.upstream_ref == "KALSEL-TEST-1"
    assert satui.category is angsana.category is Category.overstay


def test_area_reports_have_stable_distinct_ids(ctx: SourceContext) -> None:
    body = cap(info("WNA overstay", area=SATUI + ANGSANA), msg_type="Update")
    first = intake(SourceFormat.cap, with_refs(body), ctx, id_seed="POLRES/key-1", seed_time=False)
    again = intake(SourceFormat.cap, with_refs(body), ctx, id_seed="POLRES/key-1", seed_time=False)
    ids = [r.report_id for r in first.reports]
    assert len(set(ids)) == 2
    assert ids == [r.report_id for r in again.reports]  # a retry: the same reports
    assert all(r.references == ["KALSEL-0"] for r in first.reports)
    assert first.rejection is None


def test_too_many_areas_are_refused(ctx: SourceContext) -> None:
    [item] = parse("cap", cap(info("WNA", area=SATUI * (MAX_AREAS + 1))), ctx)
    assert codes(item) == ["too_many_areas"]
