"""End-to-end benchmark: the ceiling, the pipeline, and Prometheus Alertmanager as peer.

One run, one machine, the local broker:

- **ceiling**: raw Kafka pass-through with the same Python client (aiokafka): consume a
  batch, produce each record (acks=all, idempotent), await the batch, commit;
- **pipeline**: the three services as processes; N reports into ``reports.raw``, each
  becoming 2 alerts (kecamatan and kabupaten team) and 6 deliveries to local provider
  sinks, recorded in the delivery log (PostgreSQL). Latency = produce → first delivery
  row marked sent; throughput = reports whose deliveries are all recorded per second;
- **peer**: Alertmanager (Debian's prometheus-alertmanager, clustering off), a route per
  kecamatan, ``group_wait: 0s``, a webhook receiver into a local sink; the same number
  of distinct alerts posted; latency = post → webhook received.

  uv run python -m bench.bench_pipeline --n 3000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from notify_service.sinks import Sinks, free_port
from shared import topics
from shared.topics import ensure_topics

ROOT = Path(__file__).resolve().parent.parent
MINES = ["63.10.03", "63.10.04", "63.10.08", "63.10.09"]  # 2 teams × 3 members each
SERVICES = ("ingest_service", "routing_service", "notify_service")


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0


def report(i: int, sent: float) -> bytes:
    return orjson.dumps(
        {
            "category": "illegal_work",
            "upstream_ref": f"b{i}@{sent:.6f}",
            "location": {"kecamatan_code": MINES[i % len(MINES)]},
            "subjects": [
                {
                    "full_name": f"Worker {i}",
                    "nationality": "CHN",
                    "passport_number": f"E{20_000_000 + i}",
                }
            ],
            "text": "WNA bekerja di tambang tanpa izin (benchmark)",
        }
    )


# --- ceiling ---------------------------------------------------------------------------


async def ceiling(bootstrap: str, n: int, partitions: int) -> dict[str, Any]:
    prefix = f"ceil{uuid.uuid4().hex[:6]}."
    await ensure_topics(bootstrap, prefix=prefix, partitions=partitions)
    src, dst = prefix + topics.REPORTS_RAW, prefix + topics.REPORTS_NORMALIZED
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        compression_type="lz4",
    )
    await producer.start()
    payload = report(0, 0.0) * 1  # same size as a canonical report
    futures = [await producer.send(src, payload, key=str(i % 64).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=prefix + "ceil",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    await consumer.start()
    done, start = 0, time.perf_counter()
    while done < n:
        batch = await consumer.getmany(timeout_ms=1000)
        sends = [
            await producer.send(dst, r.value, key=r.key) for recs in batch.values() for r in recs
        ]
        await asyncio.gather(*sends)
        await consumer.commit()
        done += len(sends)
    secs = time.perf_counter() - start
    await consumer.stop()
    await producer.stop()
    return {"msgs_per_s": n / secs, "n": n, "seconds": secs}


# --- pipeline ------------------------------------------------------------------------


async def pipeline(
    bootstrap: str, pg_url: str, n: int, partitions: int, rate: float | None
) -> dict[str, Any]:
    prefix = f"pipe{uuid.uuid4().hex[:6]}."
    await ensure_topics(bootstrap, prefix=prefix, partitions=partitions)
    db = f"bench_{uuid.uuid4().hex[:8]}"
    admin = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{db}"')
    await conn.close()
    db_url = pg_url.rsplit("/", 1)[0] + f"/{db}"
    sinks = Sinks()
    await sinks.start()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DATABASE_URL": db_url,
        "TIMPORA_TOPIC_PREFIX": prefix,
        "TIMPORA_LOG_LEVEL": "WARNING",
        "NOTIFY_PROVIDER_RATE_PER_SECOND": "100000",
        **sinks.notify_env(),
    }
    from shared.db import make_engine, make_sessionmaker, migrate, transaction
    from shared.directory import load_directory, replace_directory

    await migrate(db_url)
    teams = load_directory(ROOT / "config" / "teams.yaml")
    for team in teams:
        for member in team.members:
            member.quiet_hours = None
    engine = make_engine(db_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, teams)
    await engine.dispose()
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    ports = {s: free_port() for s in SERVICES}
    procs = {
        s: subprocess.Popen(
            [sys.executable, "-m", s, "--port", str(ports[s])],
            cwd=ROOT,
            env=env,
            stdout=(logs / f"{s}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for s in SERVICES
    }
    samples: dict[str, dict[str, float]] = {s: {"rss_mb": 0.0} for s in SERVICES}
    try:
        async with httpx.AsyncClient() as client:
            for port in ports.values():
                for _ in range(240):
                    try:
                        if (
                            await client.get(f"http://127.0.0.1:{port}/ready", timeout=2)
                        ).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)
        say(
            f"pipeline ready ({partitions} partitions); feeding {n} reports"
            + (f" at {rate:.0f}/s" if rate else " as fast as possible")
        )
        cpu0 = {s: psutil.Process(p.pid).cpu_times() for s, p in procs.items()}
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        await producer.start()
        headers = [("format", b"canonical"), ("source", b"kanim-batulicin")]
        start = time.time()
        futures = []
        for i in range(n):
            if rate:
                await asyncio.sleep(max(0.0, start + i / rate - time.time()))
            futures.append(
                await producer.send(
                    prefix + topics.REPORTS_RAW, report(i, time.time()), headers=headers
                )
            )
        await asyncio.gather(*futures)
        fed = time.time()
        await producer.stop()
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
        want = 6 * n
        while True:
            sent = await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent'")
            for s, p in procs.items():
                rss = psutil.Process(p.pid).memory_info().rss / 2**20
                samples[s]["rss_mb"] = max(samples[s]["rss_mb"], rss)
            if sent >= want or time.time() - fed > 600:
                break
            await asyncio.sleep(0.5)
        end = time.time()
        rows = await conn.fetch(
            "SELECT alert->'report'->>'upstream_ref' AS ref, min(updated_at) AS first, "
            "max(updated_at) AS last FROM deliveries WHERE status = 'sent' GROUP BY 1"
        )
        await conn.close()
        cpu = {
            s: sum(psutil.Process(p.pid).cpu_times()[:2]) - sum(cpu0[s][:2])
            for s, p in procs.items()
        }
        latencies = [r["first"].timestamp() - float(r["ref"].split("@")[1]) for r in rows]
        last_delivery = max(r["last"].timestamp() for r in rows) if rows else end
        return {
            "n": n,
            "offered_rate": rate,
            "partitions": partitions,
            "reports_per_s": n / (last_delivery - start),
            "deliveries_per_s": sent / (last_delivery - start),
            "deliveries": sent,
            "latency_ms": {
                "p50": pct(latencies, 50),
                "p95": pct(latencies, 95),
                "p99": pct(latencies, 99),
            },
            "cpu_seconds": cpu,
            "peak_rss_mb": {s: v["rss_mb"] for s, v in samples.items()},
            "sink_messages": len(sinks.received),
        }
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        await sinks.stop()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await conn.close()


# --- Alertmanager -------------------------------------------------------------------


async def alertmanager(n: int) -> dict[str, Any]:
    binary = shutil.which("prometheus-alertmanager")
    if binary is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "prometheus-alertmanager"], check=True)
        binary = shutil.which("prometheus-alertmanager")
    assert binary, "prometheus-alertmanager not installable"
    received: dict[str, float] = {}
    done = asyncio.Event()

    async def hook(request: Request) -> PlainTextResponse:
        body = await request.json()
        now = time.time()
        for alert in body.get("alerts", []):
            received.setdefault(alert["labels"]["passport"], now)
        if len(received) >= n:
            done.set()
        return PlainTextResponse("ok")

    import uvicorn

    hook_port, am_port = free_port(), free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
            host="127.0.0.1",
            port=hook_port,
            log_level="warning",
        )
    )
    task = asyncio.create_task(server.serve())
    workdir = Path(tempfile.mkdtemp(prefix="am-"))
    import gzip
    import importlib.resources

    names = json.loads(
        gzip.decompress(
            (importlib.resources.files("lokal") / "data" / "wilayah.json.gz").read_bytes()
        )
    )
    kecamatan = sorted(c for c in names if c.count(".") == 2 and c[:5] in ("63.10", "63.02"))
    routes = "\n".join(
        f"    - matchers: ['kecamatan=\"{c}\"']\n      receiver: hook" for c in kecamatan
    )
    (workdir / "am.yml").write_text(f"""route:
  receiver: hook
  group_by: ['alertname', 'kecamatan', 'passport']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 4h
  routes:
{routes}
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook_port}/hook
        send_resolved: false
""")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={workdir / 'am.yml'}",
            f"--storage.path={workdir}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{am_port}"
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(100):
                try:
                    if (await client.get(f"{base}/-/ready")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            posted: dict[str, float] = {}
            start = time.time()
            batch = 100
            for i in range(0, n, batch):
                alerts = []
                for j in range(i, min(n, i + batch)):
                    passport = f"E{30_000_000 + j}"
                    posted[passport] = time.time()
                    alerts.append(
                        {
                            "labels": {
                                "alertname": "illegal_work",
                                "passport": passport,
                                "kecamatan": kecamatan[j % len(kecamatan)],
                            },
                            "startsAt": datetime.now(UTC).isoformat(),
                        }
                    )
                r = await client.post(f"{base}/api/v2/alerts", json=alerts)
                assert r.status_code == 200, r.text
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 300)
        last = max(received.values()) if received else time.time()
        latencies = [received[p] - posted[p] for p in received]
        return {
            "n": n,
            "received": len(received),
            "alerts_per_s": len(received) / (last - start),
            "latency_ms": {"p50": pct(latencies, 50), "p99": pct(latencies, 99)},
        }
    finally:
        proc.terminate()
        proc.wait(10)
        server.should_exit = True
        await task


async def main() -> None:
    parser = argparse.ArgumentParser(
        description="Timpora end-to-end benchmark (see module docstring)"
    )
    parser.add_argument("--n", type=int, default=3000, help="reports / alerts per run")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--rates", default="200,1000", help="fixed offered rates (reports/s)")
    parser.add_argument("--only", default="ceiling,pipeline,alertmanager")
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    pg = os.environ.get(
        "DATABASE_URL", "postgresql+asyncpg://timpora:timpora@127.0.0.1:55432/timpora"
    )
    parts = set(args.only.split(","))
    result: dict[str, Any] = {"cores": os.cpu_count(), "n": args.n, "partitions": args.partitions}
    if "ceiling" in parts:
        say("ceiling: aiokafka consume → produce pass-through")
        result["ceiling"] = await ceiling(bootstrap, args.n * 5, args.partitions)
    if "pipeline" in parts:
        result["pipeline_max"] = await pipeline(bootstrap, pg, args.n, args.partitions, None)
        for rate in [float(r) for r in args.rates.split(",") if r]:
            result[f"pipeline_{rate:.0f}"] = await pipeline(
                bootstrap, pg, min(args.n, int(rate * 10)), args.partitions, rate
            )
    if "alertmanager" in parts:
        say("peer: Prometheus Alertmanager")
        result["alertmanager"] = await alertmanager(args.n)
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print_table(result)
    say(f"written {out}")


def print_table(r: dict[str, Any]) -> None:
    print(f"\n{'measure':<34}{'rate/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    if "ceiling" in r:
        print(f"{'ceiling: Kafka pass-through':<34}{r['ceiling']['msgs_per_s']:>10.0f}")
    for key, v in r.items():
        if key.startswith("pipeline_"):
            lat = v["latency_ms"]
            label = f"pipeline reports ({key.split('_')[1]})"
            print(
                f"{label:<34}{v['reports_per_s']:>10.0f}{lat['p50']:>9.0f}{lat['p95']:>9.0f}{lat['p99']:>9.0f}"
            )
            print(f"{'  deliveries recorded':<34}{v['deliveries_per_s']:>10.0f}")
            cpu = ", ".join(f"{s.split('_')[0]} {c:.0f}s" for s, c in v["cpu_seconds"].items())
            rss = ", ".join(f"{s.split('_')[0]} {m:.0f}MB" for s, m in v["peak_rss_mb"].items())
            print(f"  CPU {cpu}; peak RSS {rss}")
    if "alertmanager" in r:
        am = r["alertmanager"]
        print(
            f"{'peer: Alertmanager alerts':<34}{am['alerts_per_s']:>10.0f}"
            f"{am['latency_ms']['p50']:>9.0f}"
            f"{'':>9}{am['latency_ms']['p99']:>9.0f}"
        )
    if "pipeline_max" in r:
        p = r["pipeline_max"]["reports_per_s"]
        if "ceiling" in r:
            print(f"pipeline / ceiling = {p / r['ceiling']['msgs_per_s']:.2f}")
        if "alertmanager" in r:
            print(f"pipeline / Alertmanager = {p / r['alertmanager']['alerts_per_s']:.2f}")
    print(f"cores: {r['cores']}")


if __name__ == "__main__":
    asyncio.run(main())
