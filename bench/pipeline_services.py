"""The pipeline's services as child processes: instances, environment, argv, profiling, sampling."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bench.common import Child, ResourceSampler, listening_pid, python_module

if TYPE_CHECKING:
    from bench.pipeline import PipelineConfig

SERVICES = ("ingest_service", "routing_service", "notify_service")
SERVICE_ENV_PREFIXES = ("TIMPORA_", "INGEST_", "ROUTING_", "NOTIFY_")
UNLIMITED = (
    "PROVIDER_RATE_PER_SECOND",
    "TELEGRAM_RATE_PER_SECOND",
    "TELEGRAM_CHAT_RATE_PER_SECOND",
    "TELEGRAM_GROUP_RATE_PER_MINUTE",
    "WHATSAPP_RATE_PER_SECOND",
)


def service_env(
    config: PipelineConfig,
    *,
    prefix: str,
    database_url: str,
    notify_port: int,
    sinks_env: Mapping[str, str],
) -> dict[str, str]:
    """The services' environment: this process's, minus their own settings, plus the run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_ENV_PREFIXES)}
    return {
        **env,
        "KAFKA_BOOTSTRAP_SERVERS": config.bootstrap,
        "DATABASE_URL": database_url,
        "TIMPORA_TOPIC_PREFIX": prefix,
        "TIMPORA_TOPIC_PARTITIONS": str(config.partitions),
        "TIMPORA_LOG_LEVEL": config.log_level,
        # provider limits far above what the fakes take: the shared buckets still run
        **{f"NOTIFY_{name}": "100000" for name in UNLIMITED},
        "NOTIFY_PUBLIC_BASE_URL": "http://127.0.0.1:8084",  # the console (not run here)
        **sinks_env,
        **config.service_env,
    }


def instances(counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """(instance name, module) per process: ``notify``, and ``notify-2`` for a second
    instance of the same service (same consumer group: the partitions are shared)."""
    out: list[tuple[str, str]] = []
    for module in SERVICES:
        short = module.removesuffix("_service")
        for i in range(max(1, counts.get(short, 1))):
            out.append((short if i == 0 else f"{short}-{i + 1}", module))
    return out


def profiled(config: PipelineConfig, name: str) -> bool:
    return name.split("-", 1)[0] in config.profile


def argv(config: PipelineConfig, name: str, module: str, port: int) -> list[str]:
    """The command line of one instance (under ``bench.profiled`` when it is profiled)."""
    if profiled(config, name):
        prefix = str(config.log_dir / name)
        return python_module("bench.profiled", prefix, module, "--port", str(port))
    return python_module(module, "--port", str(port))


def signal_profiled(config: PipelineConfig, children: Sequence[Child], signum: int) -> None:
    """Start (SIGUSR1) or stop and write (SIGUSR2) the profiles (bench.profiled)."""
    for child in children:
        if profiled(config, child.name) and child.running():
            child.proc.send_signal(signum)


async def profiles_written(
    config: PipelineConfig, children: Sequence[Child], phase: int, timeout: float = 20.0
) -> dict[str, str]:
    """Wait until every profiled service wrote this phase's profile; their paths."""
    paths = {
        c.name: config.log_dir / f"{c.name}.{phase}.prof"
        for c in children
        if profiled(config, c.name)
    }
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths.values()) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return {name: str(p) for name, p in paths.items() if p.exists()}


def watch_resources(
    sampler: ResourceSampler, config: PipelineConfig, children: Sequence[Child]
) -> None:
    """Sample the services, PostgreSQL, the broker and this process (bench + sinks)."""
    for child in children:
        sampler.watch(child.name, child.pid)
    sampler.watch("postgres", listening_pid(_port(config.database_url, 5432)), with_children=True)
    sampler.watch("kafka", listening_pid(_port(config.bootstrap, 9092)))
    sampler.watch("bench+sinks", os.getpid())


def _port(url: str, default: int) -> int:
    """The port of ``host:port`` or of a URL's netloc (first server of a list)."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0].split(",")[0].rsplit("@", 1)[-1]
    host, _, port = netloc.rpartition(":")
    return int(port) if host and port.isdigit() else default
