"""One alert's story shaped for its page: pure (no I/O), masked unless ``reveal``.

Personal data on the page is the report's, masked by the same schema-driven masking as
SMS and the CLI (:func:`shared.pii.mask_report`); an operator may reveal it, which the
page records in the audit log before rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console_service.web.queries import Story
from shared.jurisdiction import regions
from shared.pii import mask_report, scrub_report_text
from shared.schemas import Report


@dataclass(frozen=True)
class VersionView:
    version: int
    team_id: str
    level: str
    reason: str
    routed_at: str
    fallback: dict[str, Any] | None
    report: Report


def place_name(code: str | None) -> str:
    """``Satui (63.10.04)``; a code a newer decree abolished still shows its former name
    (alerts keep the codes they were routed with), an unknown one just the code."""
    if not code:
        return ""
    region = regions().get(code)
    if region:
        return f"{region.name} ({code})"
    former = regions().former_name(code)
    return f"{former} ({code}, kode lama)" if former else code


def report_of(payload: dict[str, Any], reveal: bool) -> Report:
    """A routed alert's report (``payload['report']``), masked unless ``reveal``."""
    report = Report.model_validate(payload["report"])
    if reveal:
        return report
    masked = mask_report(report)
    return masked.model_copy(update={"text": scrub_report_text(report)})


def story_view(story: Story, *, reveal: bool) -> dict[str, Any]:
    alert = story.alert
    versions = [
        VersionView(
            version=p.get("version", 1),
            team_id=p.get("team_id", ""),
            level=p.get("level", ""),
            reason=p.get("reason", ""),
            routed_at=str(p.get("routed_at", ""))[:19].replace("T", " "),
            fallback=p.get("fallback"),
            report=report_of(p, reveal),
        )
        for p in story.versions
    ]
    return {
        "alert": alert,
        "place": place_name(alert.place_code),
        "team_area": place_name(alert.jurisdiction_code),
        "versions": versions,
        "latest": versions[-1] if versions else None,
        "deliveries": story.deliveries,
        "timers": story.timers,
        "reassignments": story.reassignments,
        "acks": story.acks,
        "console_acks": story.console_acks,
        "notes": story.notes,
        "fates": story.fates,
        "revealed": reveal,
        "is_open": alert.status in ("open", "muted", "inhibited"),
    }
