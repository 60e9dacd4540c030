"""What a report's status reads (``GET /v1/reports/{report_id}``), through routing's and
notify's public store functions where they exist; the rest is the acks and team names,
SQL only (keyword-only, ``session=``). The decision is
:func:`console_service.report_status.report_status`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from console_service.report_status import Ack, alert_ids
from console_service.web.models import AuditEntry
from notify_service import store as notify_store
from notify_service.models import AckRow, DeliveryRow
from routing_service import store as routing_store
from routing_service.models import AlertRow, ProcessedReport
from shared.adapters.bulk_sql import in_values
from shared.directory import TeamRow


@dataclass
class Loaded:
    processed: ProcessedReport | None
    alerts: dict[str, AlertRow] = field(default_factory=dict)
    deliveries: list[DeliveryRow] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    team_names: dict[str, str] = field(default_factory=dict)


async def load(*, session: AsyncSession, report_id: str) -> Loaded:
    """The report's routing record and, for each of its alerts, the alert's row, its
    deliveries, its acks and closes (members' and operators') and its team's name."""
    processed = await routing_store.processed_report(session=session, report_id=report_id)
    ids = alert_ids(processed)
    if not ids:
        return Loaded(processed)
    alerts = await routing_store.alerts_by_id(session=session, alert_ids=ids)
    deliveries = [
        row
        for alert_id in ids
        for row in await notify_store.delivery_log(session=session, alert_id=alert_id)
    ]
    teams = {a.team_id for a in alerts.values()}
    return Loaded(
        processed,
        alerts,
        deliveries,
        await acks(session=session, alert_ids=ids),
        await team_names(session=session, team_ids=sorted(teams)),
    )


async def acks(*, session: AsyncSession, alert_ids: Sequence[str]) -> list[Ack]:
    """Acks and closes of these alerts: by members (notify's ``acks``, with the channel
    they used) and by operators in the console (its audit log: channel ``console``)."""
    members = await session.execute(
        select(AckRow.alert_id, AckRow.action, AckRow.channel, AckRow.acknowledged_at).where(
            in_values(session, AckRow.alert_id, alert_ids)
        )
    )
    operators = await session.execute(
        select(AuditEntry.target, AuditEntry.action, AuditEntry.at).where(
            in_values(session, AuditEntry.target, alert_ids),
            AuditEntry.action.in_(("ack", "close")),
        )
    )
    return [Ack(a, action, channel, at) for a, action, channel, at in members] + [
        Ack(str(target), action, "console", at) for target, action, at in operators
    ]


async def team_names(*, session: AsyncSession, team_ids: Sequence[str]) -> dict[str, str]:
    """Team names only (not their members)."""
    rows = await session.execute(
        select(TeamRow.team_id, TeamRow.name).where(in_values(session, TeamRow.team_id, team_ids))
    )
    return {team_id: name for team_id, name in rows}
