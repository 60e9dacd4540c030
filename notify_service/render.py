"""Message text per channel and language, fitted to each channel's limits.

Why it works this way:

* **PII per channel.** SMS and chat travel through operators and providers we do not
  control and sit on shared phones: names become initials, passports ``E12****89``,
  and the free text is scrubbed of passport/phone/email-looking tokens and of the
  subjects' names. Email goes to team addresses and carries the full details; so does
  the signed link.
* **Every message carries the ack code and the signed link**, in every shortening step:
  a message the member cannot acknowledge is worse than a short one.
* **SMS fitting.** An SMS costs per segment: 160 GSM-7 septets alone or 153 per part of a
  concatenated message (the UDH takes 7), 70/67 UTF-16 units in UCS-2. Extension-table
  characters (``€ [ ] { } ^ ~ | \\``) take two septets and never straddle two parts.
  One non-GSM character turns the whole message into UCS-2 (less than half the room),
  so typographic punctuation is replaced by GSM look-alikes first and the ellipsis is
  ``...``. Then the free text is shortened (on a word boundary, with an ellipsis), then
  dropped, then fewer subjects are shown, until it fits ``max_sms_segments``. The ack
  code and link are never cut; should even the bare message not fit (an absurdly long
  link), it is sent as is and ``segments`` says so.
* **Chat** (Telegram, WhatsApp) allows 4096 characters: more detail (site, time, up to
  ten subjects, source and rule, the whole free text), the same shortening.
* **Times** are shown in the jurisdiction's local zone: WITA (UTC+8) for South
  Kalimantan and the rest of central Indonesia, WIB/WIT elsewhere.
* Templates are Jinja2 files (``templates/{sms,chat,email,subject}.{id,en}.j2``) so the
  wording can be changed by someone who does not read Python; Bahasa Indonesia is the
  default, English is optional (``Member.language``).
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from jinja2.utils import concat

from shared.pii import mask_json, mask_name, mask_passport, scrub_report_text
from shared.schemas import AlertReason, AlertRouted, Category, Member, Severity, Subject

LANGUAGES = ("id", "en")
CHAT_LIMIT = 4096  # Telegram and WhatsApp text limit (counted here in UTF-16 units)
SMS_ELLIPSIS = "..."  # "…" is not GSM-7: it would turn the whole SMS into UCS-2
CHAT_ELLIPSIS = "…"
TEXT_MARK = "\x00text\x00"  # stands for the free text while fitting (never in a message)
SUBJECT_MAX = 200

# --------------------------------------------------------------------------- GSM 03.38

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # escape + char: two septets
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

# Typographic characters phones and word processors produce, with GSM-7 look-alikes.
GSM7_LOOKALIKES = {
    "…": "...",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "•": "-",
    "·": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "`": "'",
}


GSM7_ALL = GSM7_BASIC | GSM7_EXTENDED


def is_gsm7(text: str) -> bool:
    """Whether ``text`` can be sent in the GSM 7-bit default alphabet (+ extension)."""
    return GSM7_ALL.issuperset(text)


def gsm7_friendly(text: str) -> str:
    """Replace characters that needlessly force UCS-2 by GSM-7 look-alikes.

    Typographic punctuation is swapped; an accented letter outside GSM-7 loses its
    accent (``ễ`` → ``e``); anything else (Chinese, Arabic, emoji) is kept and the SMS
    goes out in UCS-2, which is right for such text.
    """
    if is_gsm7(text):
        return text
    out = []
    for c in text:
        if c in GSM7_ALL:
            out.append(c)
        elif c in GSM7_LOOKALIKES:
            out.append(GSM7_LOOKALIKES[c])
        else:
            base = unicodedata.normalize("NFKD", c)[:1]
            out.append(base if base and base in GSM7_BASIC else c)
    return "".join(out)


GSM7_HEAVY = re.compile("[" + re.escape("".join(sorted(GSM7_EXTENDED))) + "]")
UCS2_HEAVY = re.compile("[\U00010000-\U0010ffff]")  # a surrogate pair each


def _length(text: str, gsm: bool) -> int:
    if gsm:
        return len(text) + sum(map(text.count, GSM7_EXTENDED))
    return len(text.encode("utf-16-le")) // 2


def sms_length(text: str) -> int:
    """Length in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    return _length(text, is_gsm7(text))


def _parts(text: str, heavy: re.Pattern[str], part: int) -> int:
    """Parts of ``part`` units each, where a two-unit character is never split.

    Runs of one-unit characters fill parts arithmetically; only the (few) two-unit
    characters are visited one by one.
    """
    segments, used, previous = 1, 0, 0

    def fill(count: int) -> None:
        nonlocal segments, used
        used += count
        if used > part:
            wraps = (used - 1) // part
            segments, used = segments + wraps, used - wraps * part

    for match in heavy.finditer(text):
        fill(match.start() - previous)
        if used + 2 > part:
            segments, used = segments + 1, 0
        used += 2
        previous = match.end()
    fill(len(text) - previous)
    return segments


def sms_segments(text: str) -> tuple[int, str]:
    """``(segments, encoding)`` of ``text`` sent as one (concatenated) SMS.

    A message that fits one SMS uses the full 160/70; a longer one is split into parts
    of 153/67 where an escape pair (GSM-7) or a surrogate pair (UCS-2) is never split,
    so the count is an upper bound whichever splitter (phone, Kannel, SMSC) is used.
    """
    gsm = is_gsm7(text)
    if _length(text, gsm) <= (GSM7_SINGLE if gsm else UCS2_SINGLE):
        return 1, "GSM-7" if gsm else "UCS-2"
    if gsm:
        return _parts(text, GSM7_HEAVY, GSM7_PART), "GSM-7"
    return _parts(text, UCS2_HEAVY, UCS2_PART), "UCS-2"


# --------------------------------------------------------------------------- wording

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
SMS_SUBJECTS = 2
SMS_STRINGS = ("headline", "category", "place_sms", "code", "link")  # what sms.*.j2 shows
CHAT_SUBJECTS = 10

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


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    segments: int  # SMS segments; 0 for other channels
    encoding: str  # "GSM-7" or "UCS-2" for SMS, "" otherwise


# --------------------------------------------------------------------------- context


@cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: no stat() per message
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
    )


@cache
def _compiled(kind: str, language: str) -> tuple[Template, dict[str, Any]]:
    template = _env().get_template(f"{kind}.{language}.j2")
    return template, dict(template.globals)


def _template(kind: str, language: str, ctx: dict[str, Any]) -> str:
    """``Template.render(**ctx)``, at half its cost: ``render`` copies the template's
    globals (a ChainMap) into every new context, which took longer than the rendering of
    our small templates; here they are merged from a plain dict (same names, same result,
    tested against ``render``)."""
    template, globals_ = _compiled(kind, language)
    context = template.new_context({**globals_, **ctx}, shared=True)
    return concat(template.root_render_func(context))


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


def _place_sms(alert: AlertRouted) -> str:
    """``Kec. Satui (Tanah Bumbu)``; a regency alone reads ``Kab. Tanah Bumbu``."""
    kec, kab = _names(alert)
    if kec:
        return f"Kec. {kec}" + (f" ({kab})" if kab else "")
    if kab:
        return kab if kab.lower().startswith("kota ") else f"Kab. {kab}"
    return _fallback_place(alert)


def _subject_masked(s: Subject) -> str:
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


def _context(alert: AlertRouted, language: str, link: str) -> dict[str, Any]:
    """Everything the templates may show (masked and clear values both; each template
    picks what its channel may carry)."""
    report, loc = alert.report, alert.report.location
    zone, zone_label = local_zone(loc.most_precise_code() or alert.jurisdiction_code)
    when = (report.occurred_at or report.received_at).astimezone(zone)
    plain = alert.reason in PLAIN_HEADLINE
    return {
        "severity": SEVERITY[language][alert.severity],
        "headline": (SEVERITY if plain else HEADLINE)[language][alert.severity],
        "category": CATEGORY[language][alert.category],
        "count": _count(alert),
        "place": _place(alert),
        "place_sms": _place_sms(alert),
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
        "update": alert.reason is AlertReason.update,
        "digest": alert.reason is AlertReason.digest,
        "occurrences": alert.occurrence_count,
        "code": alert.ack_code,
        "link": link,
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


# --------------------------------------------------------------------------- fitting


def _one_line(text: str) -> str:
    return " ".join(text.split())


def shorten(text: str, limit: int, ellipsis: str) -> str:
    """``text`` cut to at most ``limit`` characters plus ``ellipsis``, on a word boundary
    when one is near (an ellipsis after half a word reads like a typo)."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > 0 and space >= limit - 15:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + ellipsis


def _longest_fitting_text(
    build: Callable[[str], str],
    fits: Callable[[str], bool],
    text: str,
    ellipsis: str,
    room: Callable[[str, str, str], int | None] | None = None,
) -> str | None:
    """The message with the longest shortening of ``text`` that fits (binary search over
    the cut; more text never makes a message shorter), or ``None``. The caller tried the
    whole text already.

    The template is rendered once around a marker; candidates are the text between the
    rendered prefix and suffix (the text is inserted verbatim), so the ~11 steps of the
    search cost string joins, not template renders. When fitting is a plain count of
    characters for every candidate (``room(prefix, text, suffix)`` gives the most
    characters the cut may have, or ``None``), each step compares a length instead of
    counting segments: the same steps, the same result.
    """
    if not text:
        return None
    framed = build(TEXT_MARK)
    limit = None
    if framed.count(TEXT_MARK) == 1:
        prefix, suffix = framed.split(TEXT_MARK)
        build_text = build

        def build(cut: str) -> str:
            return prefix + cut + suffix if cut else build_text(cut)

        if room is not None:
            limit = room(prefix, text, suffix)

    def fitting(cut: str) -> bool:  # ``cut`` is never empty: shorten() adds the ellipsis
        return len(cut) <= limit if limit is not None else fits(build(cut))

    lo, hi, best = 1, len(text) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        cut = shorten(text, mid, ellipsis)
        if fitting(cut):
            best, lo = cut, mid + 1
        else:
            hi = mid - 1
    return None if best is None else build(best)


def _fit(
    render_with: Callable[..., str],
    fits: Callable[[str], bool],
    text: str,
    subjects: list[str],
    ellipsis: str,
    hidden: int = 0,
    room: Callable[[str, str, str], int | None] | None = None,
) -> tuple[str, bool]:
    """Shorten until ``fits``: the free text, then the subjects shown (``hidden``
    subjects were never shown and count as "+N"), finally the head count. Returns the
    message and whether it is whole (nothing shortened).

    The ack code and link are template constants: never touched.
    """

    def build(shown: int, text: str) -> str:
        rest = hidden + len(subjects) - shown
        return render_with(subjects=subjects[:shown], more=rest, text=text)

    whole = build(len(subjects), text)
    if fits(whole):
        return whole, True
    found = _longest_fitting_text(lambda t: build(len(subjects), t), fits, text, ellipsis, room)
    if found is not None:
        return found, False
    for shown in range(len(subjects) - 1, -1, -1):
        message = build(shown, "")
        if fits(message):
            return message, False
    return render_with(subjects=[], more=0, text="", count=None), False


def _sms(
    alert: AlertRouted, language: str, ctx: dict[str, Any], max_segments: int, scrubbed: str
) -> tuple[str, int, str, bool]:
    """The fitted SMS with its ``(segments, encoding)`` and whether it is whole."""
    shown = alert.report.subjects[:SMS_SUBJECTS]
    subjects = [gsm7_friendly(_subject_masked(s)) for s in shown]
    text = _one_line(gsm7_friendly(_one_line(scrubbed)))  # look-alikes may be spaces
    safe = ctx | {k: gsm7_friendly(ctx[k]) for k in SMS_STRINGS}

    def render_with(**changes: Any) -> str:
        return _one_line(_template("sms", language, safe | changes))

    counted: dict[str, tuple[int, str]] = {}

    def fits(message: str) -> bool:
        counted[message] = sms_segments(message)
        return counted[message][0] <= max_segments

    def room(prefix: str, text: str, suffix: str) -> int | None:
        """Septets left for the cut when the text and what follows it are basic GSM-7
        and the head's escape pairs (``[TIMPORA]``) all lie in the first part, so none
        can straddle two: then segments are plain arithmetic on the length."""
        if not GSM7_ALL.issuperset(prefix):
            return None
        last_pair = max(map(prefix.rfind, GSM7_EXTENDED))  # -1: none
        if _length(prefix[: last_pair + 1], gsm=True) > GSM7_PART:
            return None
        head = _length(prefix, gsm=True)
        if not (GSM7_BASIC.issuperset(text) and GSM7_BASIC.issuperset(suffix)):
            return None
        most = GSM7_SINGLE if max_segments == 1 else GSM7_PART * max_segments
        return most - head - len(suffix)

    hidden = len(alert.report.subjects) - len(shown)
    message, whole = _fit(render_with, fits, text, subjects, SMS_ELLIPSIS, hidden, room)
    segments, encoding = counted.get(message) or sms_segments(message)
    return message, segments, encoding, whole


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _chat(
    alert: AlertRouted, language: str, ctx: dict[str, Any], scrubbed: str
) -> tuple[str, bool]:
    """The fitted chat text and whether it is whole."""
    shown = alert.report.subjects[:CHAT_SUBJECTS]
    subjects = [_subject_masked(s) for s in shown]
    text = scrubbed.strip()

    def render_with(**changes: Any) -> str:
        return _template("chat", language, ctx | changes).strip()

    def fits(message: str) -> bool:
        return _utf16_length(message) <= CHAT_LIMIT

    def room(prefix: str, text: str, suffix: str) -> int | None:  # no surrogate pairs
        if any(len(part) != _utf16_length(part) for part in (prefix, text, suffix)):
            return None
        return CHAT_LIMIT - len(prefix) - len(suffix)

    hidden = len(alert.report.subjects) - len(shown)
    message, whole = _fit(render_with, fits, text, subjects, CHAT_ELLIPSIS, hidden, room)
    if fits(message):
        return message, whole
    # Even the bare message is too long (absurdly long place names): cut what precedes the
    # last line, which carries the ack code and the link.
    head, _, tail = message.rpartition("\n")
    space = CHAT_LIMIT - _utf16_length(tail) - _utf16_length(CHAT_ELLIPSIS) - 1
    while _utf16_length(head) > space:
        head = head[: max(0, len(head) - max(1, (_utf16_length(head) - space) // 2))]
    return f"{head}{CHAT_ELLIPSIS}\n{tail}", False


def _language(language: str | None, member: Member) -> str:
    """``language`` if we have it, else the member's, else Indonesian."""
    if language in LANGUAGES:
        return language
    return member.language if member.language in LANGUAGES else "id"


# Stands for a member's link while a shared text is rendered: random per process, so
# report text cannot contain it; letters only, so it counts like a link in an SMS.
_STAND_IN = "".join(secrets.choice(string.ascii_letters) for _ in range(512))
_LINK_SAFE = frozenset(string.ascii_letters + string.digits + ":/._-?=&%")


class AlertMessages:
    """The messages of one alert version for all the members it goes to.

    Members differ only in language and signed link, so each text kind (SMS, email or
    chat) is rendered and fitted once per language, with a stand-in of the first link's
    length, and each member's own link is put in its place. Links differ in length (the
    member id is in the token): a text that needed no shortening is reused for any link
    with which it still fits; a shortened one is fitted again per link length. The
    scrubbed free text and the template context per language are computed once.
    The result is exactly what :func:`render` gives for that member.
    """

    def __init__(
        self, alert: AlertRouted, max_sms_segments: int = 2, dumped: dict[str, Any] | None = None
    ) -> None:
        if max_sms_segments < 1:
            raise ValueError("max_sms_segments must be >= 1")
        self.alert, self.max_sms_segments = alert, max_sms_segments
        self._dumped = dumped  # the alert as JSON, when the caller has it already
        self._scrubbed: str | None = None
        # (kind, language[, link length]) -> (stand-in, message, whole)
        self._shared: dict[tuple[Any, ...], tuple[str, RenderedMessage, bool]] = {}
        self._contexts: dict[str, tuple[dict[str, Any], str]] = {}

    @cached_property
    def webhook_payload(self) -> bytes:
        """The alert as JSON with its personal data masked, for webhook receivers."""
        return orjson.dumps(mask_json(self._dumped or self.alert.model_dump(mode="json")))

    def render(
        self, member: Member, channel: str, link: str, language: str | None = None
    ) -> RenderedMessage:
        language = _language(language, member)
        if len(link) > len(_STAND_IN) or not _LINK_SAFE.issuperset(link):
            return self._render(channel, language, link)
        kind = channel if channel in ("sms", "email") else "chat"  # Telegram = WhatsApp text
        stand_in, shared, whole = self._fitted(channel, language, len(link), (kind, language))
        if len(stand_in) != len(link):
            relinked = self._relinked(kind, shared, stand_in, link) if whole else None
            if relinked is not None:
                return relinked
            key = (kind, language, len(link))  # a shortened text, fitted for this length
            stand_in, shared, _ = self._fitted(channel, language, len(link), key)
        if stand_in not in shared.text:  # cannot happen with our templates; stay correct
            return self._render(channel, language, link)
        return replace(shared, text=shared.text.replace(stand_in, link))

    def _fitted(
        self, channel: str, language: str, length: int, key: tuple[Any, ...]
    ) -> tuple[str, RenderedMessage, bool]:
        """The text stored under ``key``, fitted with a stand-in link of ``length``."""
        if key not in self._shared:
            stand_in = _STAND_IN[:length]
            self._shared[key] = (stand_in, *self._render_whole(channel, language, stand_in))
        return self._shared[key]

    def _relinked(
        self, kind: str, shared: RenderedMessage, stand_in: str, link: str
    ) -> RenderedMessage | None:
        """A whole text with another link in it, if it still fits (then it is what
        fitting with that link gives: the whole text is the first thing tried)."""
        if stand_in not in shared.text:
            return None
        text = shared.text.replace(stand_in, link)
        if kind == "sms":
            segments, encoding = sms_segments(text)
            if segments > self.max_sms_segments:
                return None
            return replace(shared, text=text, segments=segments, encoding=encoding)
        if kind == "chat" and _utf16_length(text) > CHAT_LIMIT:
            return None
        return replace(shared, text=text)

    def _render(self, channel: str, language: str, link: str) -> RenderedMessage:
        return self._render_whole(channel, language, link)[0]

    def _render_whole(self, channel: str, language: str, link: str) -> tuple[RenderedMessage, bool]:
        if self._scrubbed is None:
            self._scrubbed = scrub_report_text(self.alert.report)
        alert, scrubbed = self.alert, self._scrubbed
        if language not in self._contexts:  # shared by the channels and links
            ctx = _context(alert, language, "")
            subject = _one_line(_template("subject", language, ctx))[:SUBJECT_MAX]
            self._contexts[language] = ctx, subject
        ctx, subject = self._contexts[language]
        ctx = ctx | {"link": link}
        if channel == "sms":
            text, segments, encoding, whole = _sms(
                alert, language, ctx, self.max_sms_segments, scrubbed
            )
            return RenderedMessage(subject, text, segments, encoding), whole
        if channel == "email":
            email = _template("email", language, ctx).strip() + "\n"
            return RenderedMessage(subject, email, 0, ""), True
        text, whole = _chat(alert, language, ctx, scrubbed)
        return RenderedMessage(subject, text, 0, ""), whole


def render(
    alert: AlertRouted,
    member: Member,
    channel: str,
    *,
    link: str,
    language: str | None = None,
    max_sms_segments: int = 2,
) -> RenderedMessage:
    """The message for ``member`` on ``channel`` (``sms``, ``email``, ``telegram``,
    ``whatsapp``; anything else gets the chat text).

    ``language`` overrides the member's (``Member.language``, Bahasa Indonesia by
    default); an unknown language falls back to the member's, then to Indonesian.
    For many members of one alert, :class:`AlertMessages` renders each text once.
    """
    return AlertMessages(alert, max_sms_segments).render(member, channel, link, language)
