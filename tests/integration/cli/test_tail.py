"""``timpora tail``: the latest records of a topic, whitelisted fields only."""

from __future__ import annotations

import json

import orjson
import pytest
from typer.testing import CliRunner

from shared import topics
from shared.pii import mask_passport
from shared.schemas import AlertReason, AlertRouted, Level, Report, Subject, ack_code_for, new_id
from shared.settings import Settings

from .conftest import PASSPORT, invoke, publish, report, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_tail_masks_passport_numbers(cli: CliRunner, kafka_settings: Settings) -> None:
    r = report()
    # subjects first: tail shows the first 400 characters of each value
    data = r.model_dump(mode="json")
    value = orjson.dumps({"subjects": data.pop("subjects"), **data})
    assert Report.model_validate_json(value) == r
    sync(publish(kafka_settings, topics.REPORTS_NORMALIZED, value, key=b"63.10.04"))
    rows = json.loads(invoke(cli, "tail", topics.REPORTS_NORMALIZED, "--json").output)
    assert len(rows) == 1
    assert rows[0]["key"] == "63.10.04"
    value = rows[0]["value"]
    assert PASSPORT not in value
    assert "Zhang Wei Ming" not in value
    assert mask_passport(PASSPORT) not in value  # not even masked: subjects are not shown
    assert '"subjects#":1' in value
    assert r.report_id in value

    table = invoke(cli, "tail", topics.REPORTS_NORMALIZED)
    assert PASSPORT not in table.output
    assert "Zhang Wei Ming" not in table.output


def test_tail_masks_routed_alerts_and_limits_the_count(
    cli: CliRunner, kafka_settings: Settings
) -> None:
    async def send_alerts() -> None:
        for i in range(4):
            alert_id = new_id()
            r = report(subjects=[Subject(full_name="Li Wei", passport_number=f"C{i}7654321")])
            alert = AlertRouted(
                alert_id=alert_id,
                report_id=r.report_id,
                team_id="timpora-63.10.04",
                level=Level.kecamatan,
                jurisdiction_code="63.10.04",
                matched_rules=["illegal-work"],
                reason=AlertReason.new,
                category=r.category,
                severity=r.severity,
                ack_code=ack_code_for(alert_id),
                report=r,
            )
            await publish(
                kafka_settings, topics.ALERTS_ROUTED, alert.model_dump_json().encode(), b"t"
            )

    sync(send_alerts())
    rows = json.loads(invoke(cli, "tail", topics.ALERTS_ROUTED, "-n", "2", "--json").output)
    assert len(rows) == 2
    assert [r["offset"] for r in rows] == [2, 3]  # the latest, oldest first
    for row in rows:
        assert "7654321" not in row["value"]
        assert "Li Wei" not in row["value"]


def test_tail_of_an_empty_topic_and_non_json(cli: CliRunner, kafka_settings: Settings) -> None:
    empty = invoke(cli, "tail", topics.ALERTS_ACKS)
    assert "nothing" in empty.output
    sync(publish(kafka_settings, topics.ALERTS_ACKS, b"\x00\x01not json"))
    rows = json.loads(invoke(cli, "tail", topics.ALERTS_ACKS, "--json").output)
    assert json.loads(rows[0]["value"])["size"] == 10
    assert json.loads(rows[0]["value"])["json"] is False
