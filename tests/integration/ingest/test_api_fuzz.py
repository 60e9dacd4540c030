"""Schemathesis against the ingest service's OpenAPI schema, over real HTTP, with the three
services as processes on real Kafka and PostgreSQL: whatever is sent, never a 5xx, never a
crash, and afterwards every consumer group has caught up (no partition stalled).

The request bodies are described by real JSON schemas (``ingest_service/openapi_bodies.py``:
the canonical report, an APOA stay, a Telegram update, a WhatsApp notification), so the
generated cases look like reports and reach the parsers; WhatsApp cases are signed with
the app secret as Meta signs them. ``FUZZ_API_EXAMPLES`` cases per operation (CI: 150;
the closing note of #17 reports a run of 1,000).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from shared.settings import Settings
from shared.topics import ensure_topics, raw_topic
from tests.conftest import _admin_execute, _with_database
from tests.e2e.conftest import seed_teams
from tests.e2e.procs import SERVICES, Cluster, service_env
from tests.kafkautil import DEV_SOURCES, caught_up, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "150"))
WHATSAPP_SECRET = "fuzz-secret"


@pytest.fixture(scope="module")
async def cluster(
    kafka_bootstrap: str,
    postgres_url: str,
    pg_template: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Cluster, Settings]]:
    name = f"timpora_fuzz_{uuid.uuid4().hex[:8]}"
    await _admin_execute(postgres_url, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    database_url = _with_database(postgres_url, name)
    await seed_teams(database_url)
    prefix = f"fuzz{uuid.uuid4().hex[:6]}."
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=3, sources=DEV_SOURCES)
    env = service_env(kafka_bootstrap, prefix, database_url) | {
        "INGEST_RATE_LIMIT_PER_MINUTE": "1000000",
        "INGEST_SENDER_RATE_LIMIT_PER_MINUTE": "1000000",
        "INGEST_WHATSAPP_APP_SECRET": WHATSAPP_SECRET,
        "INGEST_WHATSAPP_VERIFY_TOKEN": "fuzz-verify",
    }
    logs = tmp_path_factory.mktemp("fuzz-logs")
    c = Cluster(env, logs)
    for service in SERVICES:
        c.start(service)
    try:
        for service in SERVICES:
            await wait_for(lambda s=service: c.ready(s), timeout=90, interval=0.5)
        yield c, Settings(KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, TIMPORA_TOPIC_PREFIX=prefix)
    finally:
        c.stop()
        await _admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    crashed = {s: p.returncode for s, p in c.procs.items() if p.returncode not in (0, -15)}
    assert not crashed, f"services crashed during the fuzzing: {crashed} (logs in {logs})"


def signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(WHATSAPP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def test_no_input_makes_the_api_fail_or_stalls_a_consumer(
    cluster: tuple[Cluster, Settings],
) -> None:
    """Every operation, EXAMPLES generated cases each (bodies, headers, query strings)."""
    c, kafka = cluster
    url = f"http://127.0.0.1:{c.ports['ingest_service']}"
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    failures: list[str] = []
    calls: dict[str, int] = {}
    accepted: dict[str, int] = {}  # 202: the case was a report the parsers took
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            headers = {"X-API-Key": "dev-key-kanim"}
            if "kannel" in case.path:
                case.query = {**(case.query or {}), "key": "dev-key-kannel"}
            if "telegram" in case.path:
                headers = {"X-Telegram-Bot-Api-Secret-Token": "dev-key-telegram"}
            if "whatsapp" in case.path and case.method == "POST":
                raw = json.dumps(case.body).encode()  # signed as Meta signs: these bytes
                response = httpx.post(f"{url}{case.path}", content=raw, headers=signed(raw))
            else:
                response = case.call(base_url=url, headers=headers, timeout=30)
            key = f"{case.method} {case.path}"
            calls[key] = calls.get(key, 0) + 1
            if response.status_code == 202:
                accepted[key] = accepted.get(key, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{key}: {response.status_code} {response.text[:200]}")

        check()
    print(f"cases per operation: {calls}; accepted (202): {accepted}")
    assert not failures, failures[:5]
    # the schemas make reports, not just noise: some cases reached routing as reports
    assert accepted.get("POST /v1/reports", 0) > 0, accepted
    assert accepted.get("POST /v1/lodging", 0) > 0, accepted

    async def settled() -> bool:
        groups = [("routing", "reports.normalized"), ("notify", "alerts.routed")]
        groups += [("ingest", raw_topic(s)) for s in DEV_SOURCES]
        return all([await caught_up(kafka, g, t) for g, t in groups])

    asyncio.run(wait_for(settled, timeout=180, interval=1.0))
