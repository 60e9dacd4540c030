"""The attack (#17 item 11): ``/metrics`` (consumer groups, topic names, counters per
source) and the API docs answered on the public port of every service, to anyone who can
reach it. With ``<SERVICE>_INTERNAL_PORT`` they answer on that port only, which serves
nothing else. A real ingest process on real Kafka and PostgreSQL, both ports bound."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devtools.base import free_ports
from shared.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


async def test_metrics_and_docs_answer_on_the_internal_port_only(
    kafka_settings: Settings, database_url: str
) -> None:
    public, internal = free_ports(2)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.kafka_bootstrap_servers,
        "TIMPORA_TOPIC_PREFIX": kafka_settings.topic_prefix,
        "DATABASE_URL": database_url,
        "INGEST_INTERNAL_PORT": str(internal),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest_service", "--port", str(public)], cwd=ROOT, env=env
    )
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for _ in range(150):
                try:
                    if (await client.get(f"http://127.0.0.1:{public}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

            async def status(port: int, path: str) -> int:
                return (await client.get(f"http://127.0.0.1:{port}{path}")).status_code

            for path in ("/metrics", "/docs", "/openapi.json", "/redoc"):
                assert await status(public, path) == 404, path
                assert await status(internal, path) == 200, path
            scraped = await client.get(f"http://127.0.0.1:{internal}/metrics")
            assert "# HELP" in scraped.text  # Prometheus text
            for port in (public, internal):
                assert await status(port, "/health") == 200
            # the internal port serves nothing else: no report goes in there
            report = await client.post(
                f"http://127.0.0.1:{internal}/v1/reports",
                json={"category": "presence"},
                headers={"X-API-Key": "dev-key-kanim"},
            )
            assert report.status_code == 404
            assert await status(public, "/v1/reports") == 405  # there, the API is
    finally:
        proc.terminate()
        proc.wait(timeout=20)
