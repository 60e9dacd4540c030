"""Console actions are published like a channel's ack: routing and notify read the same
``alerts.acks`` event (channel ``console``), and the action is in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console_service.web.models import AlertNote, AuditEntry
from shared import topics
from shared.db import make_engine, make_sessionmaker
from tests.integration.console.conftest import Console
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_ack_close_and_note_are_published_and_audited(console: Console) -> None:
    alert = console.alerts["batulicin"]
    await console.login("ops-a")
    csrf = await console.csrf()
    ack = await console.client.post(f"/alerts/{alert}/ack", data={"csrf": csrf})
    assert (ack.status_code, ack.headers["location"]) == (303, f"/alerts/{alert}?done=sent_ack")
    note = await console.client.post(
        f"/alerts/{alert}/note", data={"csrf": csrf, "note": "Tim menuju lokasi"}
    )
    assert note.status_code == 303
    close = await console.client.post(
        f"/alerts/{alert}/close", data={"csrf": csrf, "note": "Sudah dideportasi"}
    )
    assert close.status_code == 303

    events = values(await consume(console.settings, topics.ALERTS_ACKS, 2, settle=1.0))
    assert [(e["alert_id"], e["action"], e["channel"], e["member_id"]) for e in events] == [
        (alert, "ack", "console", "console:ops-a"),
        (alert, "close", "console", "console:ops-a"),
    ]
    assert events[1]["note"] == "Sudah dideportasi"
    engine = make_engine(console.database_url)
    async with make_sessionmaker(engine)() as session:
        audit = [
            (e.action, e.target)
            for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
        notes = [n.text for n in await session.scalars(select(AlertNote))]
    await engine.dispose()
    assert audit == [("login", None), ("ack", alert), ("note", alert), ("close", alert)]
    assert notes == ["Tim menuju lokasi"]
    story = await console.client.get(f"/alerts/{alert}")
    assert "Tim menuju lokasi" in story.text
    log = await console.client.get("/audit?q=close")
    assert alert in log.text
