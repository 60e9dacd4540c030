"""Database rows the tests insert directly (the delivery log, routing's alerts)."""

from __future__ import annotations

from datetime import datetime, timedelta

from routing_service.models import AlertRow, EscalationTimer
from shared.db import make_engine, make_sessionmaker, transaction
from shared.schemas import AlertRouted, new_id, utcnow


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
        "fallback_channels": ["email", [1, {"x": "é"}]],  # JSON round trips, nested
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


async def database_text(database_url: str) -> dict[str, str]:
    """Every row of every table of the schema as text, per table: what a scan for
    personal data at rest reads (a row's ``::text`` holds all its columns, JSON included)."""
    from sqlalchemy import text

    import shared.directory  # noqa: F401 - every table registered on Base.metadata
    from shared.db import Base

    engine = make_engine(database_url)
    out: dict[str, str] = {}
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = await conn.execute(text(f'SELECT t::text FROM "{table.name}" t'))
                out[table.name] = "\n".join(r[0] for r in rows)
    finally:
        await engine.dispose()
    return out


def hits(tables: dict[str, str], *needles: str) -> dict[str, list[str]]:
    """The tables holding any of ``needles`` (case-insensitive), with the needles found."""
    found = {
        name: [n for n in needles if n.lower() in body.lower()] for name, body in tables.items()
    }
    return {name: ns for name, ns in found.items() if ns}


async def seed_history(
    database_url: str, alert: AlertRouted, *, status: str, changed: datetime, note: str
) -> None:
    """An alert's whole trace, last changed at ``changed``: routing's row (``status``,
    its group key holding the passport, a close note) and processed report, notify's
    stored version and two deliveries, a member's close note, an operator's note."""
    from console_service.web.models import AlertNote
    from notify_service.models import AckRow, AlertVersionRow, DeliveryRow
    from routing_service.models import ProcessedReport

    await seed_alert(database_url, alert)
    payload = alert.model_dump(mode="json")
    passport = alert.report.subjects[0].passport_number
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        row = await session.get(AlertRow, alert.alert_id)
        assert row is not None
        row.status, row.updated_at, row.group_key = status, changed, f"P:{passport}|63.10.04"
        if status == "closed":
            row.closed_at, row.closed_by, row.close_note = changed, "camat", note
        session.add(
            AlertVersionRow(
                alert_id=alert.alert_id, version=alert.version, reason="new", level="kecamatan",
                severity=alert.severity.value, jurisdiction_code=alert.jurisdiction_code,
                payload=payload, created_at=changed,
            )
        )  # fmt: skip
        session.add_all(
            DeliveryRow(
                delivery_id=new_id(), alert_id=alert.alert_id,
                alert_version=alert.version, report_id=alert.report_id, team_id=alert.team_id,
                member_id=member, channel="sms", ack_code=alert.ack_code, status="sent",
                created_at=changed, updated_at=changed,
            )
            for member in ("camat", "kapolsek")
        )  # fmt: skip
        session.add(ProcessedReport(report_id=alert.report_id, outputs=[payload], fate=[]))
        session.add(
            AckRow(
                ack_id=new_id(), alert_id=alert.alert_id, member_id="camat",
                channel="sms", action="close", note=note, acknowledged_at=changed,
            )
        )  # fmt: skip
        session.add(AlertNote(alert_id=alert.alert_id, username="ops", at=changed, text=note))
    await engine.dispose()
