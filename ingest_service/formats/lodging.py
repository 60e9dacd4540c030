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

Rejected per record, with the offending key as ``path``: no guest identity (neither name
nor passport), an unreadable date/datetime/sex/passport, an unknown nationality, a
check-out before check-in. Never rejected for a place that does not resolve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import (
    MAX_REASONS,
    Parsed,
    SourceContext,
    batch_items,
    build_report,
    load_json,
    reason,
    truncate_text,
)
from shared.jurisdiction import normalize_code
from shared.schemas import Reason, SourceFormat

BATCH_KEYS = ("laporan", "reports", "data", "records", "daftar_laporan")
LODGING_KEYS = ("penginapan", "lodging", "hotel", "akomodasi", "tempat_menginap")
GUEST_KEYS = ("tamu", "guest", "guests", "daftar_tamu", "orang_asing", "wna")
REPORTER_KEYS = ("pelapor", "reporter")

# fmt: off
# Field aliases; keys are compared after lower-casing and turning " -./" into "_".
NESTED_LODGING = {
    "name": ("nama", "name", "nama_penginapan", "nama_hotel", "lodging_name", "hotel_name"),
    "address": ("alamat", "address", "alamat_penginapan", "alamat_hotel", "lodging_address"),
}
FLAT_LODGING = {
    "name": ("nama_penginapan", "nama_hotel", "penginapan", "hotel", "lodging", "lodging_name",
             "hotel_name", "nama_akomodasi"),
    "address": ("alamat_penginapan", "alamat_hotel", "lodging_address", "hotel_address",
                "alamat", "address"),
}
PLACE = {
    "desa": ("desa", "kelurahan", "desa_kelurahan", "kelurahan_desa", "village"),
    "kecamatan": ("kecamatan", "kec", "district", "subdistrict"),
    "kabupaten": ("kabupaten", "kota", "kabupaten_kota", "kab_kota", "kabkota", "regency",
                  "city"),
    "provinsi": ("provinsi", "propinsi", "province"),
    "code": ("kode_wilayah", "kode_kemendagri", "kode_daerah", "area_code", "region_code",
             "kemendagri_code"),
    "lat": ("lat", "latitude", "lintang"),
    "lon": ("lon", "lng", "long", "longitude", "bujur"),
}
GUEST = {
    "full_name": ("nama_lengkap", "nama", "full_name", "name", "nama_tamu", "guest_name"),
    "nationality": ("kewarganegaraan", "warga_negara", "warganegara", "nationality",
                    "kebangsaan", "citizenship", "negara"),
    "passport_number": ("nomor_paspor", "no_paspor", "paspor", "nomor_passport", "no_passport",
                        "passport_number", "passport_no", "passport"),
    "date_of_birth": ("tanggal_lahir", "tgl_lahir", "date_of_birth", "dob", "birth_date",
                      "birthdate"),
    "sex": ("jenis_kelamin", "kelamin", "jk", "sex", "gender"),
    "permit_type": ("jenis_izin", "jenis_izin_tinggal", "izin_tinggal", "jenis_visa",
                    "permit_type", "visa_type", "stay_permit"),
    "permit_number": ("nomor_izin", "no_izin", "nomor_izin_tinggal", "no_kitas", "nomor_kitas",
                      "permit_number", "permit_no"),
    "permit_expiry": ("tanggal_habis_izin", "tgl_habis_izin", "masa_berlaku_izin",
                      "izin_berlaku_sampai", "tanggal_berakhir_izin", "permit_expiry",
                      "permit_expiry_date", "permit_valid_until", "visa_expiry"),
    "employer": ("sponsor", "penjamin", "perusahaan", "employer", "nama_perusahaan"),
}
STAY = {
    "check_in": ("tgl_masuk", "tanggal_masuk", "waktu_masuk", "check_in", "checkin",
                 "tanggal_kedatangan", "arrival"),
    "check_out": ("tgl_keluar", "tanggal_keluar", "waktu_keluar", "check_out", "checkout",
                  "departure"),
    "ref": ("id_laporan", "nomor_laporan", "no_laporan", "report_id", "reference", "ref", "id"),
    "notes": ("keterangan", "catatan", "notes", "remarks"),
}
REPORTER = {
    "name": ("nama", "name"),
    "phone": ("telepon", "telp", "no_hp", "hp", "phone", "phone_number"),
    "email": ("email", "surel"),
    "organisation": ("instansi", "organisasi", "organisation", "organization"),
}
FLAT_REPORTER = {
    "name": ("nama_pelapor", "reporter_name"),
    "phone": ("telepon_pelapor", "no_hp_pelapor", "hp_pelapor", "reporter_phone"),
    "email": ("email_pelapor", "reporter_email"),
    "organisation": ("instansi_pelapor", "reporter_organisation"),
}
# fmt: on

_KEY_SEP = re.compile(r"[\s\-./]+")
_CODE = re.compile(r"^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?$")


def norm_key(key: str) -> str:
    """Lower-case key with separators unified, so "Nomor Paspor" == "nomor_paspor"."""
    return _KEY_SEP.sub("_", key.strip().lower()).strip("_")


@dataclass
class Fields:
    """A record's keys normalised, remembering the original key for error paths."""

    data: dict[str, Any]
    path: str = ""
    original: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, data: dict[str, Any], path: str = "") -> Fields:
        normed: dict[str, Any] = {}
        original: dict[str, str] = {}
        for key, value in data.items():
            if isinstance(key, str):
                k = norm_key(key)
                if k not in normed or nz.is_blank(normed[k]):
                    normed[k] = value
                    original[k] = key
        return cls(normed, path, original)

    def raw(self, aliases: Sequence[str]) -> tuple[Any, str]:
        """The first present value among ``aliases`` (blank counts as absent) and its path."""
        for alias in aliases:
            if alias in self.data and not nz.is_blank(self.data[alias]):
                return self.data[alias], self.where(alias)
        return None, self.where(aliases[0])

    def text(self, aliases: Sequence[str]) -> str | None:
        return nz.clean(self.raw(aliases)[0])

    def sub(self, keys: Sequence[str]) -> Any:
        """A nested object/array under one of ``keys``."""
        for key in keys:
            if key in self.data and isinstance(self.data[key], dict | list):
                return self.data[key], self.where(key)
        return None, ""

    def where(self, key: str) -> str:
        name = self.original.get(key, key)
        return f"{self.path}.{name}" if self.path else name


@dataclass
class Problems:
    """Reasons gathered for one record, all at once so the sender can fix them together."""

    index: int | None
    reasons: list[Reason] = field(default_factory=list)

    def add(self, code: str, message: str, path: str | None) -> None:
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(reason(code, message, path=path, index=self.index))

    def convert(
        self,
        func: Callable[..., Any],
        fields: Fields,
        aliases: Sequence[str],
        code: str,
        *args: Any,
    ) -> Any:
        """``func`` applied to a field's value; a ValueError becomes a reason."""
        value, path = fields.raw(aliases)
        if value is None:
            return None
        try:
            return func(value, *args)
        except (ValueError, TypeError, OverflowError) as exc:
            self.add(code, str(exc) or f"unreadable value for {path}", path)
            return None


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
