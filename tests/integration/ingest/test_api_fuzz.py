"""Schemathesis against the ingest service's OpenAPI schema, over real HTTP, with the
service on real Kafka and PostgreSQL: whatever is sent, never a 5xx, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from devtools import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "150"))


@pytest.fixture(scope="module")
def ingest_url(kafka_bootstrap: str, postgres_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": postgres_url,  # the stack's own database; idempotency rows only
        "TIMPORA_TOPIC_PREFIX": f"fuzz{port}.",
        "INGEST_RATE_LIMIT_PER_MINUTE": "1000000",
        "INGEST_WHATSAPP_APP_SECRET": "fuzz-secret",
        "INGEST_WHATSAPP_VERIFY_TOKEN": "fuzz-verify",
    }
    log = (ROOT / ".stack" / f"fuzz-ingest-{port}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest_service", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, "ingest service died at start-up"
        assert time.monotonic() < deadline, "ingest service not ready"
        time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(30)
    assert proc.returncode in (0, -15), "ingest service crashed during the fuzzing"


def test_no_input_makes_the_api_fail(ingest_url: str) -> None:
    """Every operation, EXAMPLES generated cases each (bodies, headers, query strings)."""
    schema = schemathesis.openapi.from_url(f"{ingest_url}/openapi.json")
    failures: list[str] = []
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
            response = case.call(base_url=ingest_url, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.path}: {response.status_code} {response.text[:200]}"
                )

        check()
    assert not failures, failures[:5]
