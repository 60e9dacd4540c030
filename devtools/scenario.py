"""The Tanah Bumbu scenario: what the live demo plays and the end-to-end tests check.

Hotel check-ins in Batu Licin and Simpang Empat (one guest's permit has expired), a
police CAP alert about foreign workers at a mine in Satui, a citizen's SMS from
Angsana, a retried (duplicate) request, a second sighting of the same overstayer, and a
malformed report. Dates are relative to today so permits stay valid / expired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

WITA = "+08:00"


@dataclass(frozen=True)
class Step:
    label: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    expect: str = "routed"  # routed | digest | rejected | same_as_previous


def _lodging(
    ref: str, hotel: str, kecamatan: str, guest: dict[str, Any], check_in: datetime
) -> bytes:
    return orjson.dumps(
        {
            "id_laporan": ref,
            "penginapan": {"nama": hotel, "kecamatan": kecamatan, "kabupaten": "Tanah Bumbu"},
            "tamu": guest,
            "tgl_masuk": check_in.strftime("%Y-%m-%dT%H:%M:00") + WITA,
        }
    )


def _cap(now: datetime) -> bytes:
    sent = now.strftime("%Y-%m-%dT%H:%M:%S") + WITA
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>POLRES-TANBU-{now:%Y%m%d%H%M}-007</identifier>
  <sender>sium@polres-tanahbumbu.example.org</sender>
  <sent>{sent}</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>id-ID</language><category>Security</category>
    <event>Pekerja asing tanpa izin</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <senderName>Polsek Satui</senderName>
    <headline>7 WNA bekerja di tambang batubara Satui</headline>
    <description>7 orang WN Tiongkok mengoperasikan alat berat di tambang batubara
 Desa Sungai Danau. Izin kerja belum diketahui.</description>
    <area><areaDesc>Kecamatan Satui, Kabupaten Tanah Bumbu</areaDesc>
      <geocode><valueName>KEMENDAGRI</valueName><value>63.10.04</value></geocode></area>
  </info>
</alert>""".encode()


def steps(now: datetime | None = None) -> list[Step]:
    now = (now or datetime.now(UTC)).astimezone(UTC) + timedelta(hours=8)  # WITA wall clock
    apoa = {"X-API-Key": "dev-key-apoa", "Content-Type": "application/json"}
    valid = (now + timedelta(days=60)).strftime("%Y-%m-%d")
    expired = (now - timedelta(days=9)).strftime("%Y-%m-%d")
    kim = _lodging(
        "APOA-6310-DEMO-0001",
        "Hotel Ebony Batulicin",
        "Batu Licin",
        {
            "nama_lengkap": "KIM MIN-JUN",
            "kewarganegaraan": "Korea Selatan",
            "nomor_paspor": "M12345678",
            "jenis_izin": "ITAS",
            "tanggal_habis_izin": valid,
            "jenis_kelamin": "L",
            "tanggal_lahir": "04/07/1979",
        },
        now - timedelta(hours=2),
    )
    nguyen = _lodging(
        "APOA-6310-DEMO-0002",
        "Wisma Pagatan Indah",
        "Simpang Empat",
        {
            "nama_lengkap": "NGUYEN VAN AN",
            "kewarganegaraan": "Vietnam",
            "nomor_paspor": "C7654321",
            "jenis_izin": "ITK",
            "tanggal_habis_izin": expired,
            "jenis_kelamin": "L",
            "tanggal_lahir": "12/03/1988",
        },
        now - timedelta(hours=1),
    )
    nguyen_again = nguyen.replace(b"DEMO-0002", b"DEMO-0003").replace(
        b"Wisma Pagatan", b"Hotel Simpang"
    )
    return [
        Step(
            "Hotel check-in, Batu Licin (valid ITAS)",
            "POST",
            "/v1/lodging",
            apoa,
            kim,
            expect="digest",
        ),
        Step(
            "Hotel check-in, Simpang Empat (ITK expired)",
            "POST",
            "/v1/lodging",
            apoa | {"Idempotency-Key": "apoa-0002"},
            nguyen,
        ),
        Step(
            "Same request retried by the hotel system",
            "POST",
            "/v1/lodging",
            apoa | {"Idempotency-Key": "apoa-0002"},
            nguyen,
            expect="same_as_previous",
        ),
        Step(
            "Police CAP alert: foreign workers at a mine in Satui",
            "POST",
            "/v1/cap",
            {"X-API-Key": "dev-key-polres", "Content-Type": "application/cap+xml"},
            _cap(now),
        ),
        Step(
            "Citizen SMS via Kannel: LAPOR ANGSANA",
            "GET",
            "/v1/webhooks/kannel",
            {},
            params={
                "key": "dev-key-kannel",
                "from": "+6281200009999",
                "to": "1717",
                "text": "LAPOR ANGSANA ada 5 WNA kerja di tambang dekat jalan hauling",
            },
        ),
        Step(
            "Same overstayer seen at another hotel (grouped)",
            "POST",
            "/v1/lodging",
            apoa,
            nguyen_again,
        ),
        Step(
            "Malformed report",
            "POST",
            "/v1/reports",
            {"X-API-Key": "dev-key-kanim", "Content-Type": "application/json"},
            b'{"category": "presence", "location": {"kecamatan_code": ',
            expect="rejected",
        ),
    ]
