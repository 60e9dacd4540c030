"""The attack (#17 item 1): the README prints the development API keys, and the image used
to carry the file that accepts them, so a production deployment answered to them. Ingest
runs as a real process with ``TIMPORA_ENV=production``: it refuses to start with the
development key file, with a key file holding any development key, or without naming a
key file; with the deployment's own file it starts and refuses the development keys."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from devtools import free_port
from tests.kafkautil import wait_for
from tests.security.scram import SecureKafka, as_user, env_of

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
DEV_FILE = ROOT / "config" / "api_keys.yaml"
OWN = "k3y-only-this-deployment-knows"


def production(kafka: SecureKafka, database_url: str, **extra: str) -> dict[str, str]:
    """Production as it must be: Kafka over SASL_SSL as the ingest service's own user."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGEST_")}
    return env | {
        "TIMPORA_ENV": "production",
        "TIMPORA_SECRET_KEY": "a-real-secret-of-this-deployment",
        **env_of(as_user(kafka, "timpora-ingest")),
        "DATABASE_URL": database_url,
        **extra,
    }


def key_file(path: Path, *keys: tuple[str, str]) -> Path:
    lines = ["sources:"]
    for source, key in keys:
        digest = hashlib.sha256(key.encode()).hexdigest()
        lines += [f"  - source: {source}", f"    key_sha256: {digest}", "    formats: [canonical]"]
    path.write_text("\n".join(lines) + "\n")
    return path


def refused(env: dict[str, str]) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "ingest_service", "--port", str(free_port())],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0, run.stdout
    return run.stderr


def test_production_refuses_the_development_keys(
    secure_kafka: SecureKafka, kafka_acls: list[str], database_url: str, tmp_path: Path
) -> None:
    env = production(secure_kafka, database_url)
    assert "INGEST_API_KEYS_FILE must name" in refused(env)  # the default: the dev file
    assert "INGEST_API_KEYS_FILE must name" in refused(
        env | {"INGEST_API_KEYS_FILE": str(DEV_FILE)}
    )
    mixed = key_file(
        tmp_path / "mixed.yaml", ("kanim-batulicin", OWN), ("apoa-kalsel", "dev-key-apoa")
    )
    assert "development API keys" in refused(env | {"INGEST_API_KEYS_FILE": str(mixed)})
    assert "apoa-kalsel" in refused(env | {"INGEST_API_KEYS_FILE": str(mixed)})


async def test_with_its_own_key_file_production_answers_only_its_own_keys(
    secure_kafka: SecureKafka, kafka_acls: list[str], database_url: str, tmp_path: Path
) -> None:
    own = key_file(tmp_path / "keys.yaml", ("kanim-batulicin", OWN))
    port = free_port()
    env = production(secure_kafka, database_url, INGEST_API_KEYS_FILE=str(own))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest_service", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:

            async def up() -> bool:
                try:
                    return (await c.get("/health")).status_code == 200
                except httpx.HTTPError:
                    return False

            await wait_for(up, timeout=60, interval=0.5)
            body = {"category": "presence", "location": {"kecamatan_code": "63.10.04"}}
            for dev_key in ("dev-key-kanim", "dev-key-apoa"):
                r = await c.post("/v1/reports", json=body, headers={"X-API-Key": dev_key})
                assert r.status_code == 401, (dev_key, r.status_code)
            ok = await c.post("/v1/reports", json=body, headers={"X-API-Key": OWN})
            assert ok.status_code == 202, ok.text
    finally:
        proc.terminate()
        proc.wait(30)
