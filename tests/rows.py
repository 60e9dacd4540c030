"""Database rows the tests insert directly (the delivery log, routing's alerts)."""

from __future__ import annotations

from datetime import timedelta

from routing_service.models import AlertRow, EscalationTimer
from shared.db import make_engine, make_sessionmaker, transaction
from shared.schemas import AlertRouted, utcnow


def delivery_row(delivery_id: str, member: str, **values: object) -> dict[str, object]:
    """A ``deliveries`` row of alert A1 v1, claimed (``sending``) by SMS; ``values`` override."""
    return {
        "delivery_id": delivery_id,
        "alert_id": "A1",
        "alert_version": 1,
        "report_id": "R1",
        "team_id": "T1",
        "member_id": member,
        "channel": "sms",
        "ack_code": "K1",
        "status": "sending",
        "alert": {"alert_id": "A1", "nested": [1, {"x": "é"}]},
        **values,
    }


async def seed_alert(database_url: str, alert: AlertRouted, *, timer_in_s: int = 600) -> None:
    """Routing's row of a routed alert (open, one pending escalation timer), as if routing
    had routed it: for tests that run the console or notify without routing."""
    now = utcnow()
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        session.add(
            AlertRow(
                alert_id=alert.alert_id,
                team_id=alert.team_id,
                group_key=f"overstay|{alert.jurisdiction_code}",
                level=alert.level.value,
                jurisdiction_code=alert.jurisdiction_code,
                place_code=alert.jurisdiction_code,
                ack_code=alert.ack_code,
                report_ids=alert.report_ids,
                matched_rules=alert.matched_rules,
                severity=alert.severity.value,
                category=alert.category.value,
                status="open",
                escalate_after_s=timer_in_s,
                window_ends_at=now + timedelta(hours=1),
                created_at=now,
                updated_at=now,
                last_payload=alert.model_dump(mode="json"),
            )
        )
        session.add(
            EscalationTimer(alert_id=alert.alert_id, due_at=now + timedelta(seconds=timer_in_s))
        )
    await engine.dispose()
