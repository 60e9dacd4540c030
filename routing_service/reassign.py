"""An operator gives an alert to another team: load → decide → persist → publish.

The console records the request (``store.request_reassign``: who, which team); routing's
timer loop takes the pending ones (``FOR UPDATE SKIP LOCKED``: with two instances each is
decided once) and decides each with :func:`routing_service.lifecycle.on_reassign`, the
same pure function the unit tests check. A reassigned alert is a new version for the new
team (reason ``reassigned``): notify delivers it to that team's members like a new
alert, with its ack code unchanged; the old ladder is cancelled and the new team's starts.
As with timers, the version is published before the commit: a crash in between publishes
it again, which notify's delivery key absorbs.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import orjson

from routing_service import store
from routing_service.deps import RoutingDeps
from routing_service.lifecycle import on_reassign
from routing_service.service import alert_record, name_of
from shared.db import transaction
from shared.kafka import Outgoing, dumps, publish_all
from shared.schemas import AlertRouted, utcnow

log = logging.getLogger(__name__)


async def apply_reassignments(deps: RoutingDeps, limit: int = 50) -> list[Outgoing]:
    """Decide the pending reassignment requests; publish the new versions."""
    now = utcnow()
    out: list[Outgoing] = []
    async with transaction(deps.runtime.sessions) as session:
        requests = await store.pending_reassignments(session=session, limit=limit)
        if not requests:
            return out
        rows = await store.alerts_by_id(session=session, alert_ids={r.alert_id for r in requests})
        for request in requests:
            row = rows.get(request.alert_id)
            decided = (
                on_reassign(
                    AlertRouted.model_validate(row.last_payload),
                    status=row.status,
                    team_id=request.team_id,
                    escalate_after=timedelta(seconds=row.escalate_after_s)
                    if row.escalate_after_s
                    else None,
                    directory=deps.directory,
                    now=now,
                    name_of=name_of,
                )
                if row is not None
                else "unknown_alert"
            )
            if isinstance(decided, str):
                store.finish_reassignment(request, refusal=decided, at=now)
                log.info("alert %s: reassignment refused (%s)", request.alert_id, decided)
                continue
            assert row is not None
            value = dumps(decided.message)
            await store.reassign_alert(
                session=session, row=row, payload=orjson.loads(value), at=now
            )
            if decided.timer_due_at is not None:
                await store.add_timer(
                    session=session, alert_id=row.alert_id, due_at=decided.timer_due_at, step=1
                )
            store.finish_reassignment(request, refusal=None, at=now)
            out.append(alert_record(decided.message, value))
            log.info(
                "alert %s reassigned to %s by %s",
                row.alert_id,
                request.team_id,
                request.requested_by,
                extra={"alert_id": row.alert_id, "team_id": request.team_id},
            )
        if out:
            await publish_all(deps.broker, deps.settings, out)
    return out
