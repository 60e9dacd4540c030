"""Routing's consumers through TestKafkaBroker: normalised reports in, alerts keyed by
team out (or a dead letter); acks in, the alert acknowledged."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker
from sqlalchemy import select

from ingest_service.formats import SourceContext
from ingest_service.intake import intake
from routing_service.app import create_app
from routing_service.deps import RoutingDeps
from routing_service.models import AlertRow, EscalationTimer
from shared import topics
from shared.db import transaction
from shared.directory import replace_directory
from shared.runtime import Runtime
from shared.schemas import (
    AlertAcknowledged,
    AlertReason,
    AlertRouted,
    Level,
    Report,
    ReportRejected,
    Severity,
    SourceFormat,
    Team,
)
from shared.settings import RoutingSettings, Settings

Capture = Callable[[KafkaBroker, Settings, str], list[ConsumerRecord]]
TEAMS = [
    Team(
        team_id="timpora-63",
        name="Timpora Kalimantan Selatan",
        level=Level.provinsi,
        jurisdiction_code="63",
    ),
    Team(
        team_id="timpora-63.10",
        name="Timpora Tanah Bumbu",
        level=Level.kabupaten,
        jurisdiction_code="63.10",
    ),
    Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
    ),
]
MINING = {
    "category": "illegal_work",
    "severity": "medium",
    "location": {"kecamatan_code": "63.10.04"},
    "subjects": [{"full_name": "Li Wei", "nationality": "CHN", "passport_number": "E1234567"}],
    "text": "WNA bekerja di area tambang batubara",
}


def normalised(raw: dict[str, Any]) -> Report:
    """A report as ingest publishes it: parsed and placed (``resolution``) by ingest."""
    ctx = SourceContext(
        source="polres-tanbu", home_area=("63.10", "63.02"), received_at=datetime.now(UTC)
    )
    [report] = intake(SourceFormat.canonical, orjson.dumps(raw), ctx).reports
    assert report.resolution is not None
    return report


@pytest.fixture
async def deps(
    settings_values: dict[str, Any], make_runtime: Callable[[Settings, str], Runtime]
) -> RoutingDeps:
    settings = RoutingSettings(**settings_values)
    deps = RoutingDeps(make_runtime(settings, "timpora-routing"), settings)
    async with transaction(deps.runtime.sessions) as session:
        await replace_directory(session, TEAMS)
    return deps


async def test_report_becomes_alerts_keyed_by_team_and_redelivery_repeats_them(
    deps: RoutingDeps, capture: Capture
) -> None:
    app = create_app(deps=deps)
    assert app.state.deps is deps
    routed = capture(deps.broker, deps.settings, topics.ALERTS_ROUTED)
    report = normalised(MINING)
    body, topic = report.model_dump_json().encode(), deps.settings.topic(topics.REPORTS_NORMALIZED)

    async with TestKafkaBroker(deps.broker) as broker:
        await broker.publish(body, topic, key=report.partition_key().encode())
        first = list(routed)
        await broker.publish(body, topic, key=report.partition_key().encode())  # redelivered

    alerts = {r.key: AlertRouted.model_validate_json(r.value) for r in first}
    assert set(alerts) == {b"timpora-63.10.04", b"timpora-63.10"}
    for key, alert in alerts.items():
        assert alert.team_id.encode() == key
        assert (alert.report_id, alert.report.report_id) == (report.report_id, report.report_id)
        assert alert.matched_rules == ["illegal-work-mining"]
        assert (alert.reason, alert.severity, alert.version) == (
            AlertReason.new,
            Severity.high,
            1,
        )
    assert alerts[b"timpora-63.10.04"].level is Level.kecamatan
    assert alerts[b"timpora-63.10"].level is Level.kabupaten
    # the redelivered report re-emits exactly the same alerts (ids and versions)
    assert [(r.key, r.value) for r in routed[len(first) :]] == [(r.key, r.value) for r in first]


async def test_report_without_resolution_is_dead_lettered(
    deps: RoutingDeps, capture: Capture
) -> None:
    create_app(deps=deps)
    routed = capture(deps.broker, deps.settings, topics.ALERTS_ROUTED)
    rejected = capture(deps.broker, deps.settings, topics.REPORTS_REJECTED)
    body = normalised(MINING).model_copy(update={"resolution": None}).model_dump_json().encode()

    async with TestKafkaBroker(deps.broker) as broker:
        await broker.publish(body, deps.settings.topic(topics.REPORTS_NORMALIZED))

    assert routed == []
    [record] = rejected
    rejection = ReportRejected.model_validate_json(record.value)
    assert rejection.source == "routing"
    assert rejection.original_topic == topics.REPORTS_NORMALIZED
    assert base64.b64decode(rejection.original_b64 or "") == body
    assert [(r.code, r.path) for r in rejection.reasons] == [("invalid_message", "resolution")]


async def test_ack_marks_the_alert_acknowledged_and_cancels_its_timers(
    deps: RoutingDeps, capture: Capture
) -> None:
    create_app(deps=deps)
    routed = capture(deps.broker, deps.settings, topics.ALERTS_ROUTED)
    report = normalised(MINING)

    async with TestKafkaBroker(deps.broker) as broker:
        await broker.publish(
            report.model_dump_json().encode(), deps.settings.topic(topics.REPORTS_NORMALIZED)
        )
        alert = next(
            a
            for a in (AlertRouted.model_validate_json(r.value) for r in routed)
            if a.level is Level.kecamatan
        )
        ack = AlertAcknowledged(
            alert_id=alert.alert_id, ack_code=alert.ack_code, member_id="camat", channel="sms"
        )
        await broker.publish(
            ack.model_dump_json().encode(), deps.settings.topic(topics.ALERTS_ACKS)
        )

    async with deps.runtime.sessions() as session:
        acked = await session.get(AlertRow, alert.alert_id)
        timers = (
            await session.scalars(
                select(EscalationTimer).where(EscalationTimer.alert_id == alert.alert_id)
            )
        ).all()
        others = (
            await session.scalars(select(AlertRow).where(AlertRow.alert_id != alert.alert_id))
        ).all()
    assert acked is not None
    assert (acked.status, acked.acked_by) == ("acked", "camat")
    assert acked.acked_at == ack.acknowledged_at
    assert [t.state for t in timers] == ["cancelled"]  # its escalation will not fire
    assert [o.status for o in others] == ["open"]  # the kabupaten team's alert stays open
