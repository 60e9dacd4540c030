"""Kafka entry point of notify: routed alerts in, deliveries out.

The batch's offsets are committed after its deliveries were claimed, sent (once) and
recorded; retries and fallbacks continue from the database, not the partition.
"""

from __future__ import annotations

from notify_service.delivery import deliver
from notify_service.deps import NotifyDeps
from shared import topics
from shared.deadletter import read_records
from shared.kafka import Records, batch_subscriber, publish_all
from shared.schemas import AlertRouted


def register(deps: NotifyDeps) -> None:
    @batch_subscriber(
        deps.broker,
        deps.settings,
        topics.ALERTS_ROUTED,
        group="notify",
        max_records=deps.settings.batch_alerts,
    )
    async def on_alerts_routed(records: Records) -> None:
        alerts, dead = read_records(records, AlertRouted, topics.ALERTS_ROUTED, "notify")
        await publish_all(deps.broker, deps.settings, dead)
        await deliver(deps, alerts)
