"""Routing policy as data: which level's team(s) get a report, how alerts group, escalate.

The policy is a YAML file (``routing_service/config/policy.yaml``) validated by the
pydantic models below: unknown keys are errors, durations are checked, and the last rule
must be a catch-all so every report reaches somebody. An edited file that fails
validation is refused and the last good policy stays in force (``policy_reload``);
``timpora policy check FILE`` runs the same validation before a deploy. Evaluation
(``routing_service.policy_eval``) is pure:

* rules are tried in order; the first that matches wins, unless it says
  ``continue: true`` — then later rules are tried too (Alertmanager's route semantics);
* each matched rule names target levels (kecamatan, kabupaten, provinsi); the
  jurisdiction at a level is the report's resolved unit at that level. When the place
  is unsure (low confidence) or not that precise, the target moves up to the level that
  is certain, so the report still reaches somebody;
* two rules targeting the same jurisdiction give one decision (rules listed, highest
  severity, earliest escalation, immediate beats digest).

Example::

    version: 1
    timezone: Asia/Makassar
    fallback_jurisdiction: "63.10"
    rules:
      - name: narcotics
        match: {category: [narcotics]}
        targets: [kecamatan, kabupaten]
        severity_override: critical
        escalate_after: 15m
      - name: default
        targets: [kabupaten]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from routing_service import grouping
from routing_service.inhibition import Inhibit
from shared.jurisdiction import normalize_code
from shared.offices import Office, office_for
from shared.schemas import Category, Severity

DEFAULT_TZ = "Asia/Makassar"

# --------------------------------------------------------------------------- values

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def parse_duration(value: Any) -> timedelta:
    """``"90s"``, ``"30m"``, ``"2h"``, ``"1d"``, ``"1h30m"`` (or seconds as a number)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration is text like 30m, 2h or 1d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError("a duration is text like 30m, 2h or 1d")
    text = value.strip().lower().replace(" ", "")
    if not text or _DURATION_RE.sub("", text):
        raise ValueError(f"bad duration {value!r}: use e.g. 90s, 30m, 2h, 1d or 1h30m")
    return sum((float(n) * _UNITS[u] for n, u in _DURATION_RE.findall(text)), start=timedelta(0))


def _parse_time(value: Any) -> Any:
    """YAML 1.1 reads an unquoted ``22:00`` as the base-60 integer 1320: take it back."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    return value


def _check_tz(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a time zone is an IANA name, e.g. Asia/Makassar")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name, e.g. Asia/Makassar)"
        ) from None
    return value


def _as_list(value: Any) -> Any:
    """Let a one-item matcher be written without brackets (``category: narcotics``)."""
    return [value] if isinstance(value, str | int | float) else value


def _code_text(value: Any) -> Any:
    """Refuse codes YAML read as numbers: unquoted 63.10 is the float 63.1."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"write Kemendagri codes in quotes ('63.10'): YAML read {value!r} as a number"
        )
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Zone = Annotated[str, BeforeValidator(_check_tz)]
LocalTime = Annotated[time, BeforeValidator(_parse_time)]
# "lowest": the most precise level that has a team for the resolved place (a desa or
# kecamatan team when there is one, else the level above): "kecamatan first".
TargetLevel = Literal["lowest", "kecamatan", "kabupaten", "provinsi"]
PermitStatus = Literal["expired", "valid", "none", "unknown"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------- models


class TimeWindow(_Strict):
    """Local time-of-day window; ``start > end`` wraps midnight (22:00–06:00)."""

    start: LocalTime
    end: LocalTime
    tz: Zone = DEFAULT_TZ
    days: list[Weekday] | None = None


class Matchers(_Strict):
    """All given matchers must match (AND); within a list any value matches (OR)."""

    category: list[Category] | None = None
    severity: list[Severity] | None = None
    severity_min: Severity | None = None
    source: list[str] | None = Field(None, description="Globs, e.g. apoa-* or sms-*")
    jurisdiction: list[str] | None = Field(None, description="Code prefixes, e.g. 63.10")
    nationality: list[str] | None = Field(None, description="ISO alpha-3, e.g. CHN")
    permit_status: list[PermitStatus] | None = None
    time: TimeWindow | None = None

    @field_validator(
        "category", "severity", "source", "jurisdiction", "nationality", "permit_status",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("jurisdiction", mode="before")
    @classmethod
    def _quoted_codes(cls, value: Any) -> Any:
        for item in value if isinstance(value, list) else [value]:
            _code_text(item)
        return value

    @field_validator("jurisdiction")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = []
        for raw in value:
            code = normalize_code(str(raw))
            if code is None:
                raise ValueError(f"unknown Kemendagri code {raw!r}")
            out.append(code)
        return out

    @field_validator("nationality")
    @classmethod
    def _alpha3(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        upper = [v.strip().upper() for v in value]
        bad = [v for v in upper if not re.fullmatch(r"[A-Z]{3}", v)]
        if bad:
            raise ValueError(f"nationality must be ISO 3166-1 alpha-3, got {bad}")
        return upper

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


UPDATE_SMS_EVERY = timedelta(minutes=30)


class Defaults(_Strict):
    """Values a rule inherits when it does not set them (``update_sms_every`` is
    policy-wide: a member who has only SMS gets at most one update SMS of an alert in
    this time; the other updates reach them through the alert's link)."""

    group_key: str = grouping.DEFAULT_GROUP_KEY
    group_window: Duration = grouping.DEFAULT_WINDOW
    escalate_after: Duration | None = None
    update_sms_every: Duration = UPDATE_SMS_EVERY

    @field_validator("group_key")
    @classmethod
    def _template(cls, value: str) -> str:
        grouping.template_fields(value)
        return value


class DefaultsOverride(_Strict):
    """What an office's record may override of the defaults for reports of its area
    (``shared.offices.OVERRIDABLE``); a key left out keeps the policy's value."""

    group_key: str | None = None
    group_window: Duration | None = None
    escalate_after: Duration | None = None  # an explicit null: never escalate
    update_sms_every: Duration | None = None

    @field_validator("group_key")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            grouping.template_fields(value)
        return value

    def applied_to(self, defaults: Defaults) -> Defaults:
        given = self.model_dump(exclude_unset=True)
        update = {k: v for k, v in given.items() if v is not None or k == "escalate_after"}
        return defaults.model_copy(update=update)


class Rule(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
    match: Matchers | None = None
    targets: list[TargetLevel] = Field(min_length=1)
    severity_override: Severity | None = None
    group_key: str | None = None
    group_window: Duration | None = None
    escalate_after: Duration | None = Field(None, description="null: never escalate")
    digest: Literal["hourly", "daily"] | None = None
    continue_: bool = Field(False, alias="continue")

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a target level is listed twice")
        return value

    @field_validator("group_key")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            grouping.template_fields(value)
        return value

    @property
    def is_catch_all(self) -> bool:
        return self.match is None or self.match.is_empty()


class Policy(_Strict):
    version: Literal[1] = 1
    timezone: Zone = DEFAULT_TZ
    fallback_jurisdiction: str | None = Field(
        None, description="Where a report goes when nothing (not even a home area) places it"
    )
    offices: list[Office] = Field(
        default_factory=list, description="Offices and their fallback teams, first = default"
    )
    outside_home_area: Literal["hold", "reject"] = Field(
        "hold",
        description="A report placed outside its source's home area: held (its office's "
        "fallback team reviews it; the place's team is not told) or rejected (dead letter)",
    )
    defaults: Defaults = Defaults()
    rules: list[Rule] = Field(min_length=1)
    inhibit: list[Inhibit] = Field(default_factory=list)
    # Per office id: this policy with the office's defaults (office_policy.with_offices).
    _office_policies: dict[str, Policy] = PrivateAttr(default_factory=dict)

    def office_for(self, home_area: Sequence[str], code: str | None) -> Office | None:
        """The office of the source's home area, else the one whose area holds ``code``,
        else the first office (None when the policy names none)."""
        return office_for(self.offices, home_area, code)

    @field_validator("fallback_jurisdiction", mode="before")
    @classmethod
    def _quoted_fallback(cls, value: Any) -> Any:
        return _code_text(value)

    @field_validator("fallback_jurisdiction")
    @classmethod
    def _fallback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = normalize_code(str(value))
        if code is None or code.count(".") > 2:
            raise ValueError(f"unknown Kemendagri code {value!r}")
        return code

    @model_validator(mode="after")
    def _rules(self) -> Policy:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique: {', '.join(dupes)}")
        if not self.rules[-1].is_catch_all:
            raise ValueError(
                "the last rule must be a catch-all (no `match`) so every report reaches "
                f"somebody; add e.g. `- name: default, targets: [kabupaten]` after "
                f"{self.rules[-1].name!r}"
            )
        return self

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    # Effective settings: a rule's own value, else the policy default.

    def group_key_of(self, rule: Rule) -> str:
        return rule.group_key or self.defaults.group_key

    def group_window_of(self, rule: Rule) -> timedelta:
        return rule.group_window or self.defaults.group_window

    def escalate_after_of(self, rule: Rule) -> timedelta | None:
        if "escalate_after" in rule.model_fields_set:
            return rule.escalate_after  # an explicit null means "never"
        return self.defaults.escalate_after


# --------------------------------------------------------------------------- loading


class PolicyError(ValueError):
    """An invalid policy file, with every problem on its own line."""


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: expected a mapping with `rules`, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: invalid routing policy ({exc.error_count()} problems)"]
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"  {where}: {msg}")
        raise PolicyError("\n".join(lines)) from None


def load_policy(path: str | Path) -> Policy:
    path = Path(path)
    return parse_policy(path.read_text(encoding="utf-8"), source=str(path))
