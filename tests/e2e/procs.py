"""The three services as real processes (for the failure tests and the kill-window
measurement): start, ``kill -9`` with proof that the process died and its port closed,
and an upstream system posting reports until Kafka took them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devtools import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest_service", "routing_service", "notify_service")
KECAMATAN = ["63.10.03", "63.10.04", "63.10.08", "63.10.09"]  # mining: high severity


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class Cluster:
    """The three services as real processes, restartable one by one; ``root``: the
    checkout to run (another one measures an older version); ``own``: variables of one
    service only (its Kafka user, say)."""

    def __init__(
        self,
        env: dict[str, str],
        logs: Path,
        root: Path = ROOT,
        own: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.env, self.logs, self.root, self.own = env, logs, root, own or {}
        self.ports = {s: free_port() for s in SERVICES}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.kills: list[tuple[str, float]] = []  # (service, time.time() of the kill)

    def start(self, service: str) -> None:
        log = (self.logs / f"{service}.log").open("ab")
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", service, "--port", str(self.ports[service])],
            cwd=self.root,
            env={**self.env, **self.own.get(service, {}), "PYTHONPATH": str(self.root)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, service: str) -> float:
        """``kill -9``; asserts the process died of SIGKILL and its port closed."""
        proc = self.procs[service]
        assert proc.poll() is None, f"{service} was not running"
        at = time.time()
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL, f"{service} did not die of SIGKILL"
        assert not port_open(self.ports[service]), f"{service}'s port still open"
        self.kills.append((service, at))
        return at

    async def ready(self, service: str) -> bool:
        try:
            async with httpx.AsyncClient() as c:
                r = await c.get(f"http://127.0.0.1:{self.ports[service]}/ready", timeout=2)
                return r.status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def report_body(i: int, prefix: str = "fail") -> dict[str, object]:
    return {
        "category": "illegal_work",
        "upstream_ref": f"{prefix}-{i}",
        "location": {"kecamatan_code": KECAMATAN[i % len(KECAMATAN)]},
        "subjects": [{"full_name": f"Worker {i}", "passport_number": f"F{1000000 + i}"}],
    }


async def post_until_accepted(
    client: httpx.AsyncClient, c: Cluster, i: int, prefix: str = "fail"
) -> str:
    """An upstream system: retries on 503 / connection errors until Kafka took the report."""
    url = f"http://127.0.0.1:{c.ports['ingest_service']}/v1/reports"
    headers = {"X-API-Key": "dev-key-kanim", "Idempotency-Key": f"{prefix}-{i}"}
    while True:
        try:
            r = await client.post(url, json=report_body(i, prefix), headers=headers)
            if r.status_code == 202:
                return str(r.json()["report_ids"][0])
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.5)


def service_env(bootstrap: str, prefix: str, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TIMPORA_TOPIC_PREFIX": prefix,
        "DATABASE_URL": database_url,
        "NOTIFY_RETRY_BASE_SECONDS": "0.3",
        "NOTIFY_MAX_ATTEMPTS": "8",
        # Failure tests send a member far more alerts than Telegram lets a bot send one
        # chat (1/s): they test kills and outages, not pacing (tested on its own).
        "NOTIFY_TELEGRAM_CHAT_RATE_PER_SECOND": "50",
    }
