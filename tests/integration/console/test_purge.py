"""The retention job on real PostgreSQL: personal data of alerts past their retention is
erased in every table that holds it, the facts stay, recent and open alerts are left
alone, a dry run changes nothing, and a second run finds nothing to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console_service.purge_ops import purge
from console_service.web.models import AuditEntry, ConsoleUser
from notify_service import buckets
from notify_service.buckets import ProviderBucketRow
from notify_service.limiter import SharedBuckets
from notify_service.models import StepUpCode
from notify_service.whatsapp_window import WhatsAppWindowRow
from shared.db import make_engine, make_sessionmaker, transaction
from shared.retention import ERASED_NOTE, Retention
from shared.schemas import AlertRouted, utcnow
from tests.integration.notify.test_notify_service import alert
from tests.rows import database_text, hits, seed_history

pytestmark = pytest.mark.postgres


def subject(a: AlertRouted, name: str, passport: str) -> AlertRouted:
    person = a.report.subjects[0].model_copy(
        update={"full_name": name, "passport_number": passport}
    )
    report = a.report.model_copy(update={"subjects": [person]})
    return a.model_copy(update={"report": report, "report_ids": [report.report_id]})


async def test_purge_erases_what_is_due_everywhere_and_nothing_else(database_url: str) -> None:
    now = utcnow()
    due_closed = subject(alert(), "Zhang Wei Ming", "E11111111")
    due_idle = subject(alert(), "Nguyen Van An", "C22222222")
    recent = subject(alert(), "Li Hua", "E33333333")
    open_alert = subject(alert(), "Kim Min Jun", "M44444444")
    seeds = [
        (due_closed, "closed", now - timedelta(days=200)),
        (due_idle, "open", now - timedelta(days=400)),  # nobody closed it in 400 days
        (recent, "closed", now - timedelta(days=10)),
        (open_alert, "acked", now - timedelta(days=200)),  # still under the idle limit
    ]
    for a, status, changed in seeds:
        name = a.report.subjects[0].full_name
        note = f"Sudah dicek, {name} pulang ke hotel"
        await seed_history(database_url, a, status=status, changed=changed, note=note)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        session.add(ConsoleUser(user_id="U1", username="ops", display_name="Ops",
                                password_hash="x", role="operator", office="batulicin",
                                scopes=["63.10"], failed_logins=0, disabled=False))  # fmt: skip
        for days in (800, 100):
            session.add(AuditEntry(at=now - timedelta(days=days), username="ops",
                                   action="view_full", target=due_closed.alert_id))  # fmt: skip
        session.add(StepUpCode(request_id="S1", alert_id=due_closed.alert_id, member_id="camat",
                               status="sent", code_digest="d" * 64, expires_at=now,
                               created_at=now - timedelta(days=800)))  # fmt: skip
    gone = ("E11111111", "Zhang Wei Ming", "C22222222", "Nguyen Van An")
    kept = ("E33333333", "Li Hua", "M44444444", "Kim Min Jun")
    before = await database_text(database_url)
    assert set(hits(before, *gone)) == {
        "routing_alerts",  # last payload and group key
        "routing_processed_reports",
        "alert_versions",
        "acks",  # the member's close note
        "console_alert_notes",
    }

    seen: list[int] = []
    dry = await purge(sessions, Retention(), now=now, dry_run=True, batch=3)
    assert await database_text(database_url) == before  # nothing changed
    done = await purge(
        sessions, Retention(), now=now, batch=3, progress=lambda p: seen.append(p.alerts_seen)
    )
    assert dry == done
    assert (done.alerts_seen, done.alerts, done.versions, done.reports) == (3, 2, 2, 2)
    assert (done.acks, done.notes, done.audit) == (2, 2, 2)  # one audit entry, one code
    assert seen == [3]  # batches of three: the fourth alert changed too recently to look at

    after = await database_text(database_url)
    assert hits(after, *gone) == {}
    assert set(hits(after, *kept)) == set(hits(before, *kept))  # recent and open: untouched
    assert after["routing_alerts"].count(ERASED_NOTE) == 1  # the closed alert's close note
    assert due_closed.alert_id in after["console_audit"]  # the newer audit entry stays
    assert after["console_audit"].count(due_closed.alert_id) == 1

    again = await purge(sessions, Retention(), now=now)
    assert (again.alerts, again.versions, again.audit) == (0, 0, 0)
    assert await database_text(database_url) == after
    await engine.dispose()


async def test_idle_send_buckets_and_closed_whatsapp_windows_go_and_come_back(
    database_url: str,
) -> None:
    """A day unused: a provider bucket (free since) and a WhatsApp window (closed since)
    are deleted; a blocked bucket (a 429's retry-after ahead) and a window still open
    stay. A deleted bucket comes back on its chat's next send, and still limits it."""
    now = utcnow()
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        for key, at in (("telegram:bot:chat:old", now - timedelta(days=3)),
                        ("telegram:bot:chat:blocked", now + timedelta(minutes=5))):  # fmt: skip
            session.add(ProviderBucketRow(bucket_key=key, next_free=at.timestamp()))
        for key, seen in (("old", now - timedelta(days=3)), ("open", now - timedelta(hours=2))):
            session.add(WhatsAppWindowRow(number_key=key, last_inbound_at=seen))
    done = await purge(sessions, Retention(), now=now)
    assert done.idle == 2
    async with sessions() as session:
        assert set(await buckets.snapshot(session=session)) == {"telegram:bot:chat:blocked"}
        windows = await session.scalars(select(WhatsAppWindowRow.number_key))
        assert set(windows) == {"open"}

    # this process knew the deleted row: its next take makes it again, and it still limits
    store = SharedBuckets(sessions)
    store._known.add("telegram:bot:chat:old")

    def take(now: float, state: dict[str, float]) -> tuple[dict[str, float], float]:
        start = max(now, state.get("telegram:bot:chat:old", 0.0))
        return {"telegram:bot:chat:old": start + 1.0}, start

    first = (await store.run({"telegram:bot:chat:old"}, take))[1]
    second = (await store.run({"telegram:bot:chat:old"}, take))[1]
    assert second >= first + 1.0  # one a second: the second waits for the first's slot
    await engine.dispose()
