"""Helpers shared by the Kafka and PostgreSQL parts of the local stack.

Progress messages (``say``), commands that fail with their output (``run``), process and
log helpers, the ``up``/``down`` lock and ``apt-get install`` on first use. Standard library
only, like the rest of ``scripts/stack.py``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
STATE = Path(os.environ.get("TIMPORA_STACK_DIR") or ROOT / ".stack").resolve()
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "timpora"

LOG_ROTATE_BYTES = 20 * 1024 * 1024


class StackError(Exception):
    """A failure to report on stderr (without a traceback) before exiting non-zero."""


def say(text: str) -> None:
    """Progress goes to stderr so that stdout stays clean for `env`."""
    print(f"[stack] {text}", file=sys.stderr, flush=True)


# --- small process and file helpers ------------------------------------------------------


def run(args: list[str], *, what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise StackError with its output (mvn -q prints errors)."""
    result = subprocess.run(args, text=True, capture_output=True, check=False, **kwargs)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise StackError(f"{what} failed (exit {result.returncode}):\n{tail_text(output, 40)}")
    return result


def tail_text(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])


START_MARK = "==== scripts/stack.py starts the broker"


def tail_file(path: Path, lines: int = 30) -> str:
    """The last lines of a log, limited to the latest broker start when it is marked."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} is missing)"
    if START_MARK in text:
        text = text.rpartition(START_MARK)[2].partition("\n")[2]
    return tail_text(text, lines)


def rotate(log: Path) -> None:
    """Keep one previous log so a long-lived dev stack does not fill the disk."""
    with contextlib.suppress(OSError):
        if log.stat().st_size > LOG_ROTATE_BYTES:
            log.replace(log.with_name(log.name + ".1"))


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return Path(f"/proc/{pid}").exists() and _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def all_pids() -> Iterator[int]:
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def stop_process(pid: int, name: str, timeout: float) -> None:
    """SIGTERM (the whole process group when it leads one), wait, then SIGKILL."""
    try:
        group = os.getpgid(pid) == pid
        (os.killpg if group else os.kill)(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not alive(pid):
            say(f"{name} stopped ({time.monotonic() - started:.1f}s)")
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    say(f"{name} did not stop within {timeout:.0f}s: killed")


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


_apt_updated = False


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only); `apt-get update` once per run."""
    global _apt_updated
    if os.geteuid() != 0:
        raise StackError(
            f"missing {' '.join(packages)}: run `sudo apt-get install {' '.join(packages)}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        run(["apt-get", "update", "-q"], what="apt-get update", env=env)
        _apt_updated = True
    say(f"installing {' '.join(packages)} with apt-get (first run only)...")
    run(["apt-get", "install", "-y", "-q", *packages], what="apt-get install", env=env)


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """Serialise `up`/`down` (e.g. parallel CI jobs) so two brokers never race for one dir."""
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another stack.py is running; waiting for it...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
