"""Shared by the CLI tests: the ``cli`` runner fixture, ``invoke``, ``publish``, a sample report."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from console_service.cli import app
from shared.schemas import Category, Location, Report, Severity, Subject
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
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
