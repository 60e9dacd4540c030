"""The attack: personal data on the topics, in shapes and fields the old masking missed
(a report's free text, a raw upstream payload, a dead letter's original, an ack's note).
``timpora tail`` prints whitelisted fields only, raw input as size and SHA-256, and
``deadletters show`` masks the original. Real Kafka, the real CLI.
"""

from __future__ import annotations

import base64
import hashlib
import json

import orjson
import pytest
from typer.testing import CliRunner

from shared import topics
from shared.schemas import AlertAcknowledged, Reason, Reporter, ReportRejected, new_id
from shared.settings import Settings
from tests.integration.cli.conftest import cli, invoke, publish, report, sync

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
assert cli  # the runner fixture, used by name

SECRETS = ("C01X00T47", "0812-3456-7890", "Ivan", "Petrov", "Zhang", "E12345678", "Hotel Ebony")
TEXT = "WNA bernama Ivan Petrov paspor C01X00T47 HP 0812-3456-7890 bersama Zhang Wei Ming"


def _all_output(cli: CliRunner, topic: str) -> str:
    return invoke(cli, "tail", topic, "--json").output + invoke(cli, "tail", topic).output


def test_tail_shows_whitelisted_fields_only(cli: CliRunner, kafka_settings: Settings) -> None:
    r = report(text=TEXT, reporter=Reporter(name="Resepsionis Hotel Ebony", phone="+6281234"))
    sync(publish(kafka_settings, topics.REPORTS_NORMALIZED, r.model_dump_json().encode(), b"k"))
    ack = AlertAcknowledged(alert_id=new_id(), ack_code="7KQ2M", channel="sms", action="close",
                            note="sudah ditangani, Ivan Petrov C01X00T47 dipulangkan")  # fmt: skip
    sync(publish(kafka_settings, topics.ALERTS_ACKS, ack.model_dump_json().encode()))
    for topic in (topics.REPORTS_NORMALIZED, topics.ALERTS_ACKS):
        output = _all_output(cli, topic)
        for clear in SECRETS:
            assert clear not in output, (topic, clear)
    [row] = json.loads(invoke(cli, "tail", topics.REPORTS_NORMALIZED, "--json").output)
    value = json.loads(row["value"])
    assert value["report_id"] == r.report_id
    assert value["location.kecamatan_code"] == "63.10.04"
    assert value["subjects#"] == 1
    assert "text" not in value
    assert "subjects" not in value
    [ack_row] = json.loads(invoke(cli, "tail", topics.ALERTS_ACKS, "--json").output)
    acked = json.loads(ack_row["value"])
    assert acked["ack_code"] == "7K***"
    assert acked["action"] == "close"
    assert "note" not in acked


def test_tail_of_raw_input_is_size_and_hash(cli: CliRunner, kafka_settings: Settings) -> None:
    raw = orjson.dumps({"tamu": {"nama_lengkap": "Ivan Petrov", "nomor_paspor": "C01X00T47"}})
    apoa = topics.raw_topic("apoa-kalsel")
    sync(publish(kafka_settings, apoa, raw, key=b"C01X00T47"))
    output = _all_output(cli, apoa)
    for clear in SECRETS:
        assert clear not in output, clear
    [row] = json.loads(invoke(cli, "tail", apoa, "--json").output)
    assert json.loads(row["value"]) == {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}


def test_deadletters_show_masks_the_original(cli: CliRunner, kafka_settings: Settings) -> None:
    original = orjson.dumps(
        {
            "id_laporan": "APOA-6310-2026-000123",
            "tamu": {"nama_lengkap": "Ivan Petrov", "nomor_paspor": "C01X00T47",
                     "no_hp": "0812-3456-7890"},
            "catatan": "tamu Ivan Petrov menginap di Hotel Satui",
        }
    )  # fmt: skip
    dead = ReportRejected(
        source="apoa-tanbu",
        reasons=[Reason(code="invalid_field", message="nomor_paspor C01X00T47 is invalid")],
        original_b64=base64.b64encode(original).decode(),
        original_size=len(original),
        original_topic=topics.REPORTS_RAW,
    )
    sync(publish(kafka_settings, topics.REPORTS_REJECTED, dead.model_dump_json().encode()))
    shown = invoke(cli, "deadletters", "show", dead.rejection_id).output
    for clear in ("C01X00T47", "0812-3456-7890", "Ivan", "Petrov"):
        assert clear not in shown, clear
    assert "APOA-6310-2026-000123" in shown
    assert "C01****47" in shown
    assert "menginap di Hotel Satui" in shown
    assert "invalid_field" in shown
