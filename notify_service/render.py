"""Message text per channel and language, fitted to the channel's limits.

SMS and chat carry masked personal data (initials, ``A12****89``); email goes to team
addresses and carries the full details. Every message carries the ack code and the
signed link. An SMS is shortened (free text first, then subjects) until it fits the
configured number of segments: 160/153 GSM-7 characters or 70/67 UCS-2 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from shared.pii import mask_name, mask_passport
from shared.schemas import AlertReason, AlertRouted, Category, Member, Severity

WITA = ZoneInfo("Asia/Makassar")
CHAT_LIMIT = 4096

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")

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
    "id": {"kecamatan": "Kecamatan", "kabupaten": "Kabupaten", "provinsi": "Provinsi"},
    "en": {"kecamatan": "District", "kabupaten": "Regency", "provinsi": "Province"},
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    segments: int
    encoding: str  # "GSM-7", "UCS-2" or "" for non-SMS channels


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def sms_segments(text: str) -> tuple[int, str]:
    """(segments, encoding) of ``text`` as one concatenated SMS."""
    if is_gsm7(text):
        septets = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return (1 if septets <= 160 else -(-septets // 153)), "GSM-7"
    units = len(text.encode("utf-16-le")) // 2
    return (1 if units <= 70 else -(-units // 67)), "UCS-2"


@cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # noqa: S701 - plain-text messages, never HTML
    )


def _place(alert: AlertRouted) -> str:
    loc = alert.report.location
    parts = [
        f"Kec. {loc.kecamatan_name}" if loc.kecamatan_name else None,
        loc.kabupaten_name.removeprefix("Kabupaten ") if loc.kabupaten_name else None,
    ]
    text = ", ".join(p for p in parts if p)
    return text or alert.jurisdiction_name or alert.jurisdiction_code


def _subjects_masked(alert: AlertRouted, limit: int) -> str:
    items = []
    for s in alert.report.subjects[:limit]:
        bits = [mask_name(s.full_name) or "?"]
        if s.nationality:
            bits.append(f"({s.nationality})")
        if s.passport_number:
            bits.append(f"paspor {mask_passport(s.passport_number)}")
        items.append(" ".join(bits))
    more = len(alert.report.subjects) - limit
    return "; ".join(items) + (f" +{more}" if more > 0 else "")


def _context(alert: AlertRouted, language: str, link: str) -> dict[str, object]:
    report = alert.report
    when = (report.occurred_at or report.received_at).astimezone(WITA)
    return {
        "severity": SEVERITY[language][alert.severity],
        "category": CATEGORY[language][alert.category],
        "count": report.subject_count
        or (len(report.subjects) if len(report.subjects) > 1 else None),
        "place": _place(alert),
        "place_name": report.location.place_name,
        "address": report.location.address,
        "code_path": report.location.most_precise_code() or alert.jurisdiction_code,
        "level_name": f"{LEVEL[language][alert.level.value]} {alert.jurisdiction_name or ''}",
        "team": alert.team_name or alert.jurisdiction_name or alert.team_id,
        "when": when.strftime("%d-%m-%Y %H:%M"),
        "escalated": alert.reason is AlertReason.escalation,
        "update": alert.reason is AlertReason.update,
        "occurrences": alert.occurrence_count,
        "code": alert.ack_code,
        "link": link,
        "source": report.source,
        "rules": ", ".join(alert.matched_rules),
        "report_id": report.report_id,
        "subjects_full": report.subjects,
        "text": report.text or "",
        "subjects": "",
    }


def _fit_sms(language: str, ctx: dict[str, object], text: str, max_segments: int) -> str:
    """Shorten free text, then subjects, until the SMS fits; code and link always stay."""
    template = _env().get_template(f"sms.{language}.j2")

    def build(**changes: object) -> str:
        return " ".join(template.render(**(ctx | changes)).split())

    message = build(text=text)
    for n in range(len(text), -1, -8):
        if sms_segments(message)[0] <= max_segments:
            return message
        message = build(text=(text[:n].rstrip() + "…") if n else "")
    if sms_segments(message)[0] > max_segments:
        message = build(text="", subjects="")
    return message


def render(
    alert: AlertRouted,
    member: Member,
    channel: str,
    *,
    link: str,
    language: str | None = None,
    max_sms_segments: int = 2,
) -> RenderedMessage:
    language = language if language in ("id", "en") else member.language
    ctx = _context(alert, language, link)
    subject = f"[TIMPORA {ctx['severity']}] {ctx['category']} — {ctx['place']} ({alert.ack_code})"
    if channel == "sms":
        ctx["subjects"] = _subjects_masked(alert, 2)
        text = _fit_sms(language, ctx, str(ctx["text"]), max_sms_segments)
        segments, encoding = sms_segments(text)
        return RenderedMessage(subject, text, segments, encoding)
    if channel == "email":
        return RenderedMessage(
            subject, _env().get_template(f"email.{language}.j2").render(**ctx), 0, ""
        )
    ctx["subjects"] = _subjects_masked(alert, 10)
    text = _env().get_template(f"chat.{language}.j2").render(**ctx)
    return RenderedMessage(subject, text[:CHAT_LIMIT], 0, "")
