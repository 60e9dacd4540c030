"""Services as real processes for the multi-instance tests: ``instances(module, env, n)``
starts ``n`` of them, asserts they all ran the whole time, and stops them (waiting in a
thread: the fake providers run on the test's event loop and must keep answering while
the services shut down, an SMTP QUIT included)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from devtools import free_port

ROOT = Path(__file__).resolve().parents[1]


def start(module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """One instance of ``module`` (e.g. ``notify_service``) on a free port."""
    return subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@asynccontextmanager
async def instances(module: str, env: dict[str, str], n: int = 2) -> AsyncIterator[None]:
    procs = [start(module, env) for _ in range(n)]
    try:
        yield
        assert [p.poll() for p in procs] == [None] * n  # all ran the whole time
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            await asyncio.to_thread(p.wait, 30)
