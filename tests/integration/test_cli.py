"""The operator CLI (``timpora``) against the real Kafka broker and a fresh PostgreSQL.

The CLI runs ``asyncio.run`` itself, so these tests are plain functions; the async
fixtures (topics, database) are resolved by pytest before the test body runs, and the
few async steps of the tests (publishing, inserting rows) run in their own
``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from typer.testing import CliRunner

from console_service.cli import app
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import load_directory
from shared.pii import mask_passport
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Level,
    Location,
    Reason,
    Report,
    ReportRejected,
    Severity,
    SourceFormat,
    Subject,
    ack_code_for,
    new_id,
)
from shared.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
TEAMS_FILE = ROOT / "config" / "teams.yaml"
PASSPORT = "E12345678"
T = TypeVar("T")


def sync(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture
def cli(kafka_settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose environment points the CLI at this test's topics and database."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_settings.kafka_bootstrap_servers)
    monkeypatch.setenv("TIMPORA_TOPIC_PREFIX", kafka_settings.topic_prefix)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")  # wide tables: no wrapping inside values
    monkeypatch.chdir(ROOT)
    return CliRunner()


def invoke(runner: CliRunner, *args: str, ok: bool = True) -> Any:
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


async def publish(
    settings: Settings,
    topic: str,
    value: bytes,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(topic), value, key=key, headers=headers)
    finally:
        await producer.stop()


def report(**overrides: object) -> Report:
    fields: dict[str, object] = {
        "source": "polres-tanbu",
        "category": Category.illegal_work,
        "severity": Severity.high,
        "location": Location(
            kecamatan_code="63.10.04",
            kecamatan_name="Satui",
            kabupaten_code="63.10",
            kabupaten_name="Kabupaten Tanah Bumbu",
        ),
        "subjects": [
            Subject(
                full_name="Zhang Wei Ming",
                nationality="CHN",
                passport_number=PASSPORT,
                date_of_birth=date(1985, 3, 12),
            )
        ],
        "text": "WNA bekerja di area tambang",
    }
    return Report(**(fields | overrides))


# --------------------------------------------------------------------------- help


def test_help_explains_every_command() -> None:
    runner = CliRunner()
    root = invoke(runner, "--help")
    for command in (
        "topics",
        "deadletters",
        "teams",
        "route",
        "silences",
        "db",
        "lag",
        "tail",
        "deliveries",
    ):
        assert command in root.output
    assert "Timpora Alert Router" in root.output

    expected = {
        "topics": ["create", "list", "Kafka topics"],
        "deadletters": ["list", "show", "replay", "reports.rejected"],
        "teams": ["import", "export", "YAML"],
        "route": ["explain"],
        "silences": ["add", "list", "expire"],
        "db": ["upgrade", "Alembic"],
    }
    for sub, words in expected.items():
        result = invoke(runner, sub, "--help")
        for word in words:
            assert word in result.output, (sub, word)

    tail = invoke(runner, "tail", "--help")
    assert "masked" in tail.output
    assert "--json" in tail.output
    add = invoke(runner, "silences", "add", "--help")
    for option in ("--comment", "--hours", "--jurisdiction", "--team", "--category"):
        assert option in add.output


def test_no_arguments_shows_help() -> None:
    result = CliRunner().invoke(app, [])
    assert "Usage" in result.output
    assert "teams" in result.output


# --------------------------------------------------------------------------- teams


def test_teams_import_then_export_round_trips(cli: CliRunner, tmp_path: Path) -> None:
    imported = invoke(cli, "teams", "import", str(TEAMS_FILE))
    assert "imported 37 teams" in imported.output

    exported = invoke(cli, "teams", "export")
    data = yaml.safe_load(exported.output)
    assert len(data["teams"]) == 37
    original = load_directory(TEAMS_FILE)
    copy = tmp_path / "teams.yaml"
    copy.write_text(exported.output, encoding="utf-8")
    assert load_directory(copy) == sorted(original, key=lambda t: t.jurisdiction_code)

    # importing the export is a full replace that changes nothing
    assert "imported 37 teams" in invoke(cli, "teams", "import", str(copy)).output
    assert invoke(cli, "teams", "export").output == exported.output


def test_teams_import_refuses_an_invalid_file(cli: CliRunner, tmp_path: Path) -> None:
    invoke(cli, "teams", "import", str(TEAMS_FILE))
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams:\n- team_id: x\n  level: galaxy\n", encoding="utf-8")
    result = invoke(cli, "teams", "import", str(bad), ok=False)
    assert result.exit_code != 0
    assert len(yaml.safe_load(invoke(cli, "teams", "export").output)["teams"]) == 37


# --------------------------------------------------------------------------- topics


def test_topics_list_json(cli: CliRunner, kafka_settings: Settings) -> None:
    sync(publish(kafka_settings, topics.REPORTS_RAW, b"{}"))
    rows = json.loads(invoke(cli, "topics", "list", "--json").output)
    assert [r["topic"] for r in rows] == [kafka_settings.topic(t.name) for t in topics.TOPICS]
    assert len(rows) == 6
    assert all(r["partitions"] == 3 for r in rows)
    by_name = {r["topic"]: r for r in rows}
    assert by_name[kafka_settings.topic(topics.REPORTS_RAW)]["messages"] == 1
    assert by_name[kafka_settings.topic(topics.ALERTS_ROUTED)]["messages"] == 0
    assert by_name[kafka_settings.topic(topics.REPORTS_REJECTED)]["retention_days"] == 30
    assert all(r["description"] for r in rows)


def test_topics_list_table(cli: CliRunner, kafka_settings: Settings) -> None:
    result = invoke(cli, "topics", "list")
    assert kafka_settings.topic(topics.ALERTS_ROUTED) in result.output
    assert "partitions" in result.output


# --------------------------------------------------------------------------- tail


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
    assert f'"passport_number":"{mask_passport(PASSPORT)}"' in value
    assert '"full_name":"Z. W. M."' in value
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
    assert rows[0]["value"].startswith('"<10 bytes, not JSON>')


# --------------------------------------------------------------------------- dead letters

RAW = orjson.dumps(
    {
        "laporan": [
            {
                "id_laporan": "APOA-6310-2026-000123",
                "tamu": {"nama_lengkap": "LI WEI", "nomor_paspor": "e 1234 5678"},
            }
        ]
    }
)


def rejection(**overrides: object) -> ReportRejected:
    fields: dict[str, object] = {
        "source": "apoa-tanbu",
        "source_format": SourceFormat.lodging,
        "reasons": [
            Reason(code="invalid_field", message="tgl_masuk is missing", path="laporan.0"),
            Reason(code="unknown_region", message="kode_wilayah 999999 is unknown"),
        ],
        "original_b64": base64.b64encode(RAW).decode(),
        "original_size": len(RAW),
        "original_sha256": hashlib.sha256(RAW).hexdigest(),
        "original_topic": topics.REPORTS_RAW,
        "headers": {
            "format": "lodging",
            "source": "apoa-tanbu",
            "content-type": "application/json",
        },
    }
    return ReportRejected(**(fields | overrides))


async def read_all(settings: Settings, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(
        settings.topic(topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                return records
            for recs in batch.values():
                records += recs
    finally:
        await consumer.stop()


def test_deadletters_list_show_replay(cli: CliRunner, kafka_settings: Settings) -> None:
    first, second = rejection(), rejection(source="polres-tanbu", source_format=None)
    for r in (first, second):
        sync(publish(kafka_settings, topics.REPORTS_REJECTED, r.model_dump_json().encode(), b"i"))

    rows = json.loads(invoke(cli, "deadletters", "list", "--json").output)
    assert {r["rejection_id"] for r in rows} == {first.rejection_id, second.rejection_id}
    mine = next(r for r in rows if r["rejection_id"] == first.rejection_id)
    assert mine["source"] == "apoa-tanbu"
    assert mine["format"] == "lodging"
    assert mine["reason"] == "invalid_field: tgl_masuk is missing"
    assert mine["replay_to"] == "reports.raw"
    assert "e 1234 5678" not in json.dumps(rows)
    assert len(json.loads(invoke(cli, "deadletters", "list", "-n", "1", "--json").output)) == 1
    table = invoke(cli, "deadletters", "list")
    assert first.rejection_id in table.output

    shown = invoke(cli, "deadletters", "show", first.rejection_id)
    assert first.rejection_id in shown.output
    assert "tgl_masuk is missing" in shown.output
    assert "kode_wilayah 999999 is unknown" in shown.output
    assert "APOA-6310-2026-000123" in shown.output  # the original bytes, as text

    replayed = invoke(cli, "deadletters", "replay", first.rejection_id)
    target = kafka_settings.topic(topics.REPORTS_RAW)
    assert f"replayed {first.rejection_id} to {target}" in replayed.output
    raw = sync(read_all(kafka_settings, topics.REPORTS_RAW))
    assert len(raw) == 1
    assert raw[0].value == RAW
    headers = dict(raw[0].headers)
    assert headers["format"] == b"lodging"
    assert headers["source"] == b"apoa-tanbu"
    assert headers["content-type"] == b"application/json"


def test_deadletters_replay_to_another_topic(cli: CliRunner, kafka_settings: Settings) -> None:
    dead = rejection(original_topic=topics.REPORTS_NORMALIZED, headers={"partition": "0"})
    sync(publish(kafka_settings, topics.REPORTS_REJECTED, dead.model_dump_json().encode()))
    invoke(cli, "deadletters", "replay", dead.rejection_id)
    normalized = sync(read_all(kafka_settings, topics.REPORTS_NORMALIZED))
    assert [r.value for r in normalized] == [RAW]
    assert normalized[0].headers == ()  # no ingest headers outside reports.raw

    invoke(cli, "deadletters", "replay", dead.rejection_id, "--topic", topics.REPORTS_RAW)
    raw = sync(read_all(kafka_settings, topics.REPORTS_RAW))
    assert [r.value for r in raw] == [RAW]
    assert dict(raw[0].headers) == {"format": b"lodging", "source": b"apoa-tanbu"}


def test_deadletters_unknown_id(cli: CliRunner, kafka_settings: Settings) -> None:
    sync(publish(kafka_settings, topics.REPORTS_REJECTED, rejection().model_dump_json().encode()))
    missing = new_id()
    shown = invoke(cli, "deadletters", "show", missing, ok=False)
    assert shown.exit_code != 0
    assert f"no rejection {missing}" in shown.output
    replay = invoke(cli, "deadletters", "replay", missing, ok=False)
    assert replay.exit_code != 0
    assert sync(read_all(kafka_settings, topics.REPORTS_RAW)) == []


# --------------------------------------------------------------------------- lag


async def commit_group(settings: Settings, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        parts = {TopicPartition(settings.topic(topic), p): o for p, o in offsets.items()}
        consumer.assign(list(parts))
        await consumer.commit(parts)
    finally:
        await consumer.stop()


def test_lag_json_after_a_group_committed(cli: CliRunner, kafka_settings: Settings) -> None:
    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            for i in range(5):
                await producer.send_and_wait(
                    kafka_settings.topic(topics.REPORTS_RAW), b"x%d" % i, partition=0
                )
            await producer.send_and_wait(
                kafka_settings.topic(topics.REPORTS_RAW), b"y", partition=1
            )
        finally:
            await producer.stop()

    sync(produce())
    group = kafka_settings.group("ingest")
    sync(commit_group(kafka_settings, group, topics.REPORTS_RAW, {0: 2, 1: 1}))

    rows = json.loads(invoke(cli, "lag", "--group", group, "--json").output)
    assert {(r["partition"], r["committed"], r["end"], r["lag"]) for r in rows} == {
        (0, 2, 5, 3),
        (1, 1, 1, 0),
    }
    assert {r["group"] for r in rows} == {group}
    assert {r["topic"] for r in rows} == {kafka_settings.topic(topics.REPORTS_RAW)}

    table = invoke(cli, "lag", "--group", group)
    assert group in table.output
    nobody = json.loads(invoke(cli, "lag", "--group", group + "-none", "--json").output)
    assert nobody == []


# --------------------------------------------------------------------------- silences


def test_silences_add_list_expire(cli: CliRunner) -> None:
    added = invoke(
        cli,
        "silences",
        "add",
        "--comment",
        "Operasi gabungan di Satui, jangan ganggu",
        "--jurisdiction",
        "63.10.04",
        "--category",
        "illegal_work",
        "--category",
        "overstay",
        "--hours",
        "2",
        "--created-by",
        "kasi-inteldakim",
    )
    assert added.output.startswith("silence ")
    silence_id = added.output.split()[1]

    rows = json.loads(invoke(cli, "silences", "list", "--json").output)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == silence_id
    assert row["active"] is True
    assert row["by"] == "kasi-inteldakim"
    assert row["comment"] == "Operasi gabungan di Satui, jangan ganggu"
    assert json.loads(row["matchers"]) == {
        "jurisdiction_prefix": "63.10.04",
        "category": ["illegal_work", "overstay"],
    }
    ends = datetime.fromisoformat(row["ends_at"])
    assert timedelta(minutes=118) < ends - datetime.now(UTC) <= timedelta(hours=2)
    assert silence_id in invoke(cli, "silences", "list").output

    expired = invoke(cli, "silences", "expire", silence_id)
    assert f"silence {silence_id} expired" in expired.output
    rows = json.loads(invoke(cli, "silences", "list", "--json").output)
    assert [(r["id"], r["active"]) for r in rows] == [(silence_id, False)]


def test_silence_without_matcher_or_comment_is_refused(cli: CliRunner) -> None:
    no_matcher = invoke(cli, "silences", "add", "--comment", "everything", ok=False)
    assert no_matcher.exit_code != 0
    message = no_matcher.output + str(no_matcher.exception or "")
    assert "matcher" in message

    no_comment = invoke(cli, "silences", "add", "--team", "timpora-63.10.04", ok=False)
    assert no_comment.exit_code != 0
    assert "--comment" in no_comment.output

    blank = invoke(cli, "silences", "add", "--comment", "  ", "--team", "t", ok=False)
    assert blank.exit_code != 0
    assert "comment" in blank.output + str(blank.exception or "")

    assert json.loads(invoke(cli, "silences", "list", "--json").output) == []


# --------------------------------------------------------------------------- deliveries


async def insert_deliveries(database_url: str, rows: list[dict[str, Any]]) -> None:
    from notify_service.models import DeliveryRow

    engine = make_engine(database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            session.add_all(DeliveryRow(**row) for row in rows)
    finally:
        await engine.dispose()


def delivery(report_id: str, alert_id: str, **values: object) -> dict[str, Any]:
    created = values.pop("created_at", datetime(2026, 1, 10, 6, 0, tzinfo=UTC))
    return {
        "delivery_id": new_id(),
        "alert_id": alert_id,
        "alert_version": 1,
        "report_id": report_id,
        "team_id": "timpora-63.10.04",
        "member_id": "m0010",
        "channel": "sms",
        "ack_code": ack_code_for(alert_id),
        "status": "sent",
        "attempts": 1,
        "provider_message_id": "kannel-42",
        "alert": {},
        "created_at": created,
        "updated_at": created,
        **values,
    }


def test_deliveries_for_a_report(cli: CliRunner, database_url: str) -> None:
    report_id, alert_id, other = new_id(), new_id(), new_id()
    t0 = datetime(2026, 1, 10, 6, 0, tzinfo=UTC)
    sync(
        insert_deliveries(
            database_url,
            [
                delivery(report_id, alert_id, created_at=t0),
                delivery(
                    report_id,
                    alert_id,
                    member_id="m0011",
                    channel="telegram",
                    status="gave_up",
                    attempts=4,
                    provider_message_id=None,
                    error="HTTP 403: bot was blocked by the user",
                    created_at=t0 + timedelta(seconds=1),
                ),
                delivery(
                    report_id,
                    alert_id,
                    alert_version=2,
                    member_id="m0012",
                    channel="none",
                    status="skipped",
                    attempts=0,
                    error="off duty",
                    created_at=t0 + timedelta(seconds=2),
                ),
                delivery(other, new_id(), member_id="m0099"),
            ],
        )
    )
    rows = json.loads(invoke(cli, "deliveries", "--report", report_id, "--json").output)
    assert [(r["member"], r["channel"], r["status"], r["attempts"]) for r in rows] == [
        ("m0010", "sms", "sent", 1),
        ("m0011", "telegram", "gave_up", 4),
        ("m0012", "none", "skipped", 0),
    ]
    assert rows[0]["alert"] == f"{alert_id} v1"
    assert rows[2]["alert"] == f"{alert_id} v2"
    assert rows[0]["provider_id"] == "kannel-42"
    assert rows[1]["error"] == "HTTP 403: bot was blocked by the user"
    assert rows[0]["team"] == "timpora-63.10.04"
    assert rows[0]["updated"] == "2026-01-10T06:00:00+00:00"

    table = invoke(cli, "deliveries", "--report", report_id)
    for member in ("m0010", "m0011", "m0012"):
        assert member in table.output
    assert "m0099" not in table.output

    by_alert = json.loads(invoke(cli, "deliveries", "--alert", alert_id, "--json").output)
    assert len(by_alert) == 3
    assert json.loads(invoke(cli, "deliveries", "--report", new_id(), "--json").output) == []


def test_deliveries_needs_a_report_or_an_alert(cli: CliRunner) -> None:
    result = invoke(cli, "deliveries", ok=False)
    assert result.exit_code == 2
    assert "give --report or --alert" in result.output


# --------------------------------------------------------------------------- route explain


def test_route_explain(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(report().model_dump_json())
    result = json.loads(
        invoke(cli, "route", "explain", str(path), "--teams", str(TEAMS_FILE), "--json").output
    )
    assert result["resolution"].startswith("63.10.04 Satui (level kecamatan")
    targets = {t["level"]: t for t in result["targets"]}
    assert targets["kecamatan"]["team"] == "timpora-63.10.04"
    assert targets["kecamatan"]["jurisdiction"] == "63.10.04"
    assert targets["kabupaten"]["team"] == "timpora-63.10"
    for target in result["targets"]:
        assert target["rules"]
        assert target["severity"] == "high"

    table = invoke(cli, "route", "explain", str(path), "--teams", str(TEAMS_FILE))
    assert "jurisdiction" in table.output
    assert "route 1" in table.output
    assert "timpora-63.10.04" in table.output


def test_route_explain_without_a_precise_place(cli: CliRunner, tmp_path: Path) -> None:
    vague = report(
        location=Location(kabupaten_name="Tanah Bumbu"),
        subjects=[],
        category=Category.presence,
        severity=Severity.info,
    )
    path = tmp_path / "vague.json"
    path.write_text(vague.model_dump_json())
    result = json.loads(invoke(cli, "route", "explain", str(path), "--json").output)
    assert result["resolution"].startswith("63.10 ")
    assert [t["team"] for t in result["targets"]] == ["timpora-63.10"]


def test_route_explain_refuses_an_invalid_report(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"source": 12}')
    result = invoke(cli, "route", "explain", str(path), ok=False)
    assert result.exit_code != 0
