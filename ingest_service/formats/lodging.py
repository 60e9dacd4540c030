"""APOA-style lodging guest reports (JSON): a hotel says which foreigners stay with it.

Indonesian lodging operators must report foreign guests (APOA, Aplikasi Pelaporan Orang
Asing). Their systems export a record per stay; keys come in Indonesian or English and
in a nested or flat layout, so both are accepted::

    {
      "id_laporan": "APOA-6310-2026-000123",
      "penginapan": {"nama": "Hotel Ebony", "alamat": "Jl. Raya Batulicin No. 12",
                     "kecamatan": "Batu Licin", "kabupaten": "Tanah Bumbu",
                     "kode_wilayah": "63.10.01"},
      "tamu": {"nama_lengkap": "LI WEI", "kewarganegaraan": "Tiongkok",
               "nomor_paspor": "E 1234 5678", "tanggal_lahir": "12/03/1985",
               "jenis_kelamin": "L", "jenis_izin": "ITK", "tanggal_habis_izin": "2026-01-10"},
      "tgl_masuk": "2026-01-12 14:30 WITA",
      "tgl_keluar": null
    }

English: ``lodging{name,address,district,regency,area_code}``, ``guest{full_name,
nationality,passport_number,date_of_birth,sex,permit_type,permit_expiry}``,
``check_in``/``check_out``. ``tamu``/``guests`` may be a list (a family in one room: one
report, several subjects). A batch is a JSON array or ``{"laporan"|"reports": [...]}``.
Every accepted key is listed in :mod:`ingest_service.formats.lodging_fields`.

Rejected per record, with the offending key as ``path``: no guest identity (neither name
nor passport), an unreadable date/datetime/sex/passport, an unknown nationality, a
check-out before check-in. Never rejected for a place that does not resolve.
"""

from __future__ import annotations

from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import (
    Parsed,
    SourceContext,
    batch_items,
    build_report,
    load_json,
    reason,
    truncate_text,
)
from ingest_service.formats.lodging_fields import (
    BATCH_KEYS,
    FLAT_LODGING,
    FLAT_REPORTER,
    GUEST,
    GUEST_KEYS,
    LODGING_KEYS,
    NESTED_LODGING,
    PLACE,
    REPORTER,
    REPORTER_KEYS,
    STAY,
    Fields,
    Problems,
)
from shared.jurisdiction import normalize_code
from shared.schemas import SourceFormat

# --------------------------------------------------------------------------- parser


def parse_lodging(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """Parse an APOA-style JSON body: one record, an array, or a ``laporan`` batch."""
    data, problem = load_json(raw)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    items, problem = batch_items(data, BATCH_KEYS)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    if items is None:
        return [record_to_parsed(data, 0, ctx, batch=False)]
    return [record_to_parsed(item, i, ctx, batch=True) for i, item in enumerate(items)]


def record_to_parsed(
    record: Any,
    index: int,
    ctx: SourceContext,
    *,
    batch: bool,
    fmt: SourceFormat = SourceFormat.lodging,
    flat_only: bool = False,
) -> Parsed:
    """One lodging record (nested JSON, flat JSON or a CSV row) → one report.

    ``flat_only`` (CSV) reads lodging, guest and stay fields from the same row.
    """
    at = index if batch else None
    if not isinstance(record, dict):
        kind = type(record).__name__.replace("NoneType", "null")
        return Parsed(
            index,
            None,
            [reason("not_an_object", f"a record must be an object, got {kind}", index=at)],
        )
    rec = Fields.of(record, "")
    problems = Problems(at)
    lodging_src, lodging_path = (None, "") if flat_only else rec.sub(LODGING_KEYS)
    if isinstance(lodging_src, dict):
        lodging_fields = Fields.of(lodging_src, lodging_path)
        name = lodging_fields.text(NESTED_LODGING["name"])
        address = lodging_fields.text(NESTED_LODGING["address"])
    else:
        lodging_fields = rec
        name = rec.text(FLAT_LODGING["name"])
        address = rec.text(FLAT_LODGING["address"])
    location = lodging_location(lodging_fields, name, address)

    subjects = _subjects(rec, problems, flat_only=flat_only)
    check_in = problems.convert(
        nz.parse_datetime, rec, STAY["check_in"], "invalid_datetime", ctx.tz
    )
    check_out = problems.convert(
        nz.parse_datetime, rec, STAY["check_out"], "invalid_datetime", ctx.tz
    )
    if check_in and check_out and check_out < check_in:
        problems.add(
            "invalid_stay", "check-out is before check-in", rec.where(STAY["check_out"][0])
        )
    if problems.reasons:
        return Parsed(index, None, problems.reasons)
    return build_report(
        index,
        ctx,
        fmt,
        upstream_ref=rec.text(STAY["ref"]),
        occurred_at=check_in,
        location=location,
        subjects=subjects,
        lodging={"name": name, "check_in": check_in, "check_out": check_out}
        if name is not None or check_in is not None
        else None,
        reporter=_reporter(rec, name, flat_only=flat_only),
        text=truncate_text(rec.text(STAY["notes"])),
    )


def _subjects(rec: Fields, problems: Problems, *, flat_only: bool) -> list[dict[str, Any]]:
    guests_src, guests_path = (None, "") if flat_only else rec.sub(GUEST_KEYS)
    if isinstance(guests_src, dict):
        guests = [Fields.of(guests_src, guests_path)]
    elif isinstance(guests_src, list):
        if not all(isinstance(g, dict) for g in guests_src):
            problems.add("invalid_field", "every guest must be an object", guests_path)
            return []
        guests = [Fields.of(g, f"{guests_path}.{i}") for i, g in enumerate(guests_src)]
    else:
        guests = [rec]
    if not guests:
        problems.add("missing_guest", "the report names no guest", guests_path or "tamu")
        return []
    subjects = [_subject(g, problems) for g in guests]
    return [s for s in subjects if s is not None]


def _subject(guest: Fields, problems: Problems) -> dict[str, Any] | None:
    before = len(problems.reasons)
    full_name = guest.text(GUEST["full_name"])
    passport = problems.convert(
        nz.normalize_passport, guest, GUEST["passport_number"], "invalid_passport"
    )
    if full_name is None and passport is None and len(problems.reasons) == before:
        problems.add(
            "missing_guest",
            "a guest needs a full name or a passport number",
            guest.where(GUEST["full_name"][0]),
        )
    nationality = _nationality(guest, problems)
    dob = problems.convert(nz.parse_date, guest, GUEST["date_of_birth"], "invalid_date")
    sex = problems.convert(nz.parse_sex, guest, GUEST["sex"], "invalid_field")
    permit_type = nz.parse_permit_type(guest.raw(GUEST["permit_type"])[0])
    expiry = problems.convert(nz.parse_date, guest, GUEST["permit_expiry"], "invalid_date")
    if len(problems.reasons) > before:
        return None
    return dict(
        full_name=full_name,
        nationality=nationality,
        passport_number=passport,
        date_of_birth=dob,
        sex=sex,
        permit_type=permit_type,
        permit_number=guest.text(GUEST["permit_number"]),
        permit_expiry=expiry,
        employer=guest.text(GUEST["employer"]),
    )


def _nationality(guest: Fields, problems: Problems) -> str | None:
    value, path = guest.raw(GUEST["nationality"])
    text = nz.clean(value)
    if text is None:
        return None
    code = nz.nationality_to_alpha3(text)
    if code is None:
        problems.add(
            "invalid_nationality", "unknown nationality; use a country name or ISO code", path
        )
    return code


def _reporter(rec: Fields, lodging_name: str | None, *, flat_only: bool) -> dict[str, Any] | None:
    src, path = (None, "") if flat_only else rec.sub(REPORTER_KEYS)
    fields, aliases = (
        (Fields.of(src, path), REPORTER) if isinstance(src, dict) else (rec, FLAT_REPORTER)
    )
    phone = fields.text(aliases["phone"])
    values = {
        "name": fields.text(aliases["name"]),
        "phone": nz.to_e164(phone) if phone else None,
        "email": fields.text(aliases["email"]),
        "organisation": fields.text(aliases["organisation"]) or lodging_name,
    }
    if not any(values.values()):
        return None
    return values


# --------------------------------------------------------------------------- place


def dotted_code(text: str) -> str | None:
    """A Kemendagri code in dotted form ("631006" → "63.10.06"), None unless it exists."""
    return normalize_code(text)


def code_fields(code: str) -> dict[str, str]:
    """Location code fields for a dotted code and all its parents."""
    parts = code.split(".")
    names = ("provinsi_code", "kabupaten_code", "kecamatan_code", "desa_code")
    return {names[i]: ".".join(parts[: i + 1]) for i in range(min(len(parts), 4))}


def _coordinate(value: Any, limit: float) -> float | None:
    try:
        number = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return number if -limit <= number <= limit else None


def lodging_location(src: Fields, name: str | None, address: str | None) -> dict[str, Any]:
    """The lodging's location as written; a bad code or coordinate is dropped, not fatal."""
    values: dict[str, Any] = {
        "place_name": name,
        "address": address,
        "desa_name": src.text(PLACE["desa"]),
        "kecamatan_name": src.text(PLACE["kecamatan"]),
        "kabupaten_name": src.text(PLACE["kabupaten"]),
        "provinsi_name": src.text(PLACE["provinsi"]),
    }
    code_text = src.text(PLACE["code"])
    code = dotted_code(code_text) if code_text else None
    if code:
        values.update(code_fields(code))
    lat, lon = src.raw(PLACE["lat"])[0], src.raw(PLACE["lon"])[0]
    if lat is not None and lon is not None:
        values["latitude"] = _coordinate(lat, 90)
        values["longitude"] = _coordinate(lon, 180)
        if values["latitude"] is None or values["longitude"] is None:
            values["latitude"] = values["longitude"] = None
    return {k: v for k, v in values.items() if v is not None}
