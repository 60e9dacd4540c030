"""The retention job: personal data past its retention is erased, old audit entries go.

``timpora purge`` runs it (``--dry-run``: the same run, rolled back, so its counts are
exactly what a run would do); the console runs it every ``CONSOLE_PURGE_EVERY_HOURS``.
Load -> decide (:func:`shared.retention.erase_due`) -> persist, one batch of alerts per
transaction; rows are locked with SKIP LOCKED, so two runs (two consoles, a console and
a cron job) never erase the same alert twice and never wait on routing. An erased alert
is marked (``erased_at``) and never read again: running it twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console_service import purge_store as store
from routing_service.models import AlertRow
from shared.retention import Retention, erase_due, last_change
from shared.schemas import utcnow

log = logging.getLogger(__name__)

BATCH = 500  # alerts per transaction
IDLE = timedelta(days=1)  # notify's send buckets and WhatsApp windows unused this long go


@dataclass
class Purged:
    """What a run erased (or, dry, would erase)."""

    alerts_seen: int = 0  # candidates looked at
    alerts: int = 0  # alerts whose personal data was erased
    versions: int = 0  # notify's stored alert versions
    reports: int = 0  # routing's processed reports (the alerts kept for a redelivery)
    acks: int = 0  # close notes of members
    notes: int = 0  # operators' notes
    audit: int = 0  # audit entries and one-time code records deleted
    idle: int = 0  # provider buckets idle and WhatsApp windows closed for a day


@asynccontextmanager
async def _step(
    sessions: async_sessionmaker[AsyncSession], dry_run: bool
) -> AsyncIterator[AsyncSession]:
    """One transaction: committed, or rolled back on a dry run."""
    async with sessions() as session, session.begin() as tx:
        yield session
        if dry_run:
            await tx.rollback()


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    retention: Retention,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch: int = BATCH,
    progress: Callable[[Purged], None] | None = None,
) -> Purged:
    now = now or utcnow()
    done = Purged()
    after: tuple[datetime, str] | None = None
    while True:
        async with _step(sessions, dry_run) as session:
            rows = await store.candidates(
                session=session, before=retention.candidates_before(now), after=after, limit=batch
            )
            if not rows:
                break
            after = (rows[-1].updated_at, rows[-1].alert_id)
            due = [
                row
                for row in rows
                if erase_due(
                    row.status,
                    last_change(row.updated_at, row.acked_at, row.closed_at),
                    now,
                    retention,
                )
            ]
            ids = [row.alert_id for row in due]
            report_ids = {rid for row in due for rid in _reports(row)}
            await store.erase_alerts(session=session, rows=due, now=now)
            done.versions += await store.erase_versions(session=session, alert_ids=ids, now=now)
            done.reports += await store.erase_reports(session=session, report_ids=report_ids)
            acks, notes = await store.erase_notes(session=session, alert_ids=ids)
        done.alerts_seen, done.alerts = done.alerts_seen + len(rows), done.alerts + len(due)
        done.acks, done.notes = done.acks + acks, done.notes + notes
        if progress:
            progress(done)
    async with _step(sessions, dry_run) as session:
        done.audit = await store.delete_audit(session=session, before=retention.audit_before(now))
        done.idle = await store.delete_idle(session=session, before=now - IDLE)
    return done


def _reports(row: AlertRow) -> set[str]:
    """The reports grouped into an alert (the first one is the payload's)."""
    first = row.last_payload.get("report_id")
    return {*row.report_ids, *([first] if isinstance(first, str) else [])}


async def purge_loop(
    sessions: async_sessionmaker[AsyncSession], retention: Retention, every_hours: float
) -> None:
    """The console's background run: at start-up, then every ``every_hours``."""
    while every_hours > 0:
        done = await purge(sessions, retention)
        if done.alerts or done.audit or done.idle:
            log.info("retention: %s", _summary(done))
        await asyncio.sleep(every_hours * 3600)


def _summary(done: Purged, dry_run: bool = False) -> str:
    verb = "would erase" if dry_run else "erased"
    return (
        f"{verb} the personal data of {done.alerts} alerts ({done.alerts_seen} looked at): "
        f"{done.versions} stored versions, {done.reports} processed reports, "
        f"{done.acks} close notes, {done.notes} operator notes; "
        f"{'would delete' if dry_run else 'deleted'} {done.audit} audit entries, "
        f"{done.idle} idle send buckets and closed WhatsApp windows"
    )


def command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be erased; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Erase personal data past its retention (TIMPORA_RETENTION_CLOSED_DAYS after an alert
    ended, TIMPORA_RETENTION_IDLE_DAYS without a change) in every table that holds it;
    delete audit entries older than TIMPORA_AUDIT_RETENTION_DAYS, and notify's provider
    send buckets and WhatsApp windows unused for a day. The facts stay."""
    import json

    from shared.db import make_engine, make_sessionmaker
    from shared.settings import Settings

    settings = Settings()

    def report(done: Purged) -> None:
        print(f"  {done.alerts_seen} alerts looked at, {done.alerts} due", file=sys.stderr)

    async def work() -> Purged:
        engine = make_engine(settings.database_url)
        try:
            return await purge(
                make_sessionmaker(engine), settings.retention, dry_run=dry_run, progress=report
            )
        finally:
            await engine.dispose()

    done = asyncio.run(work())
    if as_json:
        print(json.dumps({"dry_run": dry_run, **asdict(done)}))
    else:
        print(_summary(done, dry_run))
