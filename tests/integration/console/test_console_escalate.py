"""Escalate now, from the console with routing running: the alert's pending escalation is
made due, routing's timer loop takes it one level up with the decision of any due timer;
only an operator of the alert's office may, and only while it is open."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from routing_service.models import AlertRow, EscalationTimer
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.settings import Settings
from tests.integration.console.conftest import Console
from tests.integration.routing.test_routing_service import routing_settings, running, seed
from tests.kafkautil import consume, values

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_escalate_now_goes_one_level_up(console: Console, kafka_settings: Settings) -> None:
    await seed(console.database_url)  # the directory routing escalates through
    alert = console.alerts["batulicin"]
    async with running(routing_settings(kafka_settings, console.database_url)):
        await console.login("view-a")
        refused = await console.client.post(
            f"/alerts/{alert}/escalate", data={"csrf": await console.csrf()}
        )
        assert refused.status_code == 403
        await console.client.post("/logout", data={"csrf": await console.csrf()})
        await console.login("ops-b")
        other = await console.client.post(
            f"/alerts/{alert}/escalate", data={"csrf": await console.csrf()}
        )
        assert other.status_code == 404
        await console.client.post("/logout", data={"csrf": await console.csrf()})

        await console.login("ops-a")
        asked = await console.client.post(
            f"/alerts/{alert}/escalate", data={"csrf": await console.csrf()}
        )
        assert (asked.status_code, asked.headers["location"]) == (
            303,
            f"/alerts/{alert}?done=escalating",
        )
        routed = values(await consume(console.settings, topics.ALERTS_ROUTED, 1, settle=2.0))
        # exactly one new version, to the kabupaten team, none from the refused requests
        assert [(a["alert_id"], a["version"], a["team_id"], a["reason"]) for a in routed] == [
            (alert, 2, "timpora-63.10", "escalation")
        ]
        # a rule that does not escalate by itself has no pending timer: one is added
        engine = make_engine(console.database_url)
        async with transaction(make_sessionmaker(engine)) as session:
            await session.execute(
                update(EscalationTimer)
                .where(EscalationTimer.alert_id == alert, EscalationTimer.state == "pending")
                .values(state="cancelled")
            )
        await engine.dispose()
        again = await console.client.post(
            f"/alerts/{alert}/escalate", data={"csrf": await console.csrf()}
        )
        assert again.status_code == 303
        routed = values(await consume(console.settings, topics.ALERTS_ROUTED, 2, settle=2.0))
        assert [(a["version"], a["team_id"]) for a in routed] == [
            (2, "timpora-63.10"),
            (3, "timpora-63"),
        ]
    story = await console.client.get(f"/alerts/{alert}")
    assert "timpora-63 (provinsi)" in story.text

    # an acknowledged alert is not escalated by hand
    engine = make_engine(console.database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await session.execute(
            update(AlertRow).where(AlertRow.alert_id == alert).values(status="acked")
        )
    await engine.dispose()
    late = await console.client.post(
        f"/alerts/{alert}/escalate", data={"csrf": await console.csrf()}
    )
    assert late.status_code == 409
