"""The one-line notice that someone took or closed an alert (templates ``notice.*.j2``)."""

from __future__ import annotations

from notify_service.render.context import LEVEL
from notify_service.render.templates import render_template

LANGUAGES = ("id", "en")
NOBODY = {"id": "petugas", "en": "an officer"}  # a member without a role in the directory
OPERATOR = {"id": "operator", "en": "an operator"}  # an ack without a member (console, API)


def place_name(level: str | None, place: str | None, language: str) -> str:
    """'Kecamatan Satui'; official regency names already carry 'Kabupaten'/'Kota'."""
    if not place:
        return ""
    if level not in LEVEL[language] or place.lower().startswith(("kabupaten", "kota")):
        return place
    return f"{LEVEL[language][level]} {place}"


def notice_text(
    *,
    action: str,
    code: str,
    role: str | None,
    level: str | None,
    place: str | None,
    is_member: bool,
    language: str = "id",
) -> str:
    """'[TIMPORA] Diterima oleh Camat Kecamatan Satui: 7KQ2M' (or 'Diselesaikan oleh')."""
    language = language if language in LANGUAGES else "id"
    if not is_member:
        who = OPERATOR[language]
    else:
        who = " ".join(
            p for p in (role or NOBODY[language], place_name(level, place, language)) if p
        )
    ctx = {"close": action == "close", "who": who, "code": code}
    return " ".join(render_template("notice", language, ctx).split())


def step_up_text(*, code: str, ack_code: str, minutes: int, language: str = "id") -> str:
    """'[TIMPORA] Kode 483920 untuk melihat data lengkap peringatan 7KQ2M. ...'"""
    language = language if language in LANGUAGES else "id"
    ctx = {"code": code, "ack_code": ack_code, "minutes": minutes}
    return " ".join(render_template("step_up", language, ctx).split())
