"""Kafka entry points of routing: normalised reports in, routed alerts out; acks in.

Each handler only translates records into messages and delegates to
:mod:`routing_service.service` (load → decide → persist → publish).
"""

from __future__ import annotations

import asyncio

from routing_service import reassign, service
from routing_service.deps import RoutingDeps
from shared import topics
from shared.deadletter import read_records
from shared.kafka import Records, batch_subscriber, publish_all
from shared.schemas import AlertAcknowledged, RoutableReport


def register(deps: RoutingDeps) -> None:
    @batch_subscriber(deps.broker, deps.settings, topics.REPORTS_NORMALIZED, group="routing")
    async def on_reports_normalized(records: Records) -> None:
        # A report without ingest's place resolution is a contract error: dead letter.
        reports, dead = read_records(records, RoutableReport, topics.REPORTS_NORMALIZED, "routing")
        await deps.refresh_directory()
        alerts = await service.route_reports(deps, reports)
        await publish_all(deps.broker, deps.settings, [*dead, *alerts])

    @batch_subscriber(
        deps.broker, deps.settings, topics.ALERTS_ACKS, group="routing-acks", rare=True
    )
    async def on_alerts_acks(records: Records) -> None:
        acks, dead = read_records(records, AlertAcknowledged, topics.ALERTS_ACKS, "routing")
        await service.apply_acks(deps, acks)
        await publish_all(deps.broker, deps.settings, dead)


async def escalation_loop(deps: RoutingDeps) -> None:
    """Poll the durable timers, digests, muted alerts whose silence ended and operators'
    reassignments; with several instances each fires once."""
    while True:
        await deps.refresh_directory()
        fired = await service.fire_due_timers(deps)
        digests = await service.emit_due_digests(deps)
        resumed = await service.resume_unmuted(deps)
        moved = await reassign.apply_reassignments(deps)
        if not fired and not digests and not resumed and not moved:
            await asyncio.sleep(deps.settings.escalation_poll_seconds)
