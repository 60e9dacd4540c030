"""The e2e PII scanner itself (``tests.pii_scan``): it learns the submitted people from
JSON, CSV and CAP requests and finds them in any spelling, but not masked."""

from __future__ import annotations

import httpx

from tests.pii_scan import Submitted


def _post(body: bytes, kind: str = "application/json", path: str = "/v1/reports") -> httpx.Request:
    return httpx.Request(
        "POST", f"http://ingest{path}", content=body, headers={"content-type": kind}
    )


def test_it_learns_from_every_format_and_finds_every_spelling() -> None:
    scan = Submitted()
    scan.record(
        _post(b'{"subjects": [{"full_name": "Zhang Wei Ming", "passport_number": "E12345678"}]}')
    )
    scan.record(
        _post(
            b"nama_lengkap,nomor_paspor\nNguyen Van An,C 765-4321\n", "text/csv", "/v1/lodging/csv"
        )
    )
    cap = (
        b"<alert><info><parameter><valueName>passport_number</valueName>"
        b"<value>X1234567</value></parameter></info></alert>"
    )
    scan.record(_post(cap, "application/xml", "/v1/cap"))
    assert scan.passports == {"e12345678", "c7654321", "x1234567"}
    assert scan.names == {"zhang wei ming", "nguyen van an"}
    found = scan.hits("sms", ["paspor e 1234-5678", "NGUYEN  VAN AN datang", "x1234567"])
    assert sorted(found) == [
        "sms: name 'nguyen van an'",
        "sms: passport e12345678",
        "sms: passport x1234567",
    ]


def test_masked_values_are_not_hits() -> None:
    scan = Submitted()
    scan.record(
        _post(b'{"subjects": [{"full_name": "Zhang Wei Ming", "passport_number": "E12345678"}]}')
    )
    assert scan.hits("sms", ["Subjek: Z. W. M. (CHN, E12****78)", "Zhang Wei dan Ming"]) == []
