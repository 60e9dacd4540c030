"""Report category and severity: keyword classification, defaults and the overstay rule."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from ingest_service.normalize.dates import get_tz
from ingest_service.normalize.text import fold
from shared.schemas import Category, Report, Severity

# Ordered: the first matching category wins, most serious first. Patterns run on folded
# (lower-case, accent-free) text; Indonesian affixes are covered by loose stems.
_CATEGORY_PATTERNS: list[tuple[Category, re.Pattern[str]]] = [
    (
        Category.human_trafficking,
        re.compile(
            r"perdagangan (?:orang|manusia)|\btppo\b|traffick|perbudakan|"
            r"eksploitasi seksual|forced labou?r|kerja paksa"
        ),
    ),
    (
        Category.narcotics,
        re.compile(
            r"narkob|narkotik|\bsabu|\bshabu|\bganja|\bheroin|\bkokain|cocaine|ekstasi|ecstasy|"
            r"methamphetamine|psikotropika|obat terlarang|\bdrugs?\b|\bnarcotic"
        ),
    ),
    (
        Category.illegal_entry,
        re.compile(
            r"imigran (?:gelap|ilegal|illegal)|pendatang (?:gelap|ilegal|illegal)|"
            r"masuk (?:secara )?(?:ilegal|illegal|tanpa)|penyelundupan (?:manusia|orang|migran)|"
            r"people smuggl|illegal (?:entry|immigra)|tanpa (?:dokumen|paspor)|undocumented|"
            r"perlintasan (?:batas )?ilegal"
        ),
    ),
    (
        Category.permit_misuse,
        re.compile(
            r"penyalahgunaan (?:izin|ijin|visa)|menyalahgunakan|permit misuse|visa abuse|"
            r"misuse of (?:permit|visa)|tidak sesuai (?:izin|ijin|visa)"
        ),
    ),
    (
        Category.illegal_work,
        re.compile(
            r"\b(?:be|pe|di)?kerja(?:kan|an)?\b|\bdipekerjakan\b|\btambang\b|\bpertambangan\b|"
            r"\btka\b|\bburuh\b|\bwork(?:s|ing|ers?)?\b|\bemploy|\bmining\b|\bmine\b|"
            r"tanpa (?:izin|ijin) kerja"
        ),
    ),
    (
        Category.overstay,
        re.compile(
            r"over ?stay|izin (?:tinggal )?(?:sudah |telah )?(?:habis|kedaluwarsa|kadaluarsa|"
            r"kadaluwarsa|kedaluarsa|mati|berakhir)|ijin (?:tinggal )?(?:sudah )?(?:habis|mati)|"
            r"melebihi (?:batas )?(?:izin|ijin|waktu|masa)|visa (?:sudah |telah )?"
            r"(?:habis|mati|expired)|expired (?:visa|permit)|(?:visa|permit) (?:has )?expired"
        ),
    ),
    (
        Category.suspicious_activity,
        re.compile(r"mencurigakan|\bcuriga|suspicious|gerak gerik"),
    ),
    (
        Category.presence,
        re.compile(r"keberadaan|kedatangan|menginap|\btinggal\b|presence|arrival|\bstay"),
    ),
]


def classify(text: str) -> Category | None:
    """The report category suggested by keywords in Indonesian or English, or ``None``."""
    folded = " " + fold(text) + " "
    for category, pattern in _CATEGORY_PATTERNS:
        if pattern.search(folded):
            return category
    return None


DEFAULT_SEVERITY: dict[Category, Severity] = {
    Category.presence: Severity.info,
    Category.overstay: Severity.medium,
    Category.permit_misuse: Severity.medium,
    Category.illegal_work: Severity.medium,
    Category.illegal_entry: Severity.high,
    Category.human_trafficking: Severity.critical,
    Category.narcotics: Severity.high,
    Category.suspicious_activity: Severity.low,
    Category.other: Severity.info,
}


def bump_severity(severity: Severity, steps: int = 1) -> Severity:
    """``severity`` raised by ``steps`` levels, capped at critical."""
    order = list(Severity)
    return order[min(severity.rank + steps, len(order) - 1)]


def _presence_time(report: Report) -> datetime:
    """When the subject was last known present: what a permit expiry is compared with.

    A lodging guest still checked in is present now (received_at); one who checked out
    was present until check-out; other reports speak of when they occurred.
    """
    if report.lodging is not None and report.lodging.check_in is not None:
        if report.lodging.check_out is not None:
            return min(report.lodging.check_out, report.received_at)
        return report.received_at
    return report.occurred_at or report.received_at


def apply_overstay_rule(report: Report, tz: str | tzinfo = "Asia/Makassar") -> Report:
    """A presence report whose subject's permit expired before the report time → overstay.

    The expiry date is the last valid day, compared in the source's local zone.
    """
    if report.category is not Category.presence:
        return report
    zone = get_tz(tz) if isinstance(tz, str) else tz
    ref_day = _presence_time(report).astimezone(zone).date()
    if any(s.permit_expiry is not None and s.permit_expiry < ref_day for s in report.subjects):
        severity = max(report.severity, DEFAULT_SEVERITY[Category.overstay], key=lambda s: s.rank)
        return report.model_copy(update={"category": Category.overstay, "severity": severity})
    return report
