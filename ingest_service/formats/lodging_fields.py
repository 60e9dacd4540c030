"""Lodging record fields: key aliases per field, a key-normalised record, its reasons."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingest_service import normalize as nz
from ingest_service.formats import MAX_REASONS, reason
from shared.schemas import Reason

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
