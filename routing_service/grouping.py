"""Grouping and de-duplication: which reports update one alert instead of opening another.

The same passport reported at the same kecamatan on the same (local) day is one alert:
five hotel guest reports or five SMS about it bump the alert's version and occurrence
count instead of paging the team five times. Pure functions and plain dataclasses; the
routing engine persists :class:`GroupState` and applies :class:`Decision`.

A group lives for a fixed window from its first report (not sliding: a person reported
every hour must not keep one alert open forever), and per team — the engine keys the
state by (team, group key).
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from shared.schemas import Report, Severity, new_id

DEFAULT_TZ = "Asia/Makassar"  # WITA, South Kalimantan
DEFAULT_GROUP_KEY = "{subject}|{kecamatan}|{day}"
DEFAULT_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 400  # the column that stores it
MAX_REPORT_IDS = 100  # an alert keeps the ids of its latest reports only

KEY_FIELDS = frozenset(
    {
        "subject",  # passports, else normalised names, else "anon"
        "passport",  # passports or "-"
        "name",  # normalised names or "-"
        "nationality",
        "category",
        "source",
        "kecamatan",  # kecamatan code, else the most precise certain code
        "kabupaten",
        "provinsi",
        "jurisdiction",  # the code of the team the decision targets
        "level",
        "rule",
        "day",  # local date (YYYY-MM-DD) of occurred_at, else received_at
        "hour",  # local date and hour
        "week",  # ISO year-week
        "report_id",  # never groups (one alert per report)
    }
)
DIGESTS = ("hourly", "daily")


# --------------------------------------------------------------------------- keys


def normalize_passport(number: str) -> str:
    """Upper-case letters and digits only: "a 123-456" and "A123456" are one passport."""
    return re.sub(r"[^0-9A-Z]", "", number.upper())


def normalize_person_name(name: str) -> str:
    """Accents, case, punctuation and word order ignored ("ZHANG Wei" == "wei zhang")."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(sorted(re.findall(r"\w+", text)))


def subject_key(report: Report) -> str:
    """Who the report is about: passports (sorted), else names, else "anon"."""
    passports = sorted(
        {normalize_passport(s.passport_number) for s in report.subjects if s.passport_number} - {""}
    )
    if passports:
        return "P:" + "+".join(passports)
    names = sorted(
        {normalize_person_name(s.full_name) for s in report.subjects if s.full_name} - {""}
    )
    if names:
        return "N:" + "+".join(names)
    return "anon"


def report_time(report: Report) -> datetime:
    return report.occurred_at or report.received_at


def local_day(report: Report, tz: str = DEFAULT_TZ) -> str:
    """The report's local calendar day (WITA by default): groups break at local midnight."""
    return report_time(report).astimezone(_zone(tz)).date().isoformat()


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


class KeyFields(dict[str, str]):
    """Every value a group-key template may use (see :data:`KEY_FIELDS`), each computed
    the first time a template asks for it: templates use three or four of the sixteen,
    and routing renders a key per report and target (eager, this was ~10 % of its CPU).
    """

    def __init__(
        self,
        report: Report,
        *,
        kecamatan: str | None = None,
        kabupaten: str | None = None,
        provinsi: str | None = None,
        jurisdiction: str | None = None,
        level: str | None = None,
        rule: str | None = None,
        tz: str = DEFAULT_TZ,
    ) -> None:
        super().__init__()
        loc = report.location
        self.report, self.tz = report, tz
        place = kecamatan or loc.kecamatan_code or loc.kabupaten_code or loc.provinsi_code
        self.given = {
            "kabupaten": kabupaten or loc.kabupaten_code or "-",
            "provinsi": provinsi or loc.provinsi_code or "-",
            "jurisdiction": jurisdiction or place or "unresolved",
            "level": level or "-",
            "rule": rule or "-",
            "kecamatan": place or "unresolved",
            "category": report.category.value,
            "source": report.source,
            "report_id": report.report_id,
        }

    def __missing__(self, name: str) -> str:
        if name not in KEY_FIELDS:
            raise KeyError(name)
        value = self.given[name] if name in self.given else getattr(self, f"_{name}")()
        self[name] = value
        return value

    @cached_property
    def _local(self) -> datetime:
        return report_time(self.report).astimezone(_zone(self.tz))

    def _subject(self) -> str:
        return subject_key(self.report)

    def _passport(self) -> str:
        subject = self["subject"]
        return subject[2:] if subject.startswith("P:") else "-"

    def _name(self) -> str:
        subjects = self.report.subjects
        names = {normalize_person_name(s.full_name) for s in subjects if s.full_name}
        return "+".join(sorted(names)) or "-"

    def _nationality(self) -> str:
        subjects = self.report.subjects
        return "+".join(sorted({s.nationality for s in subjects if s.nationality})) or "-"

    def _day(self) -> str:
        return self._local.date().isoformat()

    def _hour(self) -> str:
        return self._local.strftime("%Y-%m-%dT%H")

    def _week(self) -> str:
        iso = self._local.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"


def template_fields(template: str) -> set[str]:
    """Placeholders of a group-key template; ValueError for anything but plain names.

    Attribute/index access and format specs are refused: a template comes from a
    config file and must not reach into objects.
    """
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad group key template {template!r}: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion or not name.isidentifier():
            raise ValueError(f"bad placeholder {{{name}}} in group key {template!r}")
        if name not in KEY_FIELDS:
            known = ", ".join(sorted(KEY_FIELDS))
            raise ValueError(f"unknown placeholder {{{name}}} in group key; known: {known}")
        names.add(name)
    return names


def render_key(template: str, fields: Mapping[str, str]) -> str:
    """Fill a template; keys longer than the stored column end with a hash of the rest."""
    key = template.format_map(fields)
    if len(key) > MAX_KEY_LENGTH:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = f"{key[: MAX_KEY_LENGTH - 17]}#{digest}"
    return key


def group_key(
    report: Report,
    template: str = DEFAULT_GROUP_KEY,
    *,
    tz: str = DEFAULT_TZ,
    **codes: str | None,
) -> str:
    """The group key of a report (default: subject + kecamatan + local day in WITA).

    ``codes`` are the :class:`KeyFields` keywords (kecamatan, jurisdiction, rule...).
    """
    return render_key(template, KeyFields(report, tz=tz, **codes))


# --------------------------------------------------------------------------- decisions


class Action(StrEnum):
    new = "new"  # open a new alert
    update = "update"  # same alert, next version
    duplicate = "duplicate"  # this report is already in the alert (redelivery): no change


@dataclass(frozen=True)
class GroupState:
    """What the store remembers about an open group (one alert)."""

    alert_id: str
    version: int
    occurrence_count: int
    window_ends_at: datetime
    report_ids: tuple[str, ...] = ()
    severity: Severity | None = None


@dataclass(frozen=True)
class Decision:
    action: Action
    alert_id: str
    version: int
    occurrence_count: int
    window_ends_at: datetime
    report_ids: tuple[str, ...]
    severity: Severity | None = None
    severity_raised: bool = False  # an update made the alert more severe: notify again

    @property
    def state(self) -> GroupState:
        """The state to store after applying this decision."""
        return GroupState(
            self.alert_id,
            self.version,
            self.occurrence_count,
            self.window_ends_at,
            self.report_ids,
            self.severity,
        )


def _max_severity(a: Severity | None, b: Severity | None) -> Severity | None:
    if a is None or b is None:
        return a or b
    return a if a.rank >= b.rank else b


def decide(
    existing: GroupState | None,
    report: Report,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    *,
    severity: Severity | None = None,
    new_alert_id: Callable[[], str] = new_id,
) -> Decision:
    """New alert, update of the open one, or a duplicate of a report already in it.

    The window is fixed from the first report: after it ends, the next report opens a
    new alert. ``severity`` (default: the report's) only ever raises the alert's.
    """
    severity = severity or report.severity
    if existing is None or now >= existing.window_ends_at:
        return Decision(
            Action.new,
            new_alert_id(),
            version=1,
            occurrence_count=1,
            window_ends_at=now + window,
            report_ids=(report.report_id,),
            severity=severity,
        )
    if report.report_id in existing.report_ids:
        return replace(_unchanged(existing), action=Action.duplicate)
    merged = _max_severity(existing.severity, severity)
    return Decision(
        Action.update,
        existing.alert_id,
        version=existing.version + 1,
        occurrence_count=existing.occurrence_count + 1,
        window_ends_at=existing.window_ends_at,
        report_ids=(*existing.report_ids, report.report_id)[-MAX_REPORT_IDS:],
        severity=merged,
        severity_raised=merged is not None and merged != existing.severity,
    )


def _unchanged(state: GroupState) -> Decision:
    return Decision(
        Action.update,
        state.alert_id,
        state.version,
        state.occurrence_count,
        state.window_ends_at,
        state.report_ids,
        state.severity,
    )


# --------------------------------------------------------------------------- digests


def digest_period(digest: str, now: datetime, tz: str = DEFAULT_TZ) -> tuple[str, datetime]:
    """The digest bucket ``now`` falls in: a label for the group key and when it closes.

    A daily digest closes at the next local midnight, an hourly one at the next full
    hour, so each team receives one summary per period.
    """
    if digest not in DIGESTS:
        raise ValueError(f"unknown digest {digest!r}; known: {', '.join(DIGESTS)}")
    local = now.astimezone(_zone(tz))
    if digest == "daily":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        label, step = f"daily:{start.date().isoformat()}", timedelta(days=1)
    else:
        start = local.replace(minute=0, second=0, microsecond=0)
        label, step = f"hourly:{start.strftime('%Y-%m-%dT%H')}", timedelta(hours=1)
    # Add in naive local time, then attach the zone: correct across DST where there is one.
    end = (start.replace(tzinfo=None) + step).replace(tzinfo=start.tzinfo)
    return label, end.astimezone(now.tzinfo) if now.tzinfo else end
