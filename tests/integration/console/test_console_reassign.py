"""Reassign, from the console with routing running: the operator gives an open alert to
another team of the office's area; routing's timer loop publishes one new version for
that team (reason ``reassigned``) and starts that team's ladder. Refused (and nothing
published) for a viewer, another office's operator, a team outside the scopes, the same
team, an alert that is no longer open, and without a CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from routing_service.models import AlertRow, EscalationTimer, Reassignment
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.settings import Settings
from tests.integration.console.conftest import Console
from tests.integration.routing.test_routing_service import routing_settings, running, seed
from tests.kafkautil import consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SIMPANG_EMPAT, SATUI = "timpora-63.10.06", "timpora-63.10.04"


async def test_an_operator_gives_an_alert_to_another_team(
    console: Console, kafka_settings: Settings
) -> None:
    await seed(console.database_url)  # the directory routing knows
    alert = console.alerts["batulicin"]  # with Simpang Empat's team
    engine = make_engine(console.database_url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:  # its rule escalates after 10 minutes
        await session.execute(
            update(AlertRow).where(AlertRow.alert_id == alert).values(escalate_after_s=600)
        )

    async def reassign(team_id: str, csrf: bool = True) -> tuple[int, str]:
        data = {"team_id": team_id} | ({"csrf": await console.csrf()} if csrf else {})
        answer = await console.client.post(f"/alerts/{alert}/reassign", data=data)
        return answer.status_code, answer.headers.get("location", "")

    async with running(routing_settings(kafka_settings, console.database_url)):
        await console.login("view-a")
        assert (await reassign(SATUI))[0] == 403  # a viewer does not act
        await console.client.post("/logout", data={"csrf": await console.csrf()})
        await console.login("ops-b")
        assert (await reassign(SATUI))[0] == 404  # another office's alert
        await console.client.post("/logout", data={"csrf": await console.csrf()})

        await console.login("ops-a")
        story = await console.client.get(f"/alerts/{alert}")
        assert f'<option value="{SATUI}">' in story.text  # a team of the office's area
        assert f'<option value="{SIMPANG_EMPAT}">' not in story.text  # not its own team
        assert 'value="timpora-63"' not in story.text  # the province lies outside the scopes
        assert (await reassign(SATUI, csrf=False))[0] == 403
        assert (await reassign("timpora-63"))[0] == 404  # outside the scopes
        assert (await reassign("no-such-team"))[0] == 404
        assert (await reassign(SIMPANG_EMPAT))[0] == 409  # it is already there
        assert await reassign(SATUI) == (303, f"/alerts/{alert}?done=reassigning")

        routed = values(await consume(console.settings, topics.ALERTS_ROUTED, 1, settle=2.0))
        # exactly one new version, to Satui's team, none from the refused requests
        assert [
            (a["alert_id"], a["version"], a["team_id"], a["jurisdiction_code"], a["reason"])
            for a in routed
        ] == [(alert, 2, SATUI, "63.10.04", "reassigned")]
        assert routed[0]["ack_code"] == "K7Q2"

    async with sessions() as session:
        row = await session.get(AlertRow, alert)
        assert row is not None
        assert (row.team_id, row.version, row.status, row.escalation_step) == (SATUI, 2, "open", 0)
        timers = (
            await session.execute(
                select(EscalationTimer.state, EscalationTimer.step).where(
                    EscalationTimer.alert_id == alert
                )
            )
        ).all()
        # the old ladder's step is cancelled, the new team's first step pending
        assert sorted(timers) == [("cancelled", 1), ("pending", 1)]
        requests = (await session.scalars(select(Reassignment))).all()
        assert [(r.team_id, r.state, r.requested_by) for r in requests] == [
            (SATUI, "done", "console:ops-a")
        ]
    story = await console.client.get(f"/alerts/{alert}")
    assert f"{SATUI} (kecamatan)" in story.text
    assert "console:ops-a → timpora-63.10.04" in story.text
    audit = await console.client.get("/audit?q=reassign")
    assert alert in audit.text

    # an alert someone acknowledged has an owner: not moved by hand
    async with transaction(sessions) as session:
        await session.execute(
            update(AlertRow).where(AlertRow.alert_id == alert).values(status="acked")
        )
    await engine.dispose()
    assert (await reassign(SIMPANG_EMPAT))[0] == 409


async def test_routing_refuses_a_request_it_cannot_honour(
    console: Console, kafka_settings: Settings
) -> None:
    """A request the console let through but routing's directory lacks (a team deleted
    in between) is refused with the reason, and nothing is published."""
    await seed(console.database_url)
    alert = console.alerts["batulicin"]
    engine = make_engine(console.database_url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        session.add(Reassignment(alert_id=alert, team_id="gone-team", requested_by="console:x"))

    async def decided() -> Reassignment | None:
        async with sessions() as session:
            request = await session.scalar(select(Reassignment))
            return request if request is not None and request.state != "pending" else None

    async with running(routing_settings(kafka_settings, console.database_url)):
        request = await wait_for(decided, timeout=20)
        assert (request.state, request.refusal) == ("refused", "unknown_team")
        assert await consume(console.settings, topics.ALERTS_ROUTED, 0, settle=1.0) == []
    await engine.dispose()
