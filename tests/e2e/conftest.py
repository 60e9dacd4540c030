"""The whole pipeline in one process: ingest, routing and notify apps (each with its own
broker connection and consumer group), real Kafka and PostgreSQL, provider-API sinks."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest

from devtools import Sinks
from ingest_service.app import create_app as create_ingest
from notify_service.app import create_app as create_notify
from routing_service.app import create_app as create_routing
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import load_directory, replace_directory
from shared.observability import setup_logging
from shared.schemas import Member
from shared.settings import IngestSettings, NotifySettings, RoutingSettings, Settings
from tests.kafkautil import DEV_SOURCES
from tests.pii_scan import Submitted, provider_texts

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Pipeline:
    ingest: httpx.AsyncClient
    notify: httpx.AsyncClient
    sinks: Sinks
    settings: Settings
    database_url: str


async def seed_teams(database_url: str, extra: Mapping[str, list[Member]] | None = None) -> None:
    """The seed directory without quiet hours: deliveries happen whatever the wall clock
    (``extra``: more members, by team id)."""
    teams = load_directory(ROOT / "config" / "teams.yaml")
    for team in teams:
        for member in team.members:
            member.quiet_hours = None
        team.members.extend((extra or {}).get(team.team_id, []))
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, teams)
    await engine.dispose()


def fast_policy(
    tmp_path: Path, escalate_after: str | None, edit: Callable[[str], str] | None = None
) -> Path:
    """The shipped policy, with every escalation timeout replaced (or left as shipped),
    then ``edit`` applied to its text."""
    text = (ROOT / "routing_service" / "config" / "policy.yaml").read_text()
    if escalate_after:
        text = re.sub(r"escalate_after: \d+[smhd]", f"escalate_after: {escalate_after}", text)
    if edit is not None:
        text = edit(text)
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def pipeline_factory(
    kafka_settings: Settings,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_passport_in_logs: Scan,
) -> Callable[..., AsyncIterator[Pipeline]]:
    scan = no_passport_in_logs

    async def submitted(request: httpx.Request) -> None:
        scan.submitted.record(request)

    async def start(
        escalate_after: str | None = None,
        extra: Mapping[str, list[Member]] | None = None,
        policy_edit: Callable[[str], str] | None = None,
    ) -> AsyncIterator[Pipeline]:
        await seed_teams(database_url, extra)
        sinks = Sinks()
        await sinks.start()
        common = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.kafka_bootstrap_servers,
            "TIMPORA_TOPIC_PREFIX": kafka_settings.topic_prefix,
            "DATABASE_URL": database_url,
            "NOTIFY_RETRY_BASE_SECONDS": "0.2",
            "NOTIFY_INBOUND_KEY": "inbound-e2e",
            "NOTIFY_DIRECTORY_CACHE_SECONDS": "1",
            "ROUTING_ESCALATION_POLL_SECONDS": "0.2",
            "ROUTING_DIRECTORY_REFRESH_SECONDS": "1",
            "ROUTING_POLICY_FILE": str(fast_policy(tmp_path, escalate_after, policy_edit)),
            **sinks.notify_env(),
        }
        for key, value in common.items():
            monkeypatch.setenv(key, value)
        apps = [
            create_ingest(IngestSettings()),
            create_routing(RoutingSettings()),
            create_notify(NotifySettings()),
        ]
        async with AsyncExitStack() as stack:
            for app in apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
            ingest = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=apps[0]),
                    base_url="http://ingest",
                    event_hooks={"request": [submitted]},
                )
            )
            notify = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=apps[2]), base_url="http://notify"
                )
            )
            yield Pipeline(ingest, notify, sinks, kafka_settings, database_url)
        for channel, texts in provider_texts(sinks).items():
            scan.leaks += scan.submitted.hits(f"{channel} message", texts)
        await sinks.stop()
        views = await asyncio.to_thread(operator_views)  # its own event loop (asyncio.run)
        scan.leaks += scan.submitted.hits("timpora", views)

    return start


def operator_views() -> list[str]:
    """What an operator's CLI shows of this run (settings from the environment the test
    set): ``tail`` of every topic, every dead letter listed and shown."""
    from typer.testing import CliRunner

    from console_service.cli import app as timpora

    runner = CliRunner()
    out = []
    for spec in topics.registry(DEV_SOURCES):
        shown = runner.invoke(timpora, ["tail", spec.name, "-n", "50", "--json"])
        assert shown.exit_code == 0, shown.output
        out.append(shown.output)
    listed = runner.invoke(timpora, ["deadletters", "list", "-n", "50", "--json"])
    assert listed.exit_code == 0, listed.output
    for row in orjson.loads(listed.output):
        shown = runner.invoke(timpora, ["deadletters", "show", row["rejection_id"]])
        assert shown.exit_code == 0, shown.output
        out.append(shown.output)
    return [*out, listed.output]


PASSPORTS = re.compile(r"M12345678|C7654321|V1234567|B100000\d|E12345678")


@dataclass
class Scan:
    submitted: Submitted = field(default_factory=Submitted)
    leaks: list[str] = field(default_factory=list)


@pytest.fixture
def no_passport_in_logs() -> Iterator[Scan]:
    """Security check on every e2e run (``tests.pii_scan``): the services' log output,
    configured as in production but at DEBUG, and every message the fake providers
    received (e-mail bodies excepted) carry no passport number or full name the test
    submitted, in any spelling, and no clear passport number of the samples."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    setup_logging(Settings(TIMPORA_LOG_LEVEL="DEBUG"), "e2e", stream)
    scan = Scan()
    try:
        yield scan
    finally:
        root.handlers[:], root.level = saved
    lines = stream.getvalue().splitlines()
    assert len(lines) > 10, "the services logged nothing: the check would prove nothing"
    leaked = [line for line in lines if PASSPORTS.search(line)]
    assert not leaked, f"{len(leaked)} log lines with a clear passport number: {leaked[:2]}"
    leaks = scan.leaks + scan.submitted.hits("log", lines)
    assert not leaks, f"{len(leaks)} clear personal values: {leaks[:5]}"
