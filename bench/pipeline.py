"""The pipeline: the three services as processes, end to end, on the local broker and
PostgreSQL.

One harness (:class:`PipelineHarness`) per run: a fresh database (created with asyncpg,
migrated, seeded with the bench directory), topics under a unique prefix, the provider
fakes (``devtools.Sinks(fast=True)``) inside this process, and ``python -m
ingest_service|routing_service|notify_service`` as subprocesses. Phases then run against
the same stack, one after another, each waiting until its reports are fully delivered:

* ``warmup``: a few hundred reports (connections, caches, first-call costs); not reported;
* ``max``: N reports written to ``reports.raw.<source>`` as fast as the producer goes;
* ``rate-R``: reports offered at a fixed R reports/s for a fixed time.

End to end means: report written to ``reports.raw.<source>`` → delivery row recorded in the
delivery log. Per report: ``first_claimed`` = first delivery row's ``created_at`` (the
row is claimed just before the provider call), ``first_sent`` / ``all_sent`` = first / last
of its rows marked ``sent`` (``updated_at``). Times come from the report's own send
stamp (see :mod:`bench.workload`).

The services' processes are in :mod:`bench.pipeline_services`, the bench database and its
queries in :mod:`bench.pipeline_db`, a phase's numbers in :mod:`bench.pipeline_results`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from bench import pipeline_services as services
from bench.ceiling import delete_topics, durable_producer
from bench.common import Child, ResourceSampler, say, stop_all, wait_ready
from bench.pipeline_db import (
    PROGRESS,
    REPORT_TIMES,
    STATUSES,
    BenchDatabase,
    asyncpg_dsn,
    fetch_retrying,
    first_id,
)
from bench.pipeline_results import analyse
from bench.stages import StageMonitor
from bench.workload import RAW_HEADERS, SOURCE, Workload
from devtools import Sinks, free_port
from shared import topics
from shared.schemas import Team
from shared.topics import ensure_topics


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

    async def _start(self) -> None:
        cfg = self.config
        t = time.monotonic()
        self._db = BenchDatabase(cfg.database_url)
        say(f"pipeline: creating database {self._db.name}, migrating, importing teams")
        await self._db.create(self.teams)
        self.startup["database_s"] = round(time.monotonic() - t, 2)
        await ensure_topics(
            cfg.bootstrap, prefix=self.prefix, partitions=cfg.partitions, sources=[SOURCE]
        )
        await self.sinks.start()
        instances = services.instances(cfg.instances)
        self.ports = {name: free_port() for name, _ in instances}
        env = services.service_env(
            cfg,
            prefix=self.prefix,
            database_url=self._db.url,
            notify_port=self.ports["notify"],
            sinks_env=self.sinks.notify_env(),
        )
        t = time.monotonic()
        say(
            f"pipeline: starting {', '.join(n for n, _ in instances)} "
            f"(topic prefix {self.prefix}, logs in {cfg.log_dir})"
        )
        for name, module in instances:
            argv = services.argv(cfg, name, module, self.ports[name])
            child = Child.start(name, argv, env=env, log_path=cfg.log_dir / f"{name}.log")
            self.children.append(child)
        for child in self.children:
            await wait_ready(f"http://127.0.0.1:{self.ports[child.name]}/ready", child)
        self.startup["services_ready_s"] = round(time.monotonic() - t, 2)
        say(f"pipeline: services ready after {self.startup['services_ready_s']:.1f}s")
        services.watch_resources(self.sampler, cfg, self.children)
        self.sampler.start()
        self._pool = await asyncpg.create_pool(asyncpg_dsn(self._db.url), min_size=1, max_size=2)
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
                self.config.bootstrap,
                [self.prefix + t.name for t in topics.registry([SOURCE])],
            )

    # --- load --------------------------------------------------------------------------

    async def _feed(self, phase: int, tag: str, n: int, rate: float | None) -> tuple[float, float]:
        """Write ``n`` reports to the source's raw topic (as fast as possible, or paced at
        ``rate``/s); return (first send, last acknowledgement) as epoch seconds."""
        assert self._producer is not None
        producer, topic = self._producer, self.prefix + topics.raw_topic(SOURCE)
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

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        assert self._pool is not None
        return await fetch_retrying(self._pool, sql, *args)

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
        services.signal_profiled(self.config, self.children, signal.SIGUSR1)
        t0 = time.time()
        feeder = asyncio.create_task(self._feed(phase, tag, n, rate))
        try:
            complete = await self._wait_delivered(name, since, expected, feeder, n)
        finally:
            if not feeder.done():
                feeder.cancel()
            services.signal_profiled(self.config, self.children, signal.SIGUSR2)
        fed_start, fed_end = await feeder
        await self._monitor.sample()
        t_end = time.time()
        resources = self.sampler.window()
        rows = await self._fetch(REPORT_TIMES, since, first_id(since))
        statuses = dict(await self._fetch(STATUSES, since, first_id(since)))
        result = analyse(name, tag, n, rate, rows, fed_start, fed_end)
        result.update(
            complete=complete,
            expected_deliveries=expected,
            delivery_statuses=statuses,
            sink_messages=dict((self.sinks.counts - sinks_before).most_common()),
            stages=self._monitor.analyse(t0, t_end),
            resources=resources,
        )
        if self.config.profile:
            result["profiles"] = await services.profiles_written(self.config, self.children, phase)
        lat = result["latency_ms"]["first_claimed"]
        say(
            f"{name}: {result['reports_per_s']:.0f} reports/s, "
            f"{result['deliveries_per_s']:.0f} deliveries/s; first delivery p50 {lat['p50']} ms, "
            f"p99 {lat['p99']} ms" + ("" if complete else " (INCOMPLETE)")
        )
        return result


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
