"""``python -m bench``: end-to-end benchmark of the Timpora pipeline on this machine.

Parts (``--only`` picks some):

* ``ceiling``: raw Kafka pass-through with aiokafka (consume, produce, commit per batch);
* ``pipeline``: ingest → routing → notify as processes, raw report in → delivery recorded
  in PostgreSQL; flat out, then at fixed offered rates; per-stage throughput from
  consumer-group offsets; CPU and peak RSS per process;
* ``alertmanager``: Prometheus Alertmanager fed the same number of alerts, into a webhook.

Needs the local stack (``python3 scripts/stack.py up``): Kafka and PostgreSQL, and for the
peer Debian's ``prometheus-alertmanager`` (installed with apt-get when run as root or with
sudo without a password). :func:`check_setup` checks all of it before any part starts and
says what is missing in one paragraph. Prints a table and writes everything to
``bench/results/<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import socket
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, say
from bench.table import ratios, render
from bench.workload import (
    Workload,
    bench_directory,
    bench_kecamatan,
    national_directory,
    national_keys_file,
)
from devtools import Sinks

PARTS = ("ceiling", "alertmanager", "pipeline")  # the order they run in
JOBS = ("teams", "webhook")
DEFAULT_DATABASE = "postgresql+asyncpg://timpora:timpora@127.0.0.1:55432/timpora"
STACK_HINT = (
    "The bench needs the local stack: run `python3 scripts/stack.py up` (and "
    '`eval "$(python3 scripts/stack.py env)"` when it runs on other ports), then start the '
    "bench again."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
        epilog="Kafka and PostgreSQL from KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL "
        '(eval "$(python3 scripts/stack.py env)"); defaults: 127.0.0.1:9092 and the '
        "local stack's PostgreSQL. Load goes to 127.0.0.1 only.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("-n", "--n", type=int, default=5000, help="reports (and alerts) per run")
    parser.add_argument("-p", "--partitions", type=int, default=6, help="partitions per topic")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--rates",
        default="100,200,500",
        help="fixed offered rates in reports/s, or a share of the measured maximum ('50%%'); "
        "empty for none",
    )
    parser.add_argument(
        "--job",
        default="teams,webhook",
        help="what the pipeline delivers, one pipeline run each (comma-separated): 'teams' = "
        "the seed directory's members over SMS, email, Telegram and WhatsApp (~3.4 "
        "deliveries per report); 'webhook' = one signed webhook POST per alert, the job "
        "Alertmanager does in its peer run",
    )
    parser.add_argument(
        "--directory",
        choices=("tanah-bumbu", "national"),
        default="tanah-bumbu",
        help="the teams directory: the seed one (Tanah Bumbu and Kotabaru, 34 kecamatan) or "
        "the generated national one (7,837 teams, ~31,000 people; reports over every "
        "kecamatan of Indonesia from a source without a home area)",
    )
    parser.add_argument(
        "--rate-seconds", type=float, default=20.0, help="length of each fixed-rate phase"
    )
    parser.add_argument("--warmup", type=int, default=300, help="warm-up reports (not reported)")
    parser.add_argument("--no-max", action="store_true", help="skip the flat-out pipeline phase")
    parser.add_argument(
        "--max-rounds",
        type=int,
        default=3,
        help="flat-out phases per job, best kept (as for the ceiling and Alertmanager: this "
        "machine drifts by 15-25 %% between runs)",
    )
    parser.add_argument(
        "--ceiling-n", type=int, default=50_000, help="records through the ceiling pass-through"
    )
    parser.add_argument("--ceiling-rounds", type=int, default=3, help="ceiling runs (best kept)")
    parser.add_argument("--am-batch", type=int, default=50, help="alerts per Alertmanager POST")
    parser.add_argument("--am-concurrency", type=int, default=8, help="concurrent POSTers")
    parser.add_argument("--am-rounds", type=int, default=3, help="Alertmanager runs (best kept)")
    parser.add_argument("--am-binary", default=None, help="prometheus-alertmanager binary")
    parser.add_argument(
        "--settle-seconds", type=float, default=3.0, help="pause between parts (quiet machine)"
    )
    parser.add_argument(
        "--log-level", default="INFO", help="TIMPORA_LOG_LEVEL of the services (their default)"
    )
    parser.add_argument(
        "--profile",
        default="",
        help="services to profile with cProfile during each phase, e.g. 'routing,notify' "
        "(<service>.<phase no>.prof next to the logs; slows them: for hot spots, not numbers)",
    )
    parser.add_argument(
        "--instances",
        default="notify=2",
        help="processes per service (same consumer group; scale-out); default 'notify=2': "
        "notify is the one service that needs a core of its own for the teams job "
        "(~0.6 ms CPU per delivery); '' = one of each",
    )
    parser.add_argument(
        "--service-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for every service process (repeatable; experiments)",
    )
    parser.add_argument(
        "--stall-seconds", type=float, default=45.0, help="give up a phase after no progress"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database and topics")
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON path instead of bench/results/<timestamp>.json"
    )
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    if unknown := parts - set(PARTS):
        parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
    args.parts = [p for p in PARTS if p in parts]
    try:
        args.instance_counts = {
            k.strip(): int(v) for k, v in (i.split("=", 1) for i in args.instances.split(",") if i)
        }
        args.env_pairs = dict(e.split("=", 1) for e in args.service_env)
    except ValueError:
        parser.error("--instances takes SERVICE=COUNT,...; --service-env takes KEY=VALUE")
    if unknown := set(args.instance_counts) - {"ingest", "routing", "notify"}:
        parser.error(f"--instances: unknown service(s) {', '.join(sorted(unknown))}")
    args.rate_list = [r.strip() for r in args.rates.split(",") if r.strip()]
    args.jobs = [j.strip() for j in args.job.split(",") if j.strip()]
    if unknown := set(args.jobs) - set(JOBS):
        parser.error(f"--job: unknown job(s) {', '.join(sorted(unknown))}; known: {JOBS}")
    return args


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.alertmanager import run_alertmanager
    from bench.ceiling import run_ceiling
    from bench.pipeline import PipelineConfig, run_pipeline

    started = datetime.now(UTC)
    stamp = f"{started:%Y%m%dT%H%M%SZ}"
    log_dir = RESULTS / f"{stamp}-logs"
    bootstrap, database = stack_addresses()
    national = args.directory == "national"
    directory = national_directory if national else bench_directory
    if national:
        say("generating the national directory (~10 s)")
    teams = directory()
    workload = Workload.from_directory(teams, national)
    service_env = dict(args.env_pairs)
    if national:
        service_env.setdefault("INGEST_API_KEYS_FILE", str(national_keys_file(log_dir)))
    result: dict[str, Any] = {
        "started": stamp,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {
            "n": args.n,
            "partitions": args.partitions,
            "parts": args.parts,
            "rates": args.rate_list,
            "rate_seconds": args.rate_seconds,
            "warmup": args.warmup,
            "ceiling_n": args.ceiling_n,
            "bootstrap": bootstrap,
            "log_level": args.log_level,
            "profile": args.profile or None,
            "instances": args.instance_counts or None,
            "service_env": args.env_pairs or None,
            "jobs": args.jobs,
            "directory": args.directory,
            "workload": f"illegal_work over {len(workload.kecamatan)} kecamatan "
            f"({'all of Indonesia, shuffled' if national else '63.10/63.02'}), distinct "
            f"passports; {workload.expected_deliveries(args.n)} deliveries for N reports",
        },
        "logs": str(log_dir),
    }
    out = args.out or RESULTS / f"{stamp}.json"
    say(f"parts: {', '.join(args.parts)}; N={args.n}, partitions={args.partitions}")
    try:
        if "ceiling" in args.parts:
            result["ceiling"] = await run_ceiling(
                bootstrap, workload, args.ceiling_n, args.partitions, args.ceiling_rounds
            )
        if "alertmanager" in args.parts:
            await settle(args.settle_seconds)
            result["alertmanager"] = await run_alertmanager(
                args.n,
                bench_kecamatan(teams, national),
                log_dir,
                binary=args.am_binary,
                batch=args.am_batch,
                concurrency=args.am_concurrency,
                warmup=min(args.warmup, args.n),
                rounds=args.am_rounds,
            )
        if "pipeline" in args.parts:
            await settle(args.settle_seconds)
            config = PipelineConfig(
                bootstrap=bootstrap,
                database_url=database,
                partitions=args.partitions,
                log_dir=log_dir,
                log_level=args.log_level,
                stall_seconds=args.stall_seconds,
                profile=tuple(p.strip() for p in args.profile.split(",") if p.strip()),
                keep=args.keep,
                instances=args.instance_counts,
                service_env=service_env,
            )
            result["pipelines"] = {}
            for job in args.jobs:
                sinks = Sinks(fast=True)
                job_teams = directory(webhook=sinks.webhook.url) if job == "webhook" else teams
                say(f"pipeline job: {job}")
                result["pipelines"][job] = await run_pipeline(
                    config,
                    Workload.from_directory(job_teams, national),
                    job_teams,
                    n=args.n,
                    rates=args.rate_list,
                    rate_seconds=args.rate_seconds,
                    warmup=args.warmup,
                    skip_max=args.no_max,
                    max_rounds=args.max_rounds,
                    sinks=sinks,
                )
        result["ratios"] = ratios(result)
    except BaseException as exc:  # Ctrl-C included: the partial result says why it stops
        result["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str))
    print()
    print(render(result))
    print()
    say(f"results written to {out}")
    return result


def stack_addresses() -> tuple[str, str]:
    """Kafka bootstrap servers and the PostgreSQL URL the bench uses."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    return bootstrap, os.environ.get("DATABASE_URL", DEFAULT_DATABASE)


def check_setup(args: argparse.Namespace) -> str | None:
    """What the chosen parts lack, as one paragraph for a person; None when all is there.

    Runs before any part, so a newcomer learns it in seconds, not after minutes of ceiling
    runs: Kafka and PostgreSQL answer, and the Alertmanager binary is there (installed with
    apt-get when this process may; ``args.am_binary`` becomes the path found).
    """
    from bench.alertmanager import PeerMissing, ensure_binary

    bootstrap, database = stack_addresses()
    down = []
    if {"ceiling", "pipeline"} & set(args.parts) and not kafka_reachable(bootstrap):
        down.append(f"Kafka at {bootstrap} (KAFKA_BOOTSTRAP_SERVERS) does not answer")
    if "pipeline" in args.parts:
        if not database.startswith("postgresql+asyncpg://"):
            scheme = database.split(":")[0]
            return f"DATABASE_URL must be a postgresql+asyncpg:// URL (got {scheme}://...)."
        if problem := asyncio.run(postgres_problem(database)):
            down.append(f"PostgreSQL (DATABASE_URL) refuses the bench: {problem}")
    if down:
        return f"{'; '.join(down)}. {STACK_HINT}"
    if "alertmanager" in args.parts:
        try:
            args.am_binary = ensure_binary(args.am_binary)
        except PeerMissing as missing:
            return str(missing)
    return None


def kafka_reachable(bootstrap: str, timeout: float = 3.0) -> bool:
    """Whether one of the bootstrap servers accepts a TCP connection."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        with contextlib.suppress(OSError, ValueError):
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
            return True
    return False


async def postgres_problem(url: str) -> str | None:
    """Why the bench cannot log in to PostgreSQL at ``url``, or None when it can."""
    import asyncpg

    try:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(dsn, timeout=5)
    except Exception as exc:  # any reason to fail is the reason to report
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    await conn.close()
    return None


def paragraph(text: str, width: int = 100) -> str:
    """``text`` wrapped to ``width``, never inside a `command` (it stays copy-pasteable)."""
    parts = text.split("`")
    parts[1::2] = [part.replace(" ", "\0") for part in parts[1::2]]
    wrapped = textwrap.fill("`".join(parts), width, break_long_words=False, break_on_hyphens=False)
    return wrapped.replace("\0", " ")


async def settle(seconds: float) -> None:
    """Let the broker and the database finish the previous part's cleanup (deleted topics)."""
    if seconds > 0:
        await asyncio.sleep(seconds)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        problem = check_setup(args)
    except KeyboardInterrupt:
        return 130
    if problem:
        print(paragraph(f"bench: {problem}"), file=sys.stderr, flush=True)
        return 1

    async def guarded() -> None:
        # SIGTERM behaves like Ctrl-C: cancel the run so every part cleans up after itself.
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await run(args)

    try:
        asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        say("interrupted; subprocesses stopped, bench database dropped")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
