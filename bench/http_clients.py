"""CPU per provider call of the HTTP client notify uses (aiohttp), against httpx, against the local
Telegram sink in another process; pyreqwest (a Rust client) too when it is importable.

  python -m bench.http_clients [--n 1500] [--in-flight 100,32,8]

Why: the pipeline profile puts most of notify's time in httpx/httpcore. This isolates
the client: N concurrent ``sendMessage`` calls, at most ``in-flight`` at once (as
``NOTIFY_MAX_IN_FLIGHT`` does), pool sized to match; client CPU (process time) per call.
To see the effect of ``sniffio`` (httpcore imports it per lock when missing):
``uv pip install --target /tmp/bench-sniffio sniffio`` and run with
``PYTHONPATH=/tmp/bench-sniffio``; pyreqwest the same way (``--target /tmp/bench-pyreqwest``).
Measured (2 cores, 32 in flight): aiohttp ~150 µs CPU per call, pyreqwest ~130: not
worth a second HTTP stack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

from bench.common import RESULTS, Child, say
from devtools import free_port
from devtools.telegram import TOKEN

SINK_CODE = """
import asyncio, sys
from devtools import TelegramGateway
async def main():
    await TelegramGateway(port=int(sys.argv[1])).start()
    await asyncio.Event().wait()
asyncio.run(main())
"""
BODY = {"chat_id": 700000001, "text": "x" * 300, "link_preview_options": {"is_disabled": True}}


async def measure(
    name: str, call: Callable[[], Awaitable[None]], n: int, in_flight: int
) -> dict[str, float]:
    """Warm up, then ``n`` calls with at most ``in_flight`` at once; rate and CPU/call."""
    slots = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with slots:
            await call()

    await asyncio.gather(*(one() for _ in range(200)))
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    result = {"calls_per_s": round(n / wall), "cpu_us_per_call": round(cpu / n * 1e6)}
    say(f"{name:<8} in flight {in_flight:>4}: {result}")
    return result


async def sink_up(url: str, sink: Child, timeout: float = 30.0) -> None:
    """Wait until the sink answers at all (it refuses this unauthenticated request)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline and sink.running():
            with contextlib.suppress(httpx.HTTPError):
                await client.get(url)
                return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"sink did not start:\n{sink.tail()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--n", type=int, default=1500, help="calls per measurement")
    parser.add_argument("--in-flight", default="100,32,8", help="comma-separated bounds")
    args = parser.parse_args()
    port = free_port()
    sink = Child.start(
        "sink",
        [sys.executable, "-c", SINK_CODE, str(port)],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(RESULTS.parent.parent)},
        log_path=RESULTS / "http_clients-sink.log",
    )
    url = f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage"
    say(f"sniffio importable: {importlib.util.find_spec('sniffio') is not None}")
    try:
        await sink_up(url, sink)
        for bound in (int(b) for b in args.in_flight.split(",")):
            limits = httpx.Limits(max_connections=bound, max_keepalive_connections=bound)
            async with httpx.AsyncClient(limits=limits) as client:

                async def httpx_call(c: httpx.AsyncClient = client) -> None:
                    (await c.post(url, json=BODY)).raise_for_status()

                await measure("httpx", httpx_call, args.n, bound)
            if importlib.util.find_spec("aiohttp") is not None:
                import aiohttp

                connector = aiohttp.TCPConnector(limit=bound)
                async with aiohttp.ClientSession(connector=connector) as session:

                    async def aiohttp_call(s: aiohttp.ClientSession = session) -> None:
                        async with s.post(url, json=BODY) as response:
                            await response.read()
                            response.raise_for_status()

                    await measure("aiohttp", aiohttp_call, args.n, bound)
            if importlib.util.find_spec("pyreqwest") is not None:
                from pyreqwest.client import ClientBuilder

                async with (
                    ClientBuilder().max_connections(bound).error_for_status(True).build() as rc
                ):

                    async def reqwest_call(c: Any = rc, body: bytes = orjson.dumps(BODY)) -> None:
                        resp = (
                            await c.post(url)
                            .header("Content-Type", "application/json")
                            .body_bytes(body)
                            .build()
                            .send()
                        )
                        await resp.bytes()

                    await measure("pyreqwest", reqwest_call, args.n, bound)
    finally:
        sink.stop(5)


if __name__ == "__main__":
    asyncio.run(main())
