"""A subject's permit type, sex and passport number in their canonical forms."""

from __future__ import annotations

import re

from ingest_service.normalize.text import clean, fold
from shared.schemas import PermitType

# fmt: off
_PERMITS: dict[str, PermitType] = {
    "itk": PermitType.itk, "kitk": PermitType.itk, "izin tinggal kunjungan": PermitType.itk,
    "visa kunjungan": PermitType.itk, "visit": PermitType.itk, "visit stay": PermitType.itk,
    "visit stay permit": PermitType.itk, "visit visa": PermitType.itk,
    "itas": PermitType.itas, "kitas": PermitType.itas, "e itas": PermitType.itas,
    "izin tinggal terbatas": PermitType.itas, "limited stay": PermitType.itas,
    "limited stay permit": PermitType.itas,
    "itap": PermitType.itap, "kitap": PermitType.itap, "e itap": PermitType.itap,
    "izin tinggal tetap": PermitType.itap, "permanent stay": PermitType.itap,
    "permanent stay permit": PermitType.itap,
    "bebas visa": PermitType.visa_free, "bebas visa kunjungan": PermitType.visa_free,
    "bvk": PermitType.visa_free, "visa free": PermitType.visa_free,
    "visa exemption": PermitType.visa_free, "visa exempt": PermitType.visa_free,
    "visafree": PermitType.visa_free,
    "voa": PermitType.voa, "e voa": PermitType.voa, "evoa": PermitType.voa,
    "visa on arrival": PermitType.voa, "visa kunjungan saat kedatangan": PermitType.voa,
    "vkss": PermitType.voa, "vkskd": PermitType.voa,
    "tidak ada": PermitType.none, "tanpa izin": PermitType.none, "no permit": PermitType.none,
    "none": PermitType.none, "tidak punya": PermitType.none,
    "unknown": PermitType.unknown, "tidak diketahui": PermitType.unknown,
}
# fmt: on


def parse_permit_type(value: object) -> PermitType | None:
    """Permit type from an alias ("KITAS", "Bebas Visa", "e-VOA"); unrecognised → unknown.

    Unknown rather than an error: a lodging clerk's odd wording must not lose the report.
    """
    if isinstance(value, PermitType):
        return value
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    if text.lower() in {"", "-", "--", "n/a", "null"}:
        return None
    return _PERMITS.get(fold(text), PermitType.unknown)


# fmt: off
_SEX = {
    "l": "M", "lk": "M", "laki laki": "M", "laki": "M", "pria": "M", "m": "M", "male": "M",
    "man": "M", "p": "F", "pr": "F", "perempuan": "F", "wanita": "F", "f": "F",
    "female": "F", "woman": "F", "w": "F", "x": "X",
}
# fmt: on


def parse_sex(value: object) -> str | None:
    """ "M"/"F"/"X" from L/P (laki-laki/perempuan), M/F, pria/wanita, male/female."""
    text = clean(value)
    if text is None:
        return None
    sex = _SEX.get(fold(text))
    if sex is None:
        raise ValueError("unreadable sex; use L/P or M/F")
    return sex


_PASSPORT = re.compile(r"^[A-Z0-9]{3,20}$")


def normalize_passport(value: object) -> str | None:
    """Upper-cased passport number without spaces or hyphens (ICAO numbers are A-Z0-9)."""
    text = clean(value)
    if text is None:
        return None
    compact = re.sub(r"[\s\-]", "", text).upper()
    if not _PASSPORT.match(compact):
        raise ValueError("passport number must be 3-20 letters or digits")
    return compact
