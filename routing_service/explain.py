"""``timpora route explain``: where a report would go, and why, without Kafka or a database.

Reads the report (canonical JSON, or a normalised report with ingest's resolution), the
policy file and the teams directory YAML. A report without a resolution is placed as
ingest would place it (the one resolver, once); then it is planned with
:func:`routing_service.plan.plan`, exactly as the service plans it, against no open
alerts and no silences.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routing_service.office_policy import with_offices
from routing_service.plan import RoutingState, plan
from routing_service.policy import load_policy
from routing_service.targets import unrouted_reason
from shared.directory import load_directory
from shared.jurisdiction import place_report, regions
from shared.offices import load_offices
from shared.pii import scrub_text
from shared.schemas import Fallback, Report
from shared.settings import RoutingSettings


def explain(
    raw: bytes,
    *,
    policy_file: Path | None = None,
    teams_file: Path,
    offices_file: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    report = Report.model_validate_json(raw)
    if report.resolution is None:
        report = place_report(report)
    policy = load_policy(policy_file or RoutingSettings().policy_file)
    policy = with_offices(policy, load_offices(offices_file) if offices_file else [])
    directory: dict[str, list[str]] = {}
    for team in load_directory(teams_file):
        directory.setdefault(team.jurisdiction_code, []).append(team.team_id)
    decision = plan(report, RoutingState(), policy, directory, now or datetime.now(UTC))
    targets = [
        {
            "rules": ", ".join(a.route.rule.rules),
            "level": a.route.rule.level.value,
            "jurisdiction": a.route.rule.jurisdiction_code,
            "team": a.route.target.team_id,
            "team_jurisdiction": a.route.target.code,
            "severity": a.state.severity.value,
            "escalate_after": str(a.route.rule.escalate_after or "never"),
            "escalates_at": a.timer_due_at.isoformat() if a.timer_due_at else "-",
            "digest": a.route.rule.digest or "",
            "outcome": a.outcome.value,
            "group_key": scrub_text(a.route.rule.group_key),
            "fallback": _fallback(a.route.fallback),
        }
        for a in decision.alerts
    ]
    res = report.resolution
    assert res is not None
    region = regions().get(res.code) if res.code else None
    return {
        "resolution": (
            f"{res.code or '-'} {region.name if region else ''} "
            f"(level {res.level.value if res.level else '-'}, "
            f"method {res.method}, confidence {res.confidence:.2f}"
            f"{', LOW' if res.low_confidence else ''})"
        ),
        "targets": targets,
        **({"unrouted": unrouted_reason(report, policy).message} if decision.unrouted else {}),
    }


def _fallback(why: Fallback | None) -> str:
    if why is None:
        return ""
    if why.outside_home_area:
        return f"held for {why.office}: {why.outside_home_area} is outside the source's home area"
    return f"{why.office}: no team serves {why.unserved_code or 'a report without a place'}"
