"""Small helpers every benchmark part uses: progress output, percentiles, child processes
that are always stopped, and a psutil sampler for CPU seconds and peak RSS.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
_T0 = time.monotonic()


def say(text: str) -> None:
    """One progress line, prefixed with the seconds since the bench started."""
    print(f"[bench {time.monotonic() - _T0:6.1f}s] {text}", flush=True)


def percentiles(values: Sequence[float], points: Sequence[float] = (50, 95, 99)) -> dict[str, Any]:
    """Nearest-rank percentiles of ``values`` (seconds) in milliseconds, plus max and count."""
    ordered = sorted(values)
    out: dict[str, Any] = {"count": len(ordered)}
    for p in points:
        if ordered:
            rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
            out[f"p{p:g}"] = round(ordered[rank] * 1000, 1)
        else:
            out[f"p{p:g}"] = None
    out["max"] = round(ordered[-1] * 1000, 1) if ordered else None
    return out


# --- child processes -------------------------------------------------------------------

_LIVE: set[subprocess.Popen[bytes]] = set()


def _kill_leftovers() -> None:
    """Last resort at interpreter exit: nothing we started outlives the bench."""
    for proc in list(_LIVE):
        if proc.poll() is None:
            proc.kill()


atexit.register(_kill_leftovers)


@dataclass
class Child:
    """A subprocess we started, with its log file; :meth:`stop` is safe to call twice."""

    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = None

    @classmethod
    def start(
        cls, name: str, argv: Sequence[str], *, env: Mapping[str, str], log_path: Path
    ) -> Child:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("wb")
        proc = subprocess.Popen(
            list(argv),
            cwd=ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Own process group: Ctrl-C reaches only the bench, which stops children in order.
            start_new_session=True,
        )
        _LIVE.add(proc)
        return cls(name, proc, log_path, log)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (graceful shutdown), then SIGKILL after ``timeout`` seconds."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        _LIVE.discard(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None


def stop_all(children: Sequence[Child], timeout: float = 20.0) -> None:
    """Terminate every child at once, then wait for each (kill after ``timeout``)."""
    for child in children:
        if child.running():
            child.proc.terminate()
    for child in children:
        child.stop(timeout)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


async def wait_ready(url: str, child: Child | None = None, timeout: float = 120.0) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took. Fails fast if the
    child process died meanwhile (with the tail of its log)."""
    start = time.monotonic()
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() - start < timeout:
            if child is not None and not child.running():
                raise RuntimeError(
                    f"{child.name} exited with {child.proc.returncode}:\n{child.tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return time.monotonic() - start
            await asyncio.sleep(0.25)
    tail = f":\n{child.tail()}" if child else ""
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s{tail}")


# --- resource sampling ---------------------------------------------------------------


def listening_pid(port: int) -> int | None:
    """The pid of the local process listening on TCP ``port`` (the broker, PostgreSQL)."""
    with contextlib.suppress(psutil.Error, PermissionError):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                return conn.pid
    return None


def _cpu_seconds(proc: psutil.Process, with_children: bool) -> float:
    """User+system CPU of ``proc``; with children: also live and reaped children (PostgreSQL
    backends are children of the postmaster)."""
    times = proc.cpu_times()
    total = times.user + times.system
    if with_children:
        total += times.children_user + times.children_system
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                ct = child.cpu_times()
                total += ct.user + ct.system
    return total


def _rss_mb(proc: psutil.Process, with_children: bool) -> float:
    rss = proc.memory_info().rss
    if with_children:
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                rss += child.memory_info().rss
    return rss / 2**20


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), since boot."""
    t = psutil.cpu_times()
    return (
        sum(t)
        - t.idle
        - getattr(t, "iowait", 0.0)
        - getattr(t, "guest", 0.0)
        - getattr(t, "guest_nice", 0.0)
    )


@dataclass
class Watched:
    name: str
    proc: psutil.Process
    with_children: bool = False
    cpu_at_mark: float = 0.0
    peak_rss_mb: float = 0.0


@dataclass
class ResourceSampler:
    """Samples CPU seconds and RSS of named processes in the background.

    ``mark()`` starts a measurement window; ``window()`` returns CPU seconds used since the
    mark and the peak RSS seen since the mark (sampled every ``interval`` seconds).
    """

    interval: float = 0.25
    watched: dict[str, Watched] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _mark_time: float = 0.0
    _machine_at_mark: float = 0.0

    def watch(self, name: str, pid: int | None, *, with_children: bool = False) -> None:
        if pid is None:
            return
        with contextlib.suppress(psutil.Error):
            self.watched[name] = Watched(name, psutil.Process(pid), with_children)

    def _sample(self) -> dict[str, float]:
        cpu: dict[str, float] = {}
        for w in self.watched.values():
            with contextlib.suppress(psutil.Error):
                cpu[w.name] = _cpu_seconds(w.proc, w.with_children)
                w.peak_rss_mb = max(w.peak_rss_mb, _rss_mb(w.proc, w.with_children))
        return cpu

    async def _run(self) -> None:
        while True:
            await asyncio.to_thread(self._sample)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self.mark()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def mark(self) -> None:
        """Start a new window: CPU counters and peaks restart from now."""
        for name, seconds in self._sample().items():
            w = self.watched[name]
            w.cpu_at_mark, w.peak_rss_mb = seconds, 0.0
        self._sample()
        self._machine_at_mark = _machine_busy_seconds()
        self._mark_time = time.monotonic()

    def window(self) -> dict[str, dict[str, float]]:
        """CPU seconds since the mark, CPU share of one core, and peak RSS, per process;
        ``other``: CPU the rest of the machine used meanwhile (other jobs skew a run)."""
        now = self._sample()
        wall = max(1e-9, time.monotonic() - self._mark_time)
        out: dict[str, dict[str, float]] = {}
        for name, w in self.watched.items():
            if name in now:
                used = now[name] - w.cpu_at_mark
                out[name] = {
                    "cpu_s": round(used, 2),
                    "cpu_pct_of_core": round(100 * used / wall, 1),
                    "peak_rss_mb": round(w.peak_rss_mb, 1),
                }
        ours = sum(v["cpu_s"] for v in out.values())
        other = max(0.0, _machine_busy_seconds() - self._machine_at_mark - ours)
        out["other"] = {
            "cpu_s": round(other, 2),
            "cpu_pct_of_core": round(100 * other / wall, 1),
            "peak_rss_mb": 0.0,
        }
        return out


def env_with(base: Mapping[str, str] | None = None, **values: str) -> dict[str, str]:
    """A copy of the environment (or ``base``) with ``values`` set."""
    return {**(base if base is not None else os.environ), **values}
