"""scripts/stack.py: the command line the scripts, CI and failure tests rely on.

Nothing here starts or stops the stack: ``env`` and ``--help`` only print, and ``status``
asks about ports nothing listens on.
"""

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "scripts" / "stack.py"


def stack(*args: str) -> subprocess.CompletedProcess[str]:
    # The system python3 runs it before any virtualenv exists: no -m, no project imports.
    return subprocess.run(
        [sys.executable, "-I", str(STACK), *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def stackctl(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import stackctl.kafka

    return stackctl


def test_env_prints_the_exports_for_the_given_ports() -> None:
    result = stack("env", "--kafka-port", "19092", "--pg-port", "15432")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092",
        "export DATABASE_URL=postgresql+asyncpg://timpora:timpora@127.0.0.1:15432/timpora",
    ]


def test_status_of_ports_nobody_serves_is_down_with_exit_3() -> None:
    result = stack("status", "--only", "kafka", "--kafka-port", "1")
    assert result.returncode == 3, result.stderr
    assert result.stdout.split()[:3] == ["kafka", "127.0.0.1:1", "down"]


def test_help_names_every_command() -> None:
    result = stack("--help")
    assert result.returncode == 0, result.stderr
    assert "{up,down,status,env}" in result.stdout
    assert "--only {kafka,postgres,chromium}" in result.stdout


def test_kafka_listens_on_the_port_and_its_controller_on_the_next(stackctl: ModuleType) -> None:
    properties = stackctl.kafka.kafka_properties(19092).splitlines()
    assert "listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093" in properties
    assert "controller.quorum.voters=1@127.0.0.1:19093" in properties
    assert "auto.create.topics.enable=false" in properties
