"""Pure evaluation of a routing policy on a report: matching rules, targets, decisions."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from routing_service import grouping
from routing_service.policy import (
    DEFAULT_TZ,
    UPDATE_SMS_EVERY,
    Matchers,
    Policy,
    Rule,
    TargetLevel,
    TimeWindow,
    Weekday,
)
from shared.jurisdiction import (
    ancestor_at,
    kabupaten_of,
    kecamatan_of,
    level_of,
    provinsi_of,
    regions,
)
from shared.schemas import Category, Level, PermitType, PlaceResolution, Report, Severity

_WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Facts:
    """What matchers look at, computed once per report."""

    category: Category
    severity: Severity
    source: str
    code: str | None  # the most precise *certain* jurisdiction code
    nationalities: frozenset[str]
    permit_statuses: frozenset[str]
    now: datetime


def permit_status(permit_type: PermitType | None, expiry: date | None, today: date) -> str:
    """``expired`` / ``valid`` / ``none`` (no permit) / ``unknown`` for one subject."""
    if permit_type is PermitType.none:
        return "none"
    if expiry is not None:
        return "expired" if expiry < today else "valid"
    if permit_type is None or permit_type is PermitType.unknown:
        return "unknown"
    return "valid"


def facts_for(report: Report, code: str | None, now: datetime, tz: str = DEFAULT_TZ) -> Facts:
    today = now.astimezone(ZoneInfo(tz)).date()
    statuses = {permit_status(s.permit_type, s.permit_expiry, today) for s in report.subjects}
    return Facts(
        category=report.category,
        severity=report.severity,
        source=report.source,
        code=code,
        nationalities=frozenset(s.nationality for s in report.subjects if s.nationality),
        permit_statuses=frozenset(statuses or {"unknown"}),
        now=now,
    )


# --------------------------------------------------------------------------- matching


def in_window(window: TimeWindow, moment: datetime) -> bool:
    """Whether ``moment`` falls in the local window; ``start > end`` wraps midnight."""
    local = moment.astimezone(ZoneInfo(window.tz))
    if window.days is not None and _WEEKDAYS[local.weekday()] not in window.days:
        return False
    t = local.time().replace(tzinfo=None)
    if window.start == window.end:
        return True
    if window.start < window.end:
        return window.start <= t < window.end
    return t >= window.start or t < window.end


def matches(match: Matchers, facts: Facts) -> bool:
    """All given matchers must match (AND); within a list any value matches (OR)."""
    if match.category is not None and facts.category not in match.category:
        return False
    if match.severity is not None and facts.severity not in match.severity:
        return False
    if match.severity_min is not None and facts.severity.rank < match.severity_min.rank:
        return False
    if match.source is not None and not any(
        fnmatch.fnmatchcase(facts.source, pattern) for pattern in match.source
    ):
        return False
    if match.jurisdiction is not None and not (
        facts.code is not None and any(_inside(facts.code, p) for p in match.jurisdiction)
    ):
        return False
    if match.nationality is not None and not facts.nationalities & set(match.nationality):
        return False
    if match.permit_status is not None and not (facts.permit_statuses & set(match.permit_status)):
        return False
    return match.time is None or in_window(match.time, facts.now)


def _inside(code: str, prefix: str) -> bool:
    return code == prefix or code.startswith(prefix + ".")


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class RouteDecision:
    """One team-level target for a report: where, how urgent, how to group it."""

    rules: tuple[str, ...]  # matched rule names, in policy order
    level: Level  # the level actually routed to
    jurisdiction_code: str  # dotted code at ``level``
    severity: Severity
    group_key: str
    group_window: timedelta
    escalate_after: timedelta | None
    digest: str | None
    requested_level: Level  # the level the rule asked for
    confidence: float = 1.0  # how sure the place is
    update_sms_every: timedelta = UPDATE_SMS_EVERY  # an SMS-only member's updates, at most

    @property
    def fell_back(self) -> bool:
        """Routed higher than the rule asked (place unsure or not that precise)."""
        return self.level != self.requested_level


def certain_code(resolution: PlaceResolution | None, policy: Policy) -> str | None:
    """The most precise jurisdiction we are sure of, else the policy's fallback."""
    return (resolution.routing_code if resolution else None) or policy.fallback_jurisdiction


def target_jurisdiction(target: TargetLevel, code: str) -> tuple[Level, str]:
    """The unit at ``target`` containing ``code``; the code itself when it is shallower,
    or when the target is ``lowest`` (its team, or the nearest ancestor's, takes it)."""
    if target == "lowest":
        return level_of(code), code
    level = Level(target)
    at = ancestor_at(code, level)
    if at is not None:
        return level, at
    return level_of(code), code


def matching_rules(policy: Policy, facts: Facts) -> list[Rule]:
    """First match wins; a matching rule with ``continue: true`` lets later rules match."""
    matched = []
    for rule in policy.rules:
        if rule.match is None or matches(rule.match, facts):
            matched.append(rule)
            if not rule.continue_:
                break
    return matched


def evaluate(
    policy: Policy, report: Report, now: datetime, *, code: str | None = None
) -> list[RouteDecision]:
    """Decisions for every (level, jurisdiction) the matched rules target.

    The place is ingest's resolution (``report.resolution``; routing never re-resolves),
    else the policy's ``fallback_jurisdiction``, else ``code`` (the office fallback team's
    place). Empty only when none of them is known.
    """
    resolution = report.resolution
    code = certain_code(resolution, policy) or code
    if code is None:
        return []
    facts = facts_for(report, code, now, policy.timezone)
    # Routed by the policy's fallback: nothing about the place is known.
    placed = resolution is not None and resolution.routing_code is not None
    confidence = resolution.confidence if resolution is not None and placed else 0.0
    decisions: dict[tuple[Level, str], RouteDecision] = {}
    for rule in matching_rules(policy, facts):
        for target in rule.targets:
            decision = _decide(policy, rule, target, code, report, confidence)
            key = (decision.level, decision.jurisdiction_code)
            decisions[key] = _merge(decisions[key], decision) if key in decisions else decision
    return list(decisions.values())


def _decide(
    policy: Policy, rule: Rule, target: TargetLevel, code: str, report: Report, confidence: float
) -> RouteDecision:
    level, jurisdiction = target_jurisdiction(target, code)
    requested = level if target == "lowest" else Level(target)
    key = grouping.group_key(
        report,
        policy.group_key_of(rule),
        tz=policy.timezone,
        kecamatan=kecamatan_of(code) or code,
        kabupaten=kabupaten_of(code),
        provinsi=provinsi_of(code),
        jurisdiction=jurisdiction,
        level=level.value,
        rule=rule.name,
    )
    return RouteDecision(
        rules=(rule.name,),
        level=level,
        jurisdiction_code=jurisdiction,
        severity=rule.severity_override or report.severity,
        group_key=key,
        group_window=policy.group_window_of(rule),
        escalate_after=policy.escalate_after_of(rule),
        digest=rule.digest,
        requested_level=requested,
        confidence=confidence,
        update_sms_every=policy.defaults.update_sms_every,
    )


def _merge(first: RouteDecision, later: RouteDecision) -> RouteDecision:
    """Two rules, one team: list both, keep the more urgent settings, group as the first."""
    escalations = [e for e in (first.escalate_after, later.escalate_after) if e is not None]
    severity = first.severity if first.severity.rank >= later.severity.rank else later.severity
    return RouteDecision(
        rules=tuple(dict.fromkeys((*first.rules, *later.rules))),
        level=first.level,
        jurisdiction_code=first.jurisdiction_code,
        severity=severity,
        group_key=first.group_key,
        group_window=first.group_window,
        escalate_after=min(escalations) if escalations else None,
        digest=first.digest if (first.digest and later.digest) else None,
        # Asked for at this level by either rule: not a fallback.
        requested_level=later.requested_level if first.fell_back else first.requested_level,
        confidence=first.confidence,
        update_sms_every=first.update_sms_every,
    )


def pick_team(
    level_code_candidates: str | Sequence[str], has_team: Callable[[str], bool]
) -> str | None:
    """The first jurisdiction code that has a team, walking up to the parent levels.

    Pass the candidates most precise first (``["63.10.06", "63.10", "63"]``) or one code,
    whose ancestors are then tried in turn. None when no level has a team.
    """
    if isinstance(level_code_candidates, str):
        code = level_code_candidates
        candidates = [code, *(r.code for r in regions().ancestors(code))]
    else:
        candidates = list(level_code_candidates)
    return next((c for c in candidates if c and has_team(c)), None)
