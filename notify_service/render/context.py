"""The words of a message (severity, category, level, local time zone) and the context every
template renders from."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from shared.pii import mask_name, mask_passport
from shared.schemas import AlertReason, AlertRouted, Category, Severity, Subject

SEVERITY = {
    "id": {
        Severity.info: "Info",
        Severity.low: "Rendah",
        Severity.medium: "Sedang",
        Severity.high: "Tinggi",
        Severity.critical: "KRITIS",
    },
    "en": {s: s.value.upper() if s is Severity.critical else s.value.title() for s in Severity},
}
# The SMS headline: "WASPADA" (be on guard) before a medium or high severity, unless the
# message already leads with ESKALASI or RINGKASAN.
HEADLINE = {
    "id": SEVERITY["id"] | {Severity.medium: "WASPADA Sedang", Severity.high: "WASPADA Tinggi"},
    "en": SEVERITY["en"],
}
PLAIN_HEADLINE = frozenset({AlertReason.escalation, AlertReason.digest})
# The source withdrew the report (CAP Cancel): the alert is closed, nobody needs to act.
CANCELLED = {"id": "DIBATALKAN", "en": "CANCELLED"}
CATEGORY = {
    "id": {
        Category.presence: "Keberadaan WNA",
        Category.overstay: "WNA overstay",
        Category.permit_misuse: "Penyalahgunaan izin tinggal",
        Category.illegal_work: "WNA bekerja tanpa izin",
        Category.illegal_entry: "Masuk ilegal",
        Category.human_trafficking: "Dugaan perdagangan orang",
        Category.narcotics: "Narkotika",
        Category.suspicious_activity: "Kegiatan mencurigakan",
        Category.other: "Laporan lain",
    },
    "en": {c: c.value.replace("_", " ").capitalize() for c in Category},
}
LEVEL = {
    "id": {"desa": "Desa", "kecamatan": "Kecamatan", "kabupaten": "Kabupaten"}
    | {"provinsi": "Provinsi"},
    "en": {"desa": "Village", "kecamatan": "District", "kabupaten": "Regency"}
    | {"provinsi": "Province"},
}
# A delivery sent once more because the process sending it stopped (it may arrive twice).
REPEAT_MARK = {"id": "[ULANG]", "en": "[ULANG] (repeat)"}
SMS_STRINGS = ("headline", "category", "place_sms", "code", "link")  # what sms.*.j2 shows

# Indonesia's three zones by Kemendagri province code (first two digits).
WIB = (ZoneInfo("Asia/Jakarta"), "WIB")
WITA = (ZoneInfo("Asia/Makassar"), "WITA")
WIT = (ZoneInfo("Asia/Jayapura"), "WIT")
WIB_PROVINCES = frozenset({"61", "62"})  # West and Central Kalimantan
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65"})


def local_zone(code: str | None) -> tuple[ZoneInfo, str]:
    """The zone people in jurisdiction ``code`` read their clocks in (WITA by default)."""
    province = (code or "")[:2]
    if not province.isdigit():
        return WITA
    if province in WIB_PROVINCES or province[0] in "123":
        return WIB
    if province in WITA_PROVINCES or province[0] == "7":
        return WITA
    if province[0] in "89":
        return WIT
    return WITA


def _strip_prefix(name: str, *prefixes: str) -> str:
    for prefix in prefixes:
        if name.lower().startswith(prefix.lower()):
            return name[len(prefix) :].strip()
    return name.strip()


def _names(alert: AlertRouted) -> tuple[str | None, str | None]:
    loc = alert.report.location
    kec = _strip_prefix(loc.kecamatan_name or "", "Kecamatan ", "Kec. ", "Kec ") or None
    kab = _strip_prefix(loc.kabupaten_name or "", "Kabupaten ", "Kab. ", "Kab ") or None
    return kec, kab


def _fallback_place(alert: AlertRouted) -> str:
    loc = alert.report.location
    return alert.jurisdiction_name or loc.provinsi_name or alert.jurisdiction_code


def _place(alert: AlertRouted) -> str:
    """``Kec. Satui, Tanah Bumbu`` (chat, email), or the most precise name there is."""
    kec, kab = _names(alert)
    parts = [f"Kec. {kec}" if kec else None, kab]
    return ", ".join(p for p in parts if p) or _fallback_place(alert)


def _placefit_sms(alert: AlertRouted) -> str:
    """``Kec. Satui (Tanah Bumbu)``; a regency alone reads ``Kab. Tanah Bumbu``."""
    kec, kab = _names(alert)
    if kec:
        return f"Kec. {kec}" + (f" ({kab})" if kab else "")
    if kab:
        return kab if kab.lower().startswith("kota ") else f"Kab. {kab}"
    return _fallback_place(alert)


def subject_masked(s: Subject) -> str:
    """``Z. W. M. (CHN) paspor E12****89`` (the document's own word, in every language)."""
    bits = [mask_name(s.full_name) or "?"]
    if s.nationality:
        bits.append(f"({s.nationality})")
    if s.passport_number:
        bits.append(f"paspor {mask_passport(s.passport_number)}")
    return " ".join(bits)


def _count(alert: AlertRouted) -> int | None:
    report = alert.report
    return report.subject_count or (len(report.subjects) if len(report.subjects) > 1 else None)


def _level_name(alert: AlertRouted, language: str) -> str:
    """'Kecamatan Satui', 'Kabupaten Tanah Bumbu' (official kabupaten names carry the word)."""
    level = LEVEL[language][alert.level.value]
    name = alert.jurisdiction_name or alert.jurisdiction_code
    return name if name.lower().startswith(("kabupaten", "kota")) else f"{level} {name}"


def template_context(alert: AlertRouted, language: str, link: str) -> dict[str, Any]:
    """Everything the templates may show (masked and clear values both; each template
    picks what its channel may carry)."""
    report, loc = alert.report, alert.report.location
    zone, zone_label = local_zone(loc.most_precise_code() or alert.jurisdiction_code)
    when = (report.occurred_at or report.received_at).astimezone(zone)
    plain = alert.reason in PLAIN_HEADLINE
    cancelled = alert.reason is AlertReason.cancelled
    return {
        "severity": SEVERITY[language][alert.severity],
        "headline": CANCELLED[language]
        if cancelled
        else (SEVERITY if plain else HEADLINE)[language][alert.severity],
        "category": CATEGORY[language][alert.category],
        "count": _count(alert),
        "place": _place(alert),
        "place_sms": _placefit_sms(alert),
        "desa": loc.desa_name,
        "place_name": loc.place_name,
        "address": loc.address,
        "coordinates": (
            f"{loc.latitude:.5f}, {loc.longitude:.5f}"
            if loc.latitude is not None and loc.longitude is not None
            else None
        ),
        "code_path": loc.most_precise_code() or alert.jurisdiction_code,
        "level_name": _level_name(alert, language),
        "team": alert.team_name or alert.jurisdiction_name or alert.team_id,
        "when": f"{when:%d-%m-%Y %H:%M} {zone_label}",
        "escalated": alert.reason is AlertReason.escalation,
        "reassigned": alert.reason is AlertReason.reassigned,
        "update": alert.reason is AlertReason.update,
        "digest": alert.reason is AlertReason.digest,
        "cancelled": cancelled,
        "occurrences": alert.occurrence_count,
        "fallback": alert.fallback.office if alert.fallback else None,
        "fallback_code": alert.fallback.unserved_code if alert.fallback else None,
        "held": alert.fallback.outside_home_area if alert.fallback else None,
        "code": alert.ack_code,
        "link": link,
        "repeat": False,
        "group": False,  # a team's group: no personal link, press the button
        "repeat_mark": REPEAT_MARK[language],
        "source": report.source,
        "rules": ", ".join(alert.matched_rules),
        "report_id": report.report_id,
        "alert_id": alert.alert_id,
        "version": alert.version,
        "subjects_full": report.subjects,
        "reporter": report.reporter,
        "lodging": report.lodging,
        "attachments": report.attachments,
        "text": report.text or "",
        "subjects": [],
        "more": 0,
    }
