"""Report category and severity: keyword classification, defaults and the overstay rule.

:func:`classify` reads a text the way members write it, in four readable steps over data
tables (no model):

1. fold it (lower case, no accents, punctuation as spaces) and spell out SMS shorthand
   (:data:`SHORTHAND`: "sdh" → sudah, "tdk" → tidak, "krj" → kerja, "nginep" → menginap);
2. rewrite set phrases whose words mislead (:data:`SET_PHRASES`): "tidak punya paspor"
   is "tanpa paspor", "tidak sesuai izin" a misuse, "tidak berlaku lagi" expired;
3. drop what the text denies (:data:`NEGATION`): "tidak bekerja, hanya liburan", "bukan
   pekerja", "izin tinggal belum habis" say nothing of work or overstay;
4. the first category of :data:`CATEGORY_PHRASES` (most serious first) with a phrase in
   what is left.

How people name foreigners is part of the tables: a worker ("TKA", "tenaga kerja asing",
"pekerja asing", "buruh") is reported for suspected work without a permit, so it means
illegal work unless something graver is said; "WNA", "orang asing", "bule", "turis",
"ekspatriat" or a nationality ("orang Cina", "warga Korea") say nothing of the category
(a report that only names them is a presence report, the callers' default).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from ingest_service.normalize.dates import get_tz
from ingest_service.normalize.text import fold
from shared.schemas import Category, Report, Severity

# SMS and chat shorthand → the word it stands for (whole folded words only).
# fmt: off
SHORTHAND: dict[str, str] = {
    "sdh": "sudah", "sudh": "sudah", "udh": "sudah", "udah": "sudah", "dah": "sudah",
    "tdk": "tidak", "tdak": "tidak", "tak": "tidak", "gak": "tidak", "ga": "tidak",
    "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak", "ndak": "tidak",
    "blm": "belum", "blum": "belum", "bkn": "bukan", "krj": "kerja", "kerja2": "kerja",
    "bkrj": "bekerja", "bekerja2": "bekerja", "ijin": "izin", "ijinnya": "izinnya",
    "nginap": "menginap", "nginep": "menginap", "menginep": "menginap", "yg": "yang",
    "dgn": "dengan", "utk": "untuk", "org": "orang", "jln": "jalan", "kadaluarsa":
    "kedaluwarsa", "kadaluwarsa": "kedaluwarsa", "kedaluarsa": "kedaluwarsa",
    "daluwarsa": "kedaluwarsa", "ovrstay": "overstay", "overstey": "overstay",
    "mencurigkan": "mencurigakan", "mencurigakn": "mencurigakan", "narkotik": "narkotika",
    "shabu": "sabu",
}
# fmt: on

# Phrases whose words would mislead step 3 or 4, rewritten to what they mean.
SET_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (  # "tidak punya paspor", "tdk ada izin kerja", "belum memiliki KITAS": without
        re.compile(
            r"\b(?:tidak|belum) (?:punya|memiliki|mempunyai|ada|membawa|bawa|pegang|"
            r"mengantongi|dilengkapi)(?= (?:surat |dokumen )?(?:izin|paspor|dokumen|visa|"
            r"kitas|kitap|itas|itap|itk|imta|rptka|identitas)\b)"
        ),
        "tanpa",
    ),
    (re.compile(r"\btidak sesuai\b"), "menyalahi"),  # "kegiatan tidak sesuai izin"
    (re.compile(r"\btidak berlaku(?: lagi)?\b"), "habis"),  # "izin tidak berlaku lagi"
    (re.compile(r"\btidak jelas\b"), "mencurigakan"),  # "kegiatannya tidak jelas"
    (re.compile(r"\bdokumen kerja\b"), "izin kerja"),  # "tanpa dokumen kerja": no permit
)

# A denial and what it denies: the next word, after fillers ("tidak ada yang curiga").
NEGATION = re.compile(
    r"\b(?:tidak|bukan|belum|not)(?: (?:sedang|lagi|pernah|ada|yang|terlihat|tampak|"
    r"ikut|juga|untuk))* \w+"
)

# Ordered: the first matching category wins, most serious first. Phrases are regular
# expressions over the folded text; Indonesian affixes are covered by loose stems.
_VISIT_PERMIT = r"(?:visa|izin) (?:turis|kunjungan|wisata|liburan|on arrival|voa|tinggal kunjungan)"
_PERMIT = r"(?:izin|visa|kitas|kitap|itas|itap|itk)(?: ?nya)?"
_EXPIRED = r"(?:habis|mati|kedaluwarsa|berakhir|expired|lewat)"
_JOB = (
    r"(?:karyawan|operator|mandor|buruh|kuli|tukang|teknisi|tenaga|konsultan|pelatih|"
    r"instruktur|pengajar|guru|koki|pelayan|kasir|sopir|supir)"
)
# fmt: off
CATEGORY_PHRASES: tuple[tuple[Category, tuple[str, ...]], ...] = (
    (Category.human_trafficking, (
        r"perdagangan (?:orang|manusia)", r"\btppo\b", r"traffick", r"perbudakan",
        r"eksploitasi", r"forced labou?r", r"kerja paksa",
        r"dipaksa (?:\w+ )?(?:kerja|bekerja|jadi|menjadi|melayani)",
        r"\bdijual (?:ke|kepada|sebagai)\b", r"diperjualbelikan", r"diperdagangkan",
        r"\bpsk\b", r"pekerja seks", r"prostitu", r"pelacuran",
    )),
    (Category.narcotics, (
        r"narkob", r"narkotik", r"\bsabu", r"\bnyabu", r"\bganja", r"\bheroin", r"\bkokain",
        r"cocaine", r"ekstasi", r"ecstasy", r"\binex\b", r"methamphetamine", r"psikotropika",
        r"obat terlarang", r"\bdrugs?\b", r"\bnarcotic",
    )),
    (Category.illegal_entry, (
        r"imigran (?:gelap|ilegal|illegal)", r"pendatang (?:gelap|ilegal|illegal)",
        r"masuk (?:secara )?tanpa", r"masuk (?:\w+ ){0,3}(?:secara )?(?:ilegal|illegal|gelap)",
        r"jal(?:ur|an) (?:tikus|ilegal|illegal|gelap)",
        r"penyelundupan (?:manusia|orang|migran)", r"diselundupkan", r"people smuggl",
        r"illegal (?:entry|immigra)", r"tanpa (?:dokumen|paspor)", r"undocumented",
        r"perlintasan (?:batas )?ilegal", r"mendarat (?:secara )?(?:ilegal|gelap|tanpa)",
    )),
    (Category.permit_misuse, (
        r"penyalahgunaan (?:izin|visa)", r"menyalahgunakan", r"disalahgunakan", r"salah guna",
        r"permit misuse", r"visa abuse",
        r"misuse of (?:permit|visa)", r"menyalahi (?:\w+ ){0,2}(?:izin|visa|kitas|peruntukan)",
        _PERMIT + r" (?:\w+ ){0,2}menyalahi",
        _VISIT_PERMIT + r"\b.{0,40}\b(?:be|pe|di)?kerja",
        r"\b(?:be|di)?kerja\b.{0,40}\b" + _VISIT_PERMIT,
    )),
    (Category.illegal_work, (
        r"\b(?:be|pe|di)?kerja(?:kan|an)?\b", r"\bdipekerjakan\b", r"\btambang\b",
        r"\bpertambangan\b", r"\b(?:me|pe)?nambang\b", r"\btka\b", r"\bburuh\b",
        r"\b(?:jadi|menjadi|sebagai) " + _JOB + r"\b", r"\bkaryawan (?:di|perusahaan|pt)\b",
        r"\bmandor\b", r"\b(?:ber)?jualan\b", r"\bberdagang\b",
        r"\b(?:buka|membuka) (?:usaha|toko|warung|bisnis)\b", r"\b(?:imta|rptka)\b",
        r"\bwork(?:s|ing|ers?)?\b", r"\bemploy", r"\bmining\b", r"\bmine\b",
    )),
    (Category.overstay, (
        r"over ?stay",
        _PERMIT + r"(?: tinggal(?:nya)?)? (?:sudah |telah )?" + _EXPIRED,
        r"(?:melebihi|melewati|lewat) (?:batas )?(?:izin|waktu|masa)",
        r"(?:lewat|melewati|lewati) (?:masa )?berlaku",
        r"expired (?:visa|permit)", r"(?:visa|permit) (?:has )?expired",
    )),
    (Category.suspicious_activity, (
        r"mencurigakan", r"curiga", r"suspicious", r"gerak gerik", r"\baneh\b",
        r"mondar mandir", r"ob[jy]ek vital", r"meresahkan", r"\bonar\b", r"keributan",
        r"berkelahi", r"\bmabuk",
    )),
    (Category.presence, (
        r"keberadaan", r"kedatangan", r"menginap", r"\btinggal\b", r"\b(?:nge)?kos\b",
        r"\b(?:me)?(?:ng)?kontrak (?:rumah|kamar)", r"\b(?:me)?nyewa (?:rumah|kamar)",
        r"\bsewa (?:rumah|kamar)", r"berkunjung", r"\bdatang\b", r"\btiba\b",
        r"jalan jalan", r"libur", r"presence", r"arrival", r"\bstay",
    )),
)
# fmt: on
_CATEGORY_PATTERNS = [(c, re.compile("|".join(p))) for c, p in CATEGORY_PHRASES]


def _readable(text: str) -> str:
    """Steps 1–3: folded, shorthand spelt out, set phrases rewritten, denials dropped."""
    words = fold(text).split()
    folded = " " + " ".join(SHORTHAND.get(w, w) for w in words) + " "
    for pattern, meaning in SET_PHRASES:
        folded = pattern.sub(meaning, folded)
    return NEGATION.sub(" ", folded)


def classify(text: str) -> Category | None:
    """The report category suggested by words in Indonesian or English, or ``None``."""
    readable = _readable(text)
    for category, pattern in _CATEGORY_PATTERNS:
        if pattern.search(readable):
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
