"""Pure normalisation helpers shared by every ingest parser.

Upstream systems in Indonesia write the same fact many ways: "Tiongkok", "RRT" and
"China" are one nationality; "0812-3456-7890" and "+62 812 3456 7890" are one phone;
"12 Januari 2026 pukul 14.30 WITA" and "2026-01-12T06:30:00Z" are one instant. These
functions turn such values into the canonical forms of :mod:`shared.schemas` (ISO alpha-3,
E.164, aware UTC datetimes, :class:`PermitType`). They never do I/O and never log, because
their inputs are personal data.

Functions that parse a value return ``None`` for an empty/placeholder value ("", "-",
"n/a") and raise :class:`ValueError` with an English message when a value is present but
unreadable, so structured parsers can reject with a precise reason while tolerant parsers
(SMS, chat) can simply skip the value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
import pycountry

from shared.schemas import Category, PermitType, Report, Severity

__all__ = [
    "DEFAULT_SEVERITY",
    "apply_overstay_rule",
    "bump_severity",
    "classify",
    "clean",
    "from_epoch",
    "get_tz",
    "is_blank",
    "nationality_to_alpha3",
    "normalize_passport",
    "parse_date",
    "parse_datetime",
    "parse_permit_type",
    "parse_sex",
    "to_e164",
]

_BLANKS = frozenset({"", "-", "--", "n/a", "na", "null", "none", "tidak ada data", "?"})


def clean(value: object) -> str | None:
    """Stripped text of a scalar value, or ``None`` for blanks and non-scalars.

    Why: JSON/CSV inputs put numbers, ``null`` and placeholders where text belongs.
    """
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return None if text.lower() in _BLANKS else text


def is_blank(value: object) -> bool:
    return clean(value) is None


def _fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced text for table look-ups."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\s_\-./,()]+", " ", text.lower())
    return text.strip()


# --------------------------------------------------------------------------- nationality

# Indonesian (and common English/adjective) names people actually write. Keys are folded.
# fmt: off
_NATIONALITY_ALIASES: dict[str, str] = {
    # China
    "tiongkok": "CHN", "china": "CHN", "cina": "CHN", "chna": "CHN", "rrt": "CHN",
    "rrc": "CHN", "republik rakyat tiongkok": "CHN", "republik rakyat china": "CHN",
    "prc": "CHN", "chinese": "CHN", "tionghoa": "CHN",
    # Koreas ("Korea" alone means the South in practice)
    "korea": "KOR", "korea selatan": "KOR", "korsel": "KOR", "south korea": "KOR",
    "korean": "KOR", "republic of korea": "KOR",
    "korea utara": "PRK", "korut": "PRK", "north korea": "PRK",
    # Americas
    "amerika serikat": "USA", "amerika": "USA", "as": "USA", "usa": "USA", "us": "USA",
    "united states": "USA", "american": "USA", "kanada": "CAN", "canadian": "CAN",
    "meksiko": "MEX", "brasil": "BRA", "brazil": "BRA", "kolombia": "COL", "chili": "CHL",
    # Europe
    "belanda": "NLD", "netherlands": "NLD", "holland": "NLD", "dutch": "NLD",
    "inggris": "GBR", "britania raya": "GBR", "uk": "GBR", "united kingdom": "GBR",
    "british": "GBR", "jerman": "DEU", "german": "DEU", "germany": "DEU",
    "perancis": "FRA", "prancis": "FRA", "french": "FRA", "rusia": "RUS", "russia": "RUS",
    "russian": "RUS", "italia": "ITA", "italian": "ITA", "spanyol": "ESP", "spanish": "ESP",
    "swiss": "CHE", "swedia": "SWE", "norwegia": "NOR", "denmark": "DNK", "finlandia": "FIN",
    "polandia": "POL", "ukraina": "UKR", "yunani": "GRC", "belgia": "BEL", "irlandia": "IRL",
    "austria": "AUT", "portugal": "PRT", "ceko": "CZE", "turki": "TUR", "turkey": "TUR",
    # Asia and Oceania
    "jepang": "JPN", "japan": "JPN", "japanese": "JPN", "malaysia": "MYS",
    "malaysian": "MYS", "filipina": "PHL", "philippines": "PHL", "filipino": "PHL",
    "vietnam": "VNM", "viet nam": "VNM", "vietnamese": "VNM", "india": "IND",
    "indian": "IND", "bangladesh": "BGD", "bangladeshi": "BGD", "pakistan": "PAK",
    "thailand": "THA", "thai": "THA", "singapura": "SGP", "singapore": "SGP",
    "timor leste": "TLS", "timor timur": "TLS", "myanmar": "MMR", "burma": "MMR",
    "kamboja": "KHM", "cambodia": "KHM", "laos": "LAO", "taiwan": "TWN", "hongkong": "HKG",
    "hong kong": "HKG", "brunei": "BRN", "brunei darussalam": "BRN", "sri lanka": "LKA",
    "nepal": "NPL", "afganistan": "AFG", "afghanistan": "AFG", "iran": "IRN", "irak": "IRQ",
    "arab saudi": "SAU", "saudi arabia": "SAU", "saudi": "SAU", "uni emirat arab": "ARE",
    "uea": "ARE", "yaman": "YEM", "yordania": "JOR", "suriah": "SYR", "mongolia": "MNG",
    "uzbekistan": "UZB", "kazakhstan": "KAZ", "australia": "AUS", "australian": "AUS",
    "selandia baru": "NZL", "new zealand": "NZL", "papua nugini": "PNG", "png": "PNG",
    # Africa
    "nigeria": "NGA", "nigerian": "NGA", "ghana": "GHA", "kamerun": "CMR", "mesir": "EGY",
    "afrika selatan": "ZAF", "maroko": "MAR", "aljazair": "DZA", "somalia": "SOM",
    "sudan": "SDN", "pantai gading": "CIV", "senegal": "SEN", "kenya": "KEN",
    # Home
    "indonesia": "IDN", "wni": "IDN",
}
# fmt: on

# Names unambiguous enough to recognise inside free text without a marker ("WN", "asal").
# Excludes words that are also ordinary Indonesian words or too short ("as", "us", "chili").
TEXT_NATIONALITY_NAMES: frozenset[str] = frozenset(
    key
    for key in _NATIONALITY_ALIASES
    if len(key) > 3 and key not in {"chili", "swiss", "thai", "saudi", "indonesia", "wni"}
) | {"rrt", "rrc"}

_NATIONALITY_PREFIX = re.compile(
    r"^(?:wna|wni|wn|warga negara|warganegara|kewarganegaraan|negara|asal|bangsa)\s+"
)


@lru_cache(maxsize=4096)
def nationality_to_alpha3(text: str, *, allow_codes: bool = True) -> str | None:
    """ISO 3166-1 alpha-3 for a nationality written in Indonesian or English.

    Accepts alpha-2/alpha-3 codes (unless ``allow_codes`` is false: free text is full of
    two-letter words such as "PT" or "di"), the alias table, then pycountry's names.
    Returns ``None`` when nothing matches; the caller decides whether that is an error.
    """
    folded = _fold(text)
    folded = _NATIONALITY_PREFIX.sub("", folded)
    if not folded:
        return None
    if folded in _NATIONALITY_ALIASES:
        if allow_codes or folded in TEXT_NATIONALITY_NAMES:
            return _NATIONALITY_ALIASES[folded]
        return None
    compact = folded.replace(" ", "")
    if allow_codes and compact.isalpha() and len(compact) in (2, 3):
        country = (
            pycountry.countries.get(alpha_2=compact.upper())
            if len(compact) == 2
            else pycountry.countries.get(alpha_3=compact.upper())
        )
        if country is not None:
            return str(country.alpha_3)
    if len(folded) > 3:
        try:
            country = pycountry.countries.lookup(folded)
        except LookupError:
            return None
        return str(country.alpha_3)
    return None


# --------------------------------------------------------------------------- phone


@lru_cache(maxsize=8192)
def to_e164(text: str, *, international: bool = False) -> str | None:
    """E.164 form of a phone number, Indonesian numbering assumed; ``None`` if impossible.

    ``international`` says the number is always given with its country code but without
    "+" (WhatsApp's ``wa_id``/``from``). Kannel and forms give "+62...", "62...", "0812..."
    or even "812..." (trunk prefix dropped), all of which are Indonesian mobiles.
    """
    raw = re.sub(r"[\s\-.()/]", "", text.strip())
    if not raw:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+620"):  # "+62 0812..." is a common way to write it
        raw = "+62" + raw[4:]
    if raw.isdigit():
        if international or (raw.startswith("62") and len(raw) >= 10):
            raw = "+" + raw
        elif raw.startswith("8") and 9 <= len(raw) <= 12:
            raw = "+62" + raw
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if len(e164) <= 16 else None


# --------------------------------------------------------------------------- time zones

_FIXED_ZONES: dict[str, tzinfo] = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
}
# Indonesia has no daylight saving, so fixed offsets are exact when tzdata is missing.
_IANA_FALLBACK = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
    "UTC": "UTC",
    "Etc/UTC": "UTC",
}


@lru_cache(maxsize=64)
def get_tz(name: str) -> tzinfo:
    """A tzinfo for "WIB"/"WITA"/"WIT"/"UTC" or an IANA name; raises ValueError if unknown."""
    key = name.strip()
    if key.upper() in _FIXED_ZONES:
        return _FIXED_ZONES[key.upper()]
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if key in _IANA_FALLBACK:
            return _FIXED_ZONES[_IANA_FALLBACK[key]]
        raise ValueError(f"unknown time zone {key!r}") from exc


# --------------------------------------------------------------------------- dates

# fmt: off
_MONTHS: dict[str, int] = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "february": 2, "feb": 2, "peb": 2,
    "maret": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "agustus": 8, "august": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}
# fmt: on
_WEEKDAY = re.compile(
    r"^(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\b[,\s]*",
    re.IGNORECASE,
)
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_D_MON_Y = re.compile(r"^(\d{1,2})[\s\-/]+([A-Za-z]+)\.?[\s\-/,]+(\d{4})$")
_MON_D_Y = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _make_date(year: int, month: int, day: int) -> date:
    if not 1900 <= year <= 2200:
        raise ValueError(f"year {year} is out of range")
    return date(year, month, day)  # raises ValueError for 31/02 etc.


def parse_date(value: object) -> date | None:
    """A calendar date from ISO, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy or "12 Januari 2026".

    Indonesian forms are always day-first; two-digit years are refused because a date of
    birth "01/02/03" cannot be read safely.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    if text is None:
        return None
    text = _WEEKDAY.sub("", text).strip()
    if "T" in text and _YMD.match(text.split("T", 1)[0]):
        text = text.split("T", 1)[0]
    try:
        if m := _YMD.match(text) or _COMPACT.match(text):
            return _make_date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            return _make_date(int(m[3]), int(m[2]), int(m[1]))
        if (m := _D_MON_Y.match(text)) and m[2].lower() in _MONTHS:
            return _make_date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
        if (m := _MON_D_Y.match(text)) and m[1].lower() in _MONTHS:
            return _make_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    except ValueError as exc:
        raise ValueError(f"not a valid date: {exc}") from None
    raise ValueError("unreadable date; use YYYY-MM-DD, DD/MM/YYYY or '12 Januari 2026'")


_TZ_SUFFIX = re.compile(
    r"\s*(?:(WIB|WITA|WIT|UTC|GMT|Z)"
    r"|(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?)\s*$",
    re.IGNORECASE,
)
_TIME_SUFFIX = re.compile(
    r"(?:[T\s,]+|^)(?:pukul|pkl\.?|jam|at)?\s*(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?$",
    re.IGNORECASE,
)


def _split_tz(text: str) -> tuple[str, tzinfo | None]:
    m = _TZ_SUFFIX.search(text)
    if not m or m.start() == 0:
        return text, None
    head = text[: m.start()]
    if m[1]:
        return head, _FIXED_ZONES[m[1].upper()]
    # A bare "-07" could be the end of a date ("2026-01-07"); require a time before it.
    if not re.search(r"\d[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?$", head.rstrip()):
        return text, None
    sign = 1 if m[2] == "+" else -1
    hours, minutes = int(m[3]), int(m[4] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError("UTC offset out of range")
    return head, timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(value: object, default_tz: str | tzinfo = "Asia/Makassar") -> datetime | None:
    """An aware UTC datetime from ISO 8601, Indonesian forms with WIB/WITA/WIT, or naive.

    Naive values are read in ``default_tz`` (the source's zone; South Kalimantan is WITA),
    because upstream forms rarely say which zone they mean. A date alone means midnight.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        text = clean(value)
        if text is None:
            return None
        dt = _parse_datetime_text(text)
    if dt.tzinfo is None:
        tz = get_tz(default_tz) if isinstance(default_tz, str) else default_tz
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


def _parse_datetime_text(text: str) -> datetime:
    if len(text) > 64:
        raise ValueError("datetime text is too long")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    body, tz = _split_tz(text.strip())
    body = _WEEKDAY.sub("", body.strip()).strip()
    clock = time(0, 0)
    if m := _TIME_SUFFIX.search(body):
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
        if hour > 24 or minute > 59 or second > 60:
            raise ValueError("not a valid time of day")
        body = body[: m.start()].strip()
        add_day = hour == 24
        clock = time(0 if add_day else hour, minute, min(second, 59))
    else:
        add_day = False
    day = parse_date(body)
    if day is None:
        raise ValueError("datetime has no date")
    dt = datetime.combine(day, clock, tzinfo=tz)
    return dt + timedelta(days=1) if add_day else dt


def from_epoch(value: object) -> datetime | None:
    """An aware UTC datetime from Unix seconds (Telegram ``date``, WhatsApp ``timestamp``).

    Milliseconds are accepted too (13 digits), since some gateways send them.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError("timestamp is not a number") from None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    if not 0 < seconds < 7.3e9:  # before year 2200
        raise ValueError("timestamp is out of range")
    return datetime.fromtimestamp(seconds, UTC)


# --------------------------------------------------------------------------- permits, sex, passport

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
    return _PERMITS.get(_fold(text), PermitType.unknown)


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
    sex = _SEX.get(_fold(text))
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


# --------------------------------------------------------------------------- categories

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
    folded = " " + _fold(text) + " "
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
