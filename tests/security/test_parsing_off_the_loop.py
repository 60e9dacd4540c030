"""The attack (#17 item 10): one source posts a batch of reports whose place names match
nothing, each with a long text of unknown words (~650 KB); placing them costs seconds of
CPU, and ingest parsed on its event loop, so for those seconds it answered nobody: no
other source, no health check, no Kafka heartbeat. Now bodies are parsed in parse threads
(``INGEST_PARSE_WORKERS``), serialised there too, and the loop keeps answering.
(Handing the records to aiokafka after the parse still runs on the loop: an 800-report
batch held it 50-80 ms, measured.) Ingest runs on real Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import random
import string
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from ingest_service import api
from shared.settings import Settings
from tests.security.ingest_app import ingest_client

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KANIM = {"X-API-Key": "dev-key-kanim", "Content-Type": "application/json"}


def unresolvable_batch(n: int = 150) -> bytes:
    rng = random.Random(17)

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10)))

    return orjson.dumps(
        [
            {
                "category": "presence",
                "location": {"kecamatan_name": f"{word()} {word()}", "kabupaten_name": word()},
                "text": ("di desa " + " ".join(word() for _ in range(500)))[:4900],
            }
            for _ in range(n)
        ]
    )


@pytest.fixture
async def ingest(kafka_settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with ingest_client(kafka_settings, database_url) as client:
        yield client


SLOWER_S = 1.5  # CPU added to each parse, so the stall does not depend on warm caches


def slower(real: Callable[..., Any]) -> Callable[..., Any]:
    """The real parse, then SLOWER_S of pure-Python CPU work (holding the GIL as a parse
    does): the attack's cost made the same on every machine and in every test order."""

    def parse(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        end = time.perf_counter() + SLOWER_S
        while time.perf_counter() < end:
            sum(range(1000))
        return result

    return parse


async def test_a_slow_body_does_not_hold_the_event_loop(
    ingest: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "intake", slower(api.intake))
    body = unresolvable_batch()
    started = time.perf_counter()
    post = asyncio.create_task(ingest.post("/v1/reports", content=body, headers=KANIM))
    waits: list[float] = []
    answered = [started]  # when each health check was answered
    while not post.done():
        asked = time.perf_counter()
        health = await ingest.get("/health")
        answered.append(time.perf_counter())
        waits.append(answered[-1] - asked)
        assert health.status_code == 200
        await asyncio.sleep(0.02)
    response = await post
    took = time.perf_counter() - started
    answered.append(time.perf_counter())
    gap = max(b - a for a, b in itertools.pairwise(answered))
    assert response.status_code == 202, response.text
    assert len(response.json()["report_ids"]) == 150
    assert took > SLOWER_S, f"the body parsed in {took:.2f} s: the attack did not happen"
    # health was answered all along: no silence of half the parse or more (a held loop
    # is silent for all of it), no check waiting long
    assert gap < took / 2, (gap, took, len(waits))
    assert max(waits) < 0.5, f"a health check waited {max(waits):.2f} s"
