"""The pipeline: the three services as processes, end to end, on the local broker and
PostgreSQL.

One harness (:class:`PipelineHarness`) per run: a fresh database (created with asyncpg,
migrated, seeded with the bench directory), topics under a unique prefix, the provider
fakes (``devtools.Sinks(fast=True)``) inside this process, and ``python -m
ingest_service|routing_service|notify_service`` as subprocesses. Phases then run against
the same stack, one after another, each waiting until its reports are fully delivered:

* ``warmup``: a few hundred reports (connections, caches, first-call costs); not reported;
* ``max``: N reports written to ``reports.raw`` as fast as the producer goes;
* ``rate-R``: reports offered at a fixed R reports/s for a fixed time.

End to end means: report written to ``reports.raw`` → delivery row recorded in the
delivery log. Per report: ``first_claimed`` = first delivery row's ``created_at`` (the
row is claimed just before the provider call), ``first_sent`` / ``all_sent`` = first / last
of its rows marked ``sent`` (``updated_at``). Times come from the report's own send
stamp (see :mod:`bench.workload`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from ulid import ULID

from bench.ceiling import delete_topics, durable_producer
from bench.common import (
    Child,
    ResourceSampler,
    listening_pid,
    percentiles,
    python_module,
    say,
    stop_all,
    wait_ready,
)
from bench.stages import StageMonitor
from bench.workload import RAW_HEADERS, REF_PREFIX, Workload, sent_time
from devtools import Sinks, free_port
from shared import topics
from shared.db import make_engine, make_sessionmaker, migrate, transaction
from shared.directory import replace_directory
from shared.schemas import Team
from shared.topics import ensure_topics

SERVICES = ("ingest_service", "routing_service", "notify_service")
SERVICE_ENV_PREFIXES = ("TIMPORA_", "INGEST_", "ROUTING_", "NOTIFY_")
# What a PostgreSQL restart looks like to a client (someone else's failure test, say).
RESTART_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
)


@dataclass(frozen=True)
class PipelineConfig:
    bootstrap: str
    database_url: str  # the server to create the bench database on (any database on it)
    partitions: int
    log_dir: Path
    log_level: str = "INFO"
    poll_interval: float = 1.0  # a poll counts the phase's rows (~16 ms of PostgreSQL at 10k)
    stall_seconds: float = 45.0  # give up on a phase when nothing moved for this long
    profile: tuple[str, ...] = ()  # services profiled per phase (bench.profiled, .prof files)
    instances: dict[str, int] = field(default_factory=dict)  # e.g. {"notify": 2}
    service_env: dict[str, str] = field(default_factory=dict)  # extra env (experiments)
    keep: bool = False  # keep the database and topics (inspection)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@dataclass
class BenchDatabase:
    """A database created for one run on the configured server, dropped afterwards."""

    server_url: str
    name: str = field(default_factory=lambda: f"timpora_bench_{uuid.uuid4().hex[:8]}")

    @property
    def url(self) -> str:
        return _with_database(self.server_url, self.name)

    async def create(self, teams: list[Team]) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await conn.close()
        await migrate(self.url)  # the services would too; the directory needs the tables now
        engine = make_engine(self.url, pool_size=1)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                await replace_directory(session, teams)
        finally:
            await engine.dispose()

    async def drop(self) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()


# Delivery ids are ULIDs (time first): `delivery_id >= first_id(since)` makes each query a
# range scan of the phase's rows, so later phases do not rescan every earlier phase's.
def first_id(since: datetime) -> str:
    return str(ULID.from_datetime(since))[:10] + "0" * 16


# Per report: its send stamp and its delivery rows' times (one query at a phase's end).
REPORT_TIMES = """
SELECT report_id,
       min(alert->'report'->>'upstream_ref') AS ref,
       min(created_at) AS first_claimed,
       min(updated_at) FILTER (WHERE status = 'sent') AS first_sent,
       max(updated_at) FILTER (WHERE status = 'sent') AS all_sent,
       count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) AS rows
FROM deliveries WHERE delivery_id >= $2 AND created_at >= $1 GROUP BY report_id
"""

PROGRESS = """
SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
       count(*) FILTER (WHERE status IN ('sending', 'retrying')) AS pending,
       count(*) AS rows, count(DISTINCT report_id) AS reports
FROM deliveries WHERE delivery_id >= $2 AND created_at >= $1
"""

STATUSES = """
SELECT status || ' after ' || attempts || ' attempt(s)', count(*)
FROM deliveries WHERE delivery_id >= $2 AND created_at >= $1 GROUP BY status, attempts
"""


@dataclass
class PipelineHarness:
    """Starts the stack once; :meth:`run_phase` measures one load phase against it."""

    config: PipelineConfig
    workload: Workload
    teams: list[Team]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    children: list[Child] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    sinks: Sinks = field(default_factory=lambda: Sinks(fast=True))
    sampler: ResourceSampler = field(default_factory=ResourceSampler)
    startup: dict[str, float] = field(default_factory=dict)
    _db: BenchDatabase | None = None
    _pool: asyncpg.Pool | None = None
    _producer: AIOKafkaProducer | None = None
    _monitor: StageMonitor | None = None
    _phases: int = 0

    @property
    def prefix(self) -> str:
        return f"bench-{self.run_id}."

    # --- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> PipelineHarness:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stop()

    def _service_env(self, database_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_ENV_PREFIXES)}
        return {
            **env,
            "KAFKA_BOOTSTRAP_SERVERS": self.config.bootstrap,
            "DATABASE_URL": database_url,
            "TIMPORA_TOPIC_PREFIX": self.prefix,
            "TIMPORA_TOPIC_PARTITIONS": str(self.config.partitions),
            "TIMPORA_LOG_LEVEL": self.config.log_level,
            "NOTIFY_PROVIDER_RATE_PER_SECOND": "100000",
            "NOTIFY_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports['notify']}",
            **self.sinks.notify_env(),
            **self.config.service_env,
        }

    def _instances(self) -> list[tuple[str, str]]:
        """(instance name, module) per process: ``notify``, and ``notify-2`` for a second
        instance of the same service (same consumer group: the partitions are shared)."""
        out: list[tuple[str, str]] = []
        for module in SERVICES:
            short = module.removesuffix("_service")
            for i in range(max(1, self.config.instances.get(short, 1))):
                out.append((short if i == 0 else f"{short}-{i + 1}", module))
        return out

    def _argv(self, name: str, module: str) -> list[str]:
        port = str(self.ports[name])
        if self._profiled(name):
            prefix = str(self.config.log_dir / name)
            return python_module("bench.profiled", prefix, module, "--port", port)
        return python_module(module, "--port", port)

    def _profiled(self, name: str) -> bool:
        return name.split("-", 1)[0] in self.config.profile

    async def _profiles_written(self, phase: int, timeout: float = 20.0) -> dict[str, str]:
        """Wait until every profiled service wrote this phase's profile; their paths."""
        paths = {
            c.name: self.config.log_dir / f"{c.name}.{phase}.prof"
            for c in self.children
            if self._profiled(c.name)
        }
        deadline = time.monotonic() + timeout
        while not all(p.exists() for p in paths.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return {name: str(p) for name, p in paths.items() if p.exists()}

    def _signal_profiled(self, signum: int) -> None:
        """Start (SIGUSR1) or stop and write (SIGUSR2) the profiles (bench.profiled)."""
        for child in self.children:
            if self._profiled(child.name) and child.running():
                child.proc.send_signal(signum)

    async def _start(self) -> None:
        cfg = self.config
        t = time.monotonic()
        self._db = BenchDatabase(cfg.database_url)
        say(f"pipeline: creating database {self._db.name}, migrating, importing teams")
        await self._db.create(self.teams)
        self.startup["database_s"] = round(time.monotonic() - t, 2)
        await ensure_topics(cfg.bootstrap, prefix=self.prefix, partitions=cfg.partitions)
        await self.sinks.start()
        instances = self._instances()
        self.ports = {name: free_port() for name, _ in instances}
        env = self._service_env(self._db.url)
        t = time.monotonic()
        say(
            f"pipeline: starting {', '.join(n for n, _ in instances)} "
            f"(topic prefix {self.prefix}, logs in {cfg.log_dir})"
        )
        for name, module in instances:
            child = Child.start(
                name, self._argv(name, module), env=env, log_path=cfg.log_dir / f"{name}.log"
            )
            self.children.append(child)
        for child in self.children:
            await wait_ready(f"http://127.0.0.1:{self.ports[child.name]}/ready", child)
        self.startup["services_ready_s"] = round(time.monotonic() - t, 2)
        say(f"pipeline: services ready after {self.startup['services_ready_s']:.1f}s")
        for child in self.children:
            self.sampler.watch(child.name, child.pid)
        self.sampler.watch(
            "postgres", listening_pid(_port(cfg.database_url, 5432)), with_children=True
        )
        self.sampler.watch("kafka", listening_pid(_port(cfg.bootstrap, 9092)))
        self.sampler.watch("bench+sinks", os.getpid())
        self.sampler.start()
        self._pool = await asyncpg.create_pool(_asyncpg_dsn(self._db.url), min_size=1, max_size=2)
        self._producer = durable_producer(cfg.bootstrap)
        await self._producer.start()
        self._monitor = StageMonitor(cfg.bootstrap, self.prefix, cfg.partitions)
        await self._monitor.start()

    async def _stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.sampler.stop()
        if self._monitor is not None:
            with contextlib.suppress(Exception):
                await self._monitor.stop()
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), 10)
        if self.children:
            say("pipeline: stopping services")
            await asyncio.to_thread(stop_all, self.children)
        with contextlib.suppress(Exception):
            await self.sinks.stop()
        if self.config.keep:
            say(f"pipeline: kept database {self._db and self._db.name}, topics {self.prefix}*")
            return
        if self._db is not None:
            try:
                await self._db.drop()
            except Exception as exc:
                say(f"pipeline: could not drop database {self._db.name}: {exc}")
        with contextlib.suppress(Exception):
            await delete_topics(
                self.config.bootstrap, [self.prefix + t.name for t in topics.TOPICS]
            )

    # --- load --------------------------------------------------------------------------

    async def _feed(self, phase: int, tag: str, n: int, rate: float | None) -> tuple[float, float]:
        """Write ``n`` reports to ``reports.raw`` (as fast as possible, or paced at
        ``rate``/s); return (first send, last acknowledgement) as epoch seconds."""
        assert self._producer is not None
        producer, topic = self._producer, self.prefix + topics.REPORTS_RAW
        futures: list[asyncio.Future[Any]] = []
        start = time.time()
        sent = 0
        while sent < n:
            now = time.time()
            due = n if rate is None else min(n, int((now - start) * rate) + 1)
            while sent < due:
                now = time.time()
                value = self.workload.report(phase, tag, sent, now)
                futures.append(await producer.send(topic, value, headers=RAW_HEADERS))
                sent += 1
            if rate is not None and sent < n:
                await asyncio.sleep(0.005)
        await asyncio.gather(*futures)
        return start, time.time()

    async def _fetch(self, sql: str, *args: Any, retry_for: float = 120.0) -> list[asyncpg.Record]:
        """Query the bench database; ride out a PostgreSQL restart (reconnect and retry)."""
        assert self._pool is not None
        deadline = time.monotonic() + retry_for
        while True:
            try:
                return await self._pool.fetch(sql, *args)
            except (OSError, asyncpg.InterfaceError, *RESTART_ERRORS) as exc:
                if time.monotonic() > deadline:
                    raise
                say(f"database unavailable ({type(exc).__name__}); retrying")
                await asyncio.sleep(1.0)

    async def _progress(self, since: datetime) -> asyncpg.Record:
        return (await self._fetch(PROGRESS, since, first_id(since)))[0]

    async def _wait_delivered(
        self, name: str, since: datetime, expected: int, feeder: asyncio.Task[Any], n: int
    ) -> bool:
        """Poll the delivery log until every expected row is final (or progress stalls)."""
        last_change, last_seen, last_print = time.monotonic(), None, 0.0
        while True:
            if feeder.done() and feeder.exception() is not None:
                raise RuntimeError(f"{name}: feeding reports.raw failed") from feeder.exception()
            row = await self._progress(since)
            seen = (row["sent"], row["rows"], row["pending"])
            now = time.monotonic()
            if seen != last_seen:
                last_change, last_seen = now, seen
            final = row["rows"] - row["pending"]
            if now - last_print >= 3.0:
                self._print_progress(name, row, expected, n)
                last_print = now
            if feeder.done() and final >= expected and row["reports"] >= n:
                return True
            if feeder.done() and now - last_change > self.config.stall_seconds:
                say(f"{name}: no progress for {self.config.stall_seconds:.0f}s; giving up")
                return False
            await asyncio.sleep(self.config.poll_interval)

    def _print_progress(self, name: str, row: asyncpg.Record, expected: int, n: int) -> None:
        stages = ""
        if self._monitor is not None and self._monitor.samples:
            s = self._monitor.latest()
            stages = ", ".join(
                f"{k} {s.committed[k]}/{s.end[k]}" for k in ("ingest", "routing", "notify")
            )
        say(
            f"{name}: deliveries sent {row['sent']}/{expected} (pending {row['pending']}), "
            f"reports reached {row['reports']}/{n}; committed/end offsets: {stages}"
        )

    async def run_phase(self, name: str, n: int, rate: float | None) -> dict[str, Any]:
        """Offer ``n`` reports (at ``rate``/s, or flat out) and measure them end to end."""
        assert self._monitor is not None
        self._phases += 1
        phase, tag = self._phases, f"{self._phases}{name}"
        expected = self.workload.expected_deliveries(n)
        offered = f"at {rate:.0f}/s" if rate else "as fast as possible"
        say(f"{name}: offering {n} reports {offered} (expecting {expected} deliveries)")
        since = datetime.now(UTC)
        sinks_before = self.sinks.counts.copy()
        self.sampler.mark()
        self._signal_profiled(signal.SIGUSR1)
        t0 = time.time()
        feeder = asyncio.create_task(self._feed(phase, tag, n, rate))
        try:
            complete = await self._wait_delivered(name, since, expected, feeder, n)
        finally:
            if not feeder.done():
                feeder.cancel()
            self._signal_profiled(signal.SIGUSR2)
        fed_start, fed_end = await feeder
        await self._monitor.sample()
        t_end = time.time()
        resources = self.sampler.window()
        rows = await self._fetch(REPORT_TIMES, since, first_id(since))
        statuses = dict(await self._fetch(STATUSES, since, first_id(since)))
        result = self._analyse(name, tag, n, rate, rows, fed_start, fed_end)
        result.update(
            complete=complete,
            expected_deliveries=expected,
            delivery_statuses=statuses,
            sink_messages=dict((self.sinks.counts - sinks_before).most_common()),
            stages=self._monitor.analyse(t0, t_end),
            resources=resources,
        )
        if self.config.profile:
            result["profiles"] = await self._profiles_written(phase)
        lat = result["latency_ms"]["first_claimed"]
        say(
            f"{name}: {result['reports_per_s']:.0f} reports/s, "
            f"{result['deliveries_per_s']:.0f} deliveries/s; first delivery p50 {lat['p50']} ms, "
            f"p99 {lat['p99']} ms" + ("" if complete else " (INCOMPLETE)")
        )
        return result

    def _analyse(
        self,
        name: str,
        tag: str,
        n: int,
        rate: float | None,
        rows: list[asyncpg.Record],
        fed_start: float,
        fed_end: float,
    ) -> dict[str, Any]:
        mine = [r for r in rows if (r["ref"] or "").startswith(f"{REF_PREFIX}:{tag}:")]
        sent_at = {r["report_id"]: sent_time(r["ref"]) for r in mine}
        claimed = [r["first_claimed"].timestamp() - sent_at[r["report_id"]] for r in mine]
        first = [
            r["first_sent"].timestamp() - sent_at[r["report_id"]] for r in mine if r["first_sent"]
        ]
        done = sorted(r["all_sent"].timestamp() for r in mine if r["all_sent"])
        every = [r["all_sent"].timestamp() - sent_at[r["report_id"]] for r in mine if r["all_sent"]]
        deliveries = sum(r["sent"] for r in mine)
        span = (done[-1] - fed_start) if done else None
        steady = None
        if len(done) >= 20:  # reports completed per second between 10% and 90% of them
            lo, hi = done[len(done) // 10], done[len(done) * 9 // 10]
            steady = round((len(done) * 8 // 10) / (hi - lo), 1) if hi > lo else None
        return {
            "phase": name,
            "n": n,
            "offered_rate": rate,
            "feed_s": round(fed_end - fed_start, 3),
            "fed_rate": round(n / max(1e-9, fed_end - fed_start), 1),
            "reports_delivered": len(done),
            "deliveries_sent": deliveries,
            "span_s": round(span, 3) if span else None,
            "reports_per_s": round(len(done) / span, 1) if span else 0.0,
            "deliveries_per_s": round(deliveries / span, 1) if span else 0.0,
            "steady_reports_per_s": steady,
            "latency_ms": {
                "first_claimed": percentiles(claimed),
                "first_sent": percentiles(first),
                "all_sent": percentiles(every),
            },
        }


def _port(url: str, default: int) -> int:
    """The port of ``host:port`` or of a URL's netloc (first server of a list)."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0].split(",")[0].rsplit("@", 1)[-1]
    host, _, port = netloc.rpartition(":")
    return int(port) if host and port.isdigit() else default


def resolve_rates(specs: list[str], max_rate: float | None) -> list[float]:
    """Rates as given (``200``) or as a share of the measured maximum (``50%``)."""
    rates: list[float] = []
    for spec in specs:
        if spec.endswith("%"):
            if not max_rate:
                say(f"rate {spec}: no maximum measured (run the max phase); skipped")
                continue
            rates.append(round(max_rate * float(spec[:-1]) / 100))
        else:
            rates.append(float(spec))
    return [r for r in rates if r > 0]


async def run_pipeline(
    config: PipelineConfig,
    workload: Workload,
    teams: list[Team],
    *,
    n: int,
    rates: list[str],
    rate_seconds: float,
    warmup: int,
    skip_max: bool = False,
    max_rounds: int = 1,
    sinks: Sinks | None = None,
) -> dict[str, Any]:
    """Start the stack, run warm-up, the max phase and the fixed-rate phases."""
    out: dict[str, Any] = {"partitions": config.partitions, "phases": {}}
    async with PipelineHarness(config, workload, teams, sinks=sinks or Sinks(fast=True)) as harness:
        out["startup"] = harness.startup
        out["database"] = harness._db.name if harness._db else None
        out["topic_prefix"] = harness.prefix
        if warmup:
            warm = await harness.run_phase("warmup", warmup, None)
            out["warmup"] = {k: warm[k] for k in ("n", "span_s", "reports_per_s", "complete")}
        max_rate = None
        if not skip_max:
            runs = [await harness.run_phase("max", n, None) for _ in range(max(1, max_rounds))]
            result = max(runs, key=lambda r: r["reports_per_s"] or 0.0)
            result["rounds_reports_per_s"] = [r["reports_per_s"] for r in runs]
            out["phases"]["max"] = result
            max_rate = result["steady_reports_per_s"] or result["reports_per_s"]
        for rate in resolve_rates(rates, max_rate):
            count = max(1, round(rate * rate_seconds))
            out["phases"][f"rate-{rate:.0f}"] = await harness.run_phase(
                f"rate-{rate:.0f}", count, rate
            )
    return out
