"""Ingest benchmark: reports/s accepted over HTTP (single and batches of 100) and from
``reports.raw.<source>``, with latency percentiles to the Kafka acknowledgement.

The ingest service runs as its own process on the local stack (``scripts/stack.py up``),
with its own topic prefix; the load comes from this process over loopback.

  uv run python -m bench.bench_ingest --n 3000 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from devtools import free_port
from shared import topics
from shared.topics import ensure_topics

ROOT = Path(__file__).resolve().parent.parent


def report(i: int) -> dict[str, object]:
    return {
        "category": "illegal_work",
        "severity": "medium",
        "upstream_ref": f"bench-{i}",
        "location": {"kecamatan_code": f"63.10.{i % 12 + 1:02d}"},
        "subjects": [
            {
                "full_name": f"Bench Person {i}",
                "nationality": "CHN",
                "passport_number": f"E{10_000_000 + i}",
            }
        ],
        "text": "Benchmark report: foreign workers seen at a mine site.",
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0


async def http_load(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = list(reversed(bodies))
    headers = {"X-API-Key": "dev-key-kanim", "Content-Type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            body = queue.pop()
            t0 = time.perf_counter()
            r = await client.post(f"{url}/v1/reports", content=body, headers=headers)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 202, r.text[:200]

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - start, latencies


async def raw_load(bootstrap: str, prefix: str, n: int) -> tuple[float, list[float]]:
    """Produce n raw records, then read the normalised ones: throughput and per-record lag."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(
        prefix + topics.REPORTS_NORMALIZED,
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        group_id=None,
        enable_auto_commit=False,
    )
    await consumer.start()
    await consumer.seek_to_end()
    await producer.start()
    headers = [("format", b"canonical")]
    sent_at: dict[str, float] = {}
    start = time.perf_counter()
    futures = []
    for i in range(n):
        ref = f"raw-{i}"
        sent_at[ref] = time.time()
        futures.append(
            await producer.send(
                prefix + topics.raw_topic("kanim-batulicin"),
                orjson.dumps(report(i) | {"upstream_ref": ref}),
                headers=headers,
            )
        )
    await asyncio.gather(*futures)
    latencies: list[float] = []
    while len(latencies) < n:
        batch = await consumer.getmany(timeout_ms=1000)
        for records in batch.values():
            for r in records:
                ref = orjson.loads(r.value).get("upstream_ref")
                if ref in sent_at:
                    latencies.append(r.timestamp / 1000 - sent_at.pop(ref))
        if time.perf_counter() - start > 300:
            break
    elapsed = time.perf_counter() - start
    await producer.stop()
    await consumer.stop()
    return elapsed, latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="reports per scenario")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    await ensure_topics(
        bootstrap, prefix=prefix, partitions=args.partitions, sources=["kanim-batulicin"]
    )
    port = free_port()
    env = {
        **os.environ,
        "TIMPORA_TOPIC_PREFIX": prefix,
        "INGEST_RATE_LIMIT_PER_MINUTE": "100000000",
        "TIMPORA_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest_service", "--port", str(port)], cwd=ROOT, env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
        print(f"[bench] ingest ready; {args.n} reports per scenario, {args.partitions} partitions")
        rows = []
        singles = [orjson.dumps(report(i)) for i in range(args.n)]
        await http_load(url, singles[:200], args.concurrency)  # warm-up
        secs, lat = await http_load(url, singles, args.concurrency)
        rows.append(("HTTP single", args.n / secs, lat))
        batches = [
            orjson.dumps({"reports": [report(i * 100 + j) for j in range(100)]})
            for i in range(max(1, args.n // 100))
        ]
        secs, lat = await http_load(url, batches, min(args.concurrency, 8))
        rows.append(("HTTP batch of 100", len(batches) * 100 / secs, lat))
        secs, lat = await raw_load(bootstrap, prefix, args.n)
        rows.append(("reports.raw.<source>", len(lat) / secs, lat))
        print(f"{'input':<20}{'reports/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}")
        for name, rate, lat in rows:
            print(
                f"{name:<20}{rate:>12.0f}{pct(lat, 50):>10.1f}{pct(lat, 99):>10.1f}{len(lat):>10}"
            )
        print(
            f"(p50 of all single requests {statistics.median(rows[0][2]) * 1000:.1f} ms; "
            "latency = HTTP 202, i.e. after Kafka acknowledged; raw = produce → normalised record)"
        )
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
