"""Provider delivery reports applied to the delivery log: load → decide → persist → publish.

The webhooks (``dlr.py`` for Kannel, the signed WhatsApp webhook in ``acks.py``) turn a
request into :class:`~notify_service.receipts.Receipt` s and call :func:`apply_receipts`;
:func:`receipt_loop` applies the reports that came before their send was recorded, and
marks silent deliveries ``unconfirmed``. What a report does is
:func:`notify_service.receipts.decide`; a ``failed`` one claims the member's next channel
as a delivery due now (``delivery.fallback_row``, the same row a send that gave up
gets), which the retry loop sends.

Safe with several notify instances: the delivery rows a report names are locked while it
applies (a repeated report then finds the state it made and changes nothing); kept
reports are taken with SKIP LOCKED; the unconfirmed sweep is one UPDATE per channel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy.ext.asyncio import AsyncSession

from notify_service import store
from notify_service.delivery import fallback_row
from notify_service.deps import NotifyDeps
from notify_service.models import DeliveryRow, EarlyReceiptRow
from notify_service.receipts import (
    Decision,
    Receipt,
    State,
    decide,
    expected_receipts,
    unconfirmed_before,
)
from notify_service.sending import Claim, event
from shared.db import transaction
from shared.kafka import Outgoing, publish_all
from shared.observability import RECEIPTS, TIME_TO_DELIVERED
from shared.schemas import DeliveryStatus, utcnow

log = logging.getLogger(__name__)

PARKED_FOR = timedelta(minutes=30)  # a report no delivery matched by then is dropped
SWEEP_EVERY_S, POLL_S = 10.0, 1.0


@dataclass(slots=True)
class _Keys:
    """A delivery row's alert keys, for the fallback row (``delivery.AlertKeys``)."""

    alert_id: str
    version: int
    report_id: str
    team_id: str
    ack_code: str


def _key(row: DeliveryRow) -> tuple[str, str]:
    return (
        ("kannel", row.delivery_id)
        if row.channel == "sms"
        else ("whatsapp", row.provider_message_id or "")
    )


async def _apply(
    session: AsyncSession, receipts: Sequence[Receipt], now: datetime
) -> tuple[list[Outgoing], list[Receipt]]:
    """Apply ``receipts`` in ``session``: the events to publish, and the reports to keep
    for later (no delivery yet, or its send not recorded yet)."""
    rows = await store.receipt_rows(
        session=session,
        delivery_ids=sorted({r.message_id for r in receipts if r.provider == "kannel"}),
        wamids=sorted({r.message_id for r in receipts if r.provider == "whatsapp"}),
    )
    by_key = {_key(row): row for row in rows}
    done = await store.alerts_done(session=session, alert_ids={row.alert_id for row in rows})
    fallbacks: list[dict[str, object]] = []
    events: list[Outgoing] = []
    later: list[Receipt] = []
    for receipt in receipts:
        row = by_key.get((receipt.provider, receipt.message_id))
        decision = (
            Decision(park=True)
            if row is None
            else decide(
                row.status,
                row.receipt,
                receipt,
                has_fallback=bool(row.fallback_channels),
                alert_done=row.alert_id in done,
            )
        )
        if decision.park:
            later.append(receipt)
        if row is None or not decision.changes:
            continue
        await store.apply_receipt(session=session, row=row, decision=decision, now=now)
        _count(row, decision, now)
        if decision.receipt == "failed":
            events.append(event(row, DeliveryStatus.gave_up, decision.error))
        if decision.fall_back:
            keys = _Keys(row.alert_id, row.alert_version, row.report_id, row.team_id, row.ack_code)
            if nxt := fallback_row(keys, row.member_id, row.fallback_channels, now):
                fallbacks.append(nxt)
    inserted = await store.claim(session=session, rows=fallbacks)
    events += [
        event(Claim.of(v), DeliveryStatus.fallback)
        for v in fallbacks
        if v["delivery_id"] in inserted
    ]
    return events, later


def _count(row: DeliveryRow, decision: Decision, now: datetime) -> None:
    RECEIPTS.labels(row.channel, decision.receipt).inc()
    if decision.first_confirmation:
        TIME_TO_DELIVERED.labels(row.channel).observe((now - row.created_at).total_seconds())
    log.log(
        logging.INFO if decision.receipt == "failed" else logging.DEBUG,
        "alert %s v%d -> member %s by %s: provider reports %s%s",
        row.alert_id,
        row.alert_version,
        row.member_id,
        row.channel,
        decision.receipt,
        " (falling back)" if decision.fall_back else "",
        extra={"alert_id": row.alert_id, "delivery_id": row.delivery_id},
    )


def _receipt(row: EarlyReceiptRow) -> Receipt:
    provider = cast(Literal["kannel", "whatsapp"], row.provider)
    return Receipt(provider, row.message_id, cast(State, row.state), row.error)


def _parked(receipts: Sequence[Receipt], now: datetime) -> list[dict[str, object]]:
    return [
        {
            "provider": r.provider,
            "message_id": r.message_id,
            "state": r.state,
            "error": r.error,
            "received_at": now,
        }
        for r in receipts
    ]


async def apply_receipts(deps: NotifyDeps, receipts: Sequence[Receipt]) -> None:
    """Apply provider reports now; keep those whose delivery is not recorded yet."""
    if not receipts:
        return
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        events, later = await _apply(session, receipts, now)
        await store.park_receipts(session=session, rows=_parked(later, now))
    await publish_all(deps.broker, deps.settings, events)


async def apply_parked(deps: NotifyDeps, limit: int = 500) -> int:
    """Apply kept reports whose delivery is recorded now; drop the expired ones."""
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        rows = await store.parked_receipts(session=session, limit=limit)
        if not rows:
            return 0
        receipts = [_receipt(r) for r in rows]
        events, later = await _apply(session, receipts, now)
        waiting = {(r.provider, r.message_id, r.state) for r in later}
        applied = [r for r in rows if (r.provider, r.message_id, r.state) not in waiting]
        await store.unpark(session=session, rows=applied)
        expired = await store.expire_parked(session=session, before=now - PARKED_FOR)
    if expired:
        log.warning("%d provider reports matched no delivery in %s: dropped", expired, PARKED_FOR)
    await publish_all(deps.broker, deps.settings, events)
    return len(applied)


async def sweep_unconfirmed(deps: NotifyDeps) -> int:
    """Deliveries whose provider said nothing in time become ``unconfirmed``."""
    now = utcnow()
    marked = 0
    cutoffs = unconfirmed_before(expected_receipts(deps.settings), now)
    async with transaction(deps.runtime.sessions) as session:
        for channel, before in cutoffs.items():
            n = await store.mark_unconfirmed(
                session=session, channel=channel, before=before, now=now
            )
            if n:
                RECEIPTS.labels(channel, "unconfirmed").inc(n)
                log.info("%d %s deliveries unconfirmed (no provider report)", n, channel)
            marked += n
    return marked


async def receipt_loop(deps: NotifyDeps) -> None:
    """Kept reports every second; the unconfirmed sweep every ten (or at half the
    shortest timeout)."""
    loop = asyncio.get_running_loop()
    timeouts = expected_receipts(deps.settings).values()
    every = min([SWEEP_EVERY_S, *(t / 2 for t in timeouts)])
    next_sweep = loop.time()
    while True:
        await apply_parked(deps)
        if loop.time() >= next_sweep:
            await sweep_unconfirmed(deps)
            next_sweep = loop.time() + every
        await asyncio.sleep(min(POLL_S, every))
