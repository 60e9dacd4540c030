"""``timpora route explain``: where a report would go, and why, without Kafka or a database.

Reads the report (canonical JSON), the policy file and the teams directory YAML, and
applies exactly the functions the service uses: resolve → policy → team lookup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from routing_service.policy import evaluate, load_policy, pick_team
from shared.directory import load_directory
from shared.pii import scrub_text
from shared.regions import regions, resolve_location
from shared.schemas import Report
from shared.settings import RoutingSettings


def explain(
    raw: bytes, *, policy_file: Path | None = None, teams_file: Path, now: datetime | None = None
) -> dict[str, Any]:
    report = Report.model_validate_json(raw)
    policy = load_policy(policy_file or RoutingSettings().policy_file)
    directory: dict[str, list[str]] = {}
    for team in load_directory(teams_file):
        directory.setdefault(team.jurisdiction_code, []).append(team.team_id)
    resolution = resolve_location(report.location, report.home_area)
    region = regions().get(resolution.code) if resolution.code else None
    targets = []
    for decision in evaluate(policy, report, resolution, now or datetime.now(UTC)):
        team_code = pick_team(decision.jurisdiction_code, directory.__contains__)
        team_id = directory[team_code][0] if team_code else None
        targets.append(
            {
                "rules": ", ".join(decision.rules),
                "level": decision.level.value,
                "jurisdiction": decision.jurisdiction_code,
                "team": team_id or "(none)",
                "team_jurisdiction": team_code or "-",
                "severity": decision.severity.value,
                "escalate_after": str(decision.escalate_after or "never"),
                "digest": decision.digest or "",
                "group_key": scrub_text(decision.group_key),
            }
        )
    return {
        "resolution": (
            f"{resolution.code or '-'} {region.name if region else ''} "
            f"(level {resolution.level.value if resolution.level else '-'}, "
            f"method {resolution.method}, confidence {resolution.confidence:.2f}"
            f"{', LOW' if resolution.low_confidence else ''})"
        ),
        "targets": targets,
    }
