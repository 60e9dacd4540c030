"""Kafka entry points of notify: routed alerts in, deliveries out; acks in, pending
deliveries cancelled and the other recipients told; members' requests for a one-time
code in, the code sent to their phone.

The batch's offsets are committed after its deliveries were claimed, sent (once) and
recorded; retries and fallbacks continue from the database, not the partition. Acks have
their own consumer group (``notify-acks``): a slow ack never holds up alerts.
"""

from __future__ import annotations

from notify_service.delivery import deliver
from notify_service.deps import NotifyDeps
from notify_service.notices import on_acks
from notify_service.step_up import on_step_up_requests
from shared import topics
from shared.deadletter import read_records
from shared.kafka import Records, batch_subscriber, publish_all
from shared.schemas import AlertAcknowledged, AlertRouted, StepUpRequested


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

    @batch_subscriber(
        deps.broker, deps.settings, topics.ALERTS_ACKS, group="notify-acks", rare=True
    )
    async def on_alerts_acks(records: Records) -> None:
        acks, dead = read_records(records, AlertAcknowledged, topics.ALERTS_ACKS, "notify-acks")
        await publish_all(deps.broker, deps.settings, dead)
        await on_acks(deps, acks)

    @batch_subscriber(
        deps.broker, deps.settings, topics.MEMBERS_STEP_UP, group="notify-stepup", rare=True
    )
    async def on_members_stepup(records: Records) -> None:
        requests, dead = read_records(
            records, StepUpRequested, topics.MEMBERS_STEP_UP, "notify-stepup"
        )
        await publish_all(deps.broker, deps.settings, dead)
        await on_step_up_requests(deps, requests)
