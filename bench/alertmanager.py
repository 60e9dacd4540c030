"""The peer: Prometheus Alertmanager on the same machine, fed the same number of alerts.

The harness starts Debian's ``prometheus-alertmanager`` on a free port, clustering off,
storage in a temporary directory, with a route tree of one route per kecamatan of
Tanah Bumbu and Kotabaru (matchers on a ``kecamatan`` label) and a webhook receiver that
points into a bare HTTP server in this process (``devtools.HttpServer``, the one the
pipeline's fake providers run on). ``group_by: [alertname, kecamatan, passport]`` with a
distinct passport per alert makes every alert its own group, so every alert is one webhook
call, as every report is a set of deliveries in the pipeline.
``group_wait: 0s`` sends a new group at once.

Alerts are POSTed to ``/api/v2/alerts`` in batches by concurrent clients; the post time
rides in an annotation, so latency is post → webhook received, per alert. A webhook
carries groups: the alerts inside each call are counted.

A missing binary is installed with ``apt-get`` when this process may (root, or sudo without
a password); otherwise :func:`ensure_binary` raises :class:`PeerMissing`, whose text says
what to install or to skip the peer. ``python -m bench`` calls it before any part starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.common import Child, ResourceSampler, percentiles, say, wait_ready
from devtools import HttpServer, Request, Response, free_port

PACKAGE = "prometheus-alertmanager"  # Debian's package, and the binary's name
BINARY = f"/usr/bin/{PACKAGE}"
SKIP_HINT = "or skip the peer with `--only ceiling,pipeline`"


class PeerMissing(Exception):
    """No Alertmanager to run; the text says what to install (one paragraph, no traceback)."""


def find_binary(binary: str | None = None) -> str | None:
    """The Alertmanager to run: ``binary`` if given, else Debian's; None if not executable."""
    path = binary or shutil.which(PACKAGE) or BINARY
    return path if Path(path).is_file() and os.access(path, os.X_OK) else None


def ensure_binary(binary: str | None = None) -> str:
    """The Alertmanager binary; Debian's package is installed first when it is missing and
    this process may install it (apt-get, and root or sudo without a password).

    An explicit ``binary`` is never replaced by an installed one: a wrong path is reported.
    """
    if found := find_binary(binary):
        return found
    if binary:
        raise PeerMissing(
            f"--am-binary {binary} is not an executable file. Point it at an Alertmanager "
            f"binary, or install Debian's `{PACKAGE}` package and leave --am-binary out, "
            f"{SKIP_HINT}."
        )
    prefix = _installer()
    if prefix is None:
        raise PeerMissing(
            f"The Alertmanager peer needs Debian's `{PACKAGE}` package ({BINARY}), which is "
            f"not installed, and this user cannot install it. Run `sudo apt-get install -y "
            f"{PACKAGE}` (elsewhere: an Alertmanager from https://prometheus.io/download/ "
            f"and --am-binary PATH), {SKIP_HINT}."
        )
    say(f"alertmanager: {BINARY} is missing; installing Debian's {PACKAGE} (apt-get, once)")
    problem = _apt_install(prefix)
    if problem or not (found := find_binary()):
        raise PeerMissing(
            f"Installing Debian's `{PACKAGE}` package failed "
            f"({problem or f'no {BINARY} afterwards'}). Run `sudo apt-get update && sudo "
            f"apt-get install -y {PACKAGE}` by hand and look at its output, {SKIP_HINT}."
        )
    say(f"alertmanager: installed {found} ({_version(found)})")
    return found


def _installer() -> list[str] | None:
    """The command prefix that runs apt-get as root, or None when this process cannot."""
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        probe = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["sudo", "-n"]
    return None


def _apt_install(prefix: list[str]) -> str | None:
    """``apt-get install``, again after ``apt-get update`` if it failed (a fresh machine has
    no package lists); None when it worked, else the exit status and the last output line."""
    apt = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q"]
    install = [*apt, "install", "-y", PACKAGE]
    result = subprocess.run(install, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        say("alertmanager: apt-get install failed; running apt-get update and trying again")
        subprocess.run([*apt, "update"], capture_output=True, check=False)
        result = subprocess.run(install, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return None
    lines = (result.stdout + result.stderr).strip().splitlines()
    return f"`{' '.join(install)}` exit {result.returncode}: {lines[-1] if lines else 'no output'}"


def config_yaml(kecamatan: Sequence[str], webhook_url: str, group_interval: str) -> str:
    """Alertmanager configuration: one route per kecamatan, all into the webhook."""
    routes = "".join(
        f"    - receiver: bench-hook\n      matchers: ['kecamatan=\"{code}\"']\n"
        for code in kecamatan
    )
    return (
        "route:\n"
        "  receiver: bench-hook\n"
        "  group_by: ['alertname', 'kecamatan', 'passport']\n"
        "  group_wait: 0s\n"
        f"  group_interval: {group_interval}\n"
        "  repeat_interval: 24h\n"
        "  routes:\n"
        f"{routes}"
        "receivers:\n"
        "  - name: bench-hook\n"
        "    webhook_configs:\n"
        f"      - url: {webhook_url}\n"
        "        send_resolved: false\n"
    )


@dataclass
class Received:
    """What the webhook got: first arrival per alert (by passport), and totals."""

    first: dict[str, float] = field(default_factory=dict)
    posted: dict[str, float] = field(default_factory=dict)
    alerts_in_webhooks: int = 0
    webhooks: int = 0
    target: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self, target: int) -> None:
        """Start counting a new round of ``target`` alerts."""
        self.first.clear()
        self.posted.clear()
        self.target, self.alerts_in_webhooks, self.webhooks = target, 0, 0
        self.done.clear()

    async def answer(self, request: Request) -> Response:
        """The sink's reply to a webhook call, after counting its alerts."""
        self.on_body(request.body, time.time())
        return Response(200)

    def on_body(self, body: bytes, at: float) -> None:
        self.webhooks += 1
        for alert in orjson.loads(body).get("alerts", []):
            self.alerts_in_webhooks += 1
            passport = alert["labels"].get("passport", "")
            if passport not in self.first:
                self.first[passport] = at
                self.posted[passport] = float(alert["annotations"]["posted_at"])
        if len(self.first) >= self.target:
            self.done.set()


def _alert(tag: str, i: int, kecamatan: Sequence[str], posted_at: float) -> dict[str, Any]:
    return {
        "labels": {
            "alertname": "illegal_work",
            "kecamatan": kecamatan[i % len(kecamatan)],
            "passport": f"A{tag}{i:09d}",
            "severity": "medium",
        },
        "annotations": {
            "posted_at": f"{posted_at:.6f}",
            "summary": "WNA diduga bekerja tanpa izin kerja di lokasi tambang (benchmark)",
        },
        "startsAt": datetime.fromtimestamp(posted_at, UTC).isoformat(),
    }


async def post_alerts(
    base: str, tag: str, n: int, kecamatan: Sequence[str], batch: int, concurrency: int
) -> tuple[float, float]:
    """POST ``n`` alerts in batches from ``concurrency`` clients; return (first, last) post."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for start in range(0, n, batch):
        queue.put_nowait(start)
    first = time.time()

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            start = queue.get_nowait()
            now = time.time()
            alerts = [_alert(tag, i, kecamatan, now) for i in range(start, min(n, start + batch))]
            response = await client.post(
                f"{base}/api/v2/alerts",
                content=orjson.dumps(alerts),
                headers={"content-type": "application/json"},
            )
            if response.status_code != 200:
                raise RuntimeError(f"Alertmanager answered {response.status_code}: {response.text}")

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return first, time.time()


@dataclass(frozen=True)
class AmSettings:
    """How Alertmanager is run and fed."""

    binary: str
    kecamatan: tuple[str, ...]
    log_dir: Path
    batch: int = 50
    concurrency: int = 8
    warmup: int = 200
    group_interval: str = "1s"
    timeout: float = 120.0


async def one_round(am: AmSettings, n: int, round_no: int) -> dict[str, Any]:
    """A fresh Alertmanager (empty state): a warm-up, then ``n`` new alerts, measured."""
    received = Received()
    sink = HttpServer(received.answer)
    await sink.start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-am-"))
    port = free_port()
    (workdir / "alertmanager.yml").write_text(
        config_yaml(am.kecamatan, f"http://127.0.0.1:{sink.port}/hook", am.group_interval)
    )
    child = Child.start(
        "alertmanager",
        [
            am.binary,
            f"--config.file={workdir / 'alertmanager.yml'}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        env={"PATH": "/usr/bin:/bin"},
        log_path=am.log_dir / f"alertmanager.{round_no}.log",
    )
    base = f"http://127.0.0.1:{port}"
    sampler = ResourceSampler()
    try:
        await wait_ready(f"{base}/-/ready", child, timeout=30)
        sampler.watch("alertmanager", child.pid)
        sampler.watch("bench+sink", os.getpid())
        sampler.start()
        for tag, count in (("W", am.warmup), ("M", n)):
            if not count:
                continue
            received.reset(count)
            sampler.mark()
            first_post, last_post = await post_alerts(
                base, tag, count, am.kecamatan, am.batch, am.concurrency
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(received.done.wait(), am.timeout)
        return _summary(received, n, first_post, last_post, sampler.window())
    finally:
        await sampler.stop()
        await asyncio.to_thread(child.stop, 10)
        await sink.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def run_alertmanager(
    n: int,
    kecamatan: Sequence[str],
    log_dir: Path,
    *,
    binary: str | None = None,
    batch: int = 50,
    concurrency: int = 8,
    warmup: int = 200,
    rounds: int = 3,
    group_interval: str = "1s",
) -> dict[str, Any]:
    """``rounds`` times: a fresh Alertmanager, a warm-up, then ``n`` alerts; keep the best
    round (the peer at its best; all rounds are in the result)."""
    binary = ensure_binary(binary)
    am = AmSettings(binary, tuple(kecamatan), log_dir, batch, concurrency, warmup, group_interval)
    say(
        f"alertmanager: {_version(binary)}; {len(kecamatan)} routes, {n} alerts per round "
        f"in POSTs of {batch} from {concurrency} clients"
    )
    measured = []
    for i in range(1, rounds + 1):
        r = await one_round(am, n, i)
        say(
            f"alertmanager: round {i}/{rounds}: {r['alerts_per_s']:.0f} alerts/s, "
            f"p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms"
        )
        measured.append(r)
    best = max(measured, key=lambda r: r["alerts_per_s"])
    return {
        **best,
        "rounds": measured,
        "batch": batch,
        "concurrency": concurrency,
        "group_interval": group_interval,
        "routes": len(kecamatan),
        "version": _version(binary),
    }


def _summary(
    received: Received, n: int, first_post: float, last_post: float, resources: dict[str, Any]
) -> dict[str, Any]:
    latencies = [received.first[p] - received.posted[p] for p in received.first]
    last = max(received.first.values(), default=first_post)
    span = last - first_post
    return {
        "n": n,
        "received": len(received.first),
        "complete": len(received.first) >= n,
        "webhooks": received.webhooks,
        "alerts_in_webhooks": received.alerts_in_webhooks,
        "post_s": round(last_post - first_post, 3),
        "span_s": round(span, 3),
        "alerts_per_s": round(len(received.first) / span, 1) if span > 0 else 0.0,
        "latency_ms": percentiles(latencies),
        "resources": resources,
    }


def _version(binary: str) -> str:
    with contextlib.suppress(Exception):
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=5)
        return (out.stdout or out.stderr).splitlines()[0]
    return "unknown"
