"""The attack (#17 item 12): someone with a copy of the database (a backup, a replica, a
leaked dump) reads every foreign national ever reported. The full alert, passport number
and name included, was stored in every delivery row (one per member and channel) and
kept forever.

Now notify stores each alert version once, and the retention job erases the personal
data of ended alerts after their retention in every table. Notify runs on real Kafka and
PostgreSQL and delivers to the fake providers; the whole database is then read as text.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from console_service.purge_ops import purge
from devtools import Sinks
from routing_service.models import AlertRow
from shared.db import make_engine, make_sessionmaker, transaction
from shared.retention import Retention
from shared.schemas import AlertReason, utcnow
from shared.settings import Settings
from tests.integration.notify.test_notify_service import alert, db, running, send_alerts
from tests.kafkautil import wait_for
from tests.rows import database_text, hits, seed_alert

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["db"]  # the directory fixture (the Satui team: four members on duty, one off)

PERSONAL = ("E12345678", "Zhang Wei Ming")


async def test_a_database_dump_holds_no_personal_data_after_retention(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = alert()
    second = first.model_copy(update={"version": 2, "reason": AlertReason.update})
    await seed_alert(db, second)  # routing's row, as routing would have written it
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, first)

        async def four() -> bool:
            return len(sinks.received) == 4

        await wait_for(four)
        await send_alerts(kafka_settings, second)

        async def eight() -> bool:  # the update goes to the same four members
            return len(sinks.received) == 8

        await wait_for(eight)
    assert len({r.to for r in sinks.received[4:]}) == 4

    tables = await database_text(db)
    # Ten delivery rows (two versions x four members and one skipped), no alert in them.
    assert tables["deliveries"].count(first.alert_id) == 10
    assert "deliveries" not in hits(tables, *PERSONAL)
    # Each version is stored once: the passport appears in two rows, not ten.
    assert tables["alert_versions"].count("E12345678") == 2
    assert set(hits(tables, *PERSONAL)) == {"alert_versions", "routing_alerts"}

    # The alert is closed; 181 days later the retention job runs.
    engine = make_engine(db)
    sessions = make_sessionmaker(engine)
    closed = utcnow() - timedelta(days=181)
    async with transaction(sessions) as session:
        await session.execute(
            update(AlertRow)
            .where(AlertRow.alert_id == first.alert_id)
            .values(status="closed", closed_at=closed, updated_at=closed, acked_at=closed)
        )
    done = await purge(sessions, Retention())
    await engine.dispose()
    assert (done.alerts, done.versions) == (1, 2)

    tables = await database_text(db)
    assert hits(tables, *PERSONAL, "E12****78", "Zhang", "tambang tanpa izin") == {}
    # The facts stay: the alert, its place, its ten deliveries.
    assert first.alert_id in tables["routing_alerts"]
    assert "63.10.04" in tables["alert_versions"]
    assert tables["deliveries"].count(first.alert_id) == 10
