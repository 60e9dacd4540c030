"""PostgreSQL for the local stack: Debian's server binaries, one cluster of our own.

The server (``apt-get install postgresql`` when no server binaries are found) runs as the
``postgres`` OS user when ``scripts/stack.py`` runs as root (PostgreSQL refuses to run as
root), else as the current user. Its cluster lives in ``.stack/postgres/data``, or in
``/var/tmp/timpora-pg-<port>`` when the ``postgres`` user cannot traverse to ``.stack`` (e.g. a
project under a private home directory) or the socket path would be too long. It serves
``postgresql+asyncpg://timpora:timpora@127.0.0.1:<port>/timpora`` (role ``timpora`` is a
superuser so tests can create and drop databases).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

from .common import (
    ROOT,
    STATE,
    StackError,
    alive,
    all_pids,
    apt_install,
    cmdline,
    port_in_use,
    rotate,
    run,
    say,
    tail_file,
)

PG_OS_USER = "postgres"
PG_ROLE = PG_DB = "timpora"
PG_PASSWORD = "timpora"  # noqa: S105 - a local throwaway development database
PG_MAX_SOCKET_PATH = 100  # Linux limits a unix socket path to 107 bytes

PG_TOOLS = ("initdb", "pg_ctl", "postgres", "pg_isready", "psql")


def find_pg_bindir() -> Path | None:
    """Server binaries: pg_ctl on PATH (if it is the real one, not a wrapper) or Debian's."""
    candidates = []
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).resolve().parent)
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versions, key=lambda p: _version_key(p.parent.name), reverse=True)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in PG_TOOLS):
            return bindir
    return None


def pg_bindir() -> Path:
    """Server binaries, installed with apt on first use."""
    if bindir := find_pg_bindir():
        return bindir
    apt_install("postgresql")
    if bindir := find_pg_bindir():
        return bindir
    raise StackError("no PostgreSQL server binaries after `apt-get install postgresql`")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def pg_user() -> str | None:
    """The OS user that runs the server: `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_OS_USER)
    except KeyError:
        say(f"creating system user {PG_OS_USER}")
        run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--home-dir",
                "/var/lib/postgresql",
                "--shell",
                "/bin/bash",
                PG_OS_USER,
            ],
            what="useradd postgres",
        )
    return PG_OS_USER


def as_pg(args: list[str]) -> list[str]:
    user = pg_user()
    return ["runuser", "-u", user, "--", *args] if user else args


def pg_fallback_home(port: int) -> Path:
    return Path(f"/var/tmp/timpora-pg-{port}")


def pg_home_owner(home: Path) -> Path | None:
    """The state dir a cluster home belongs to (a /var/tmp home is shared by checkouts)."""
    try:
        return Path((home / "stack-dir").read_text().strip())
    except OSError:
        # Written since this file exists; before, only the project's own .stack used /var/tmp.
        return ROOT / ".stack" if (home / "data" / "PG_VERSION").exists() else None


def pg_home(port: int) -> Path:
    """Where the cluster (data/) and its unix socket live; see the module docstring."""
    preferred = STATE / "postgres"
    socket_path = preferred / f".s.PGSQL.{port}.lock"
    if len(str(socket_path)) <= PG_MAX_SOCKET_PATH:
        STATE.mkdir(parents=True, exist_ok=True)
        reachable = subprocess.run(as_pg(["test", "-x", str(STATE)]), check=False)
        if reachable.returncode == 0:
            return preferred
    fallback = pg_fallback_home(port)
    if pg_home_owner(fallback) not in (None, STATE):
        raise StackError(
            f"{fallback} belongs to {pg_home_owner(fallback)}; choose another --pg-port"
        )
    return fallback


def pg_homes(port: int) -> list[Path]:
    """Every home of ours to look for a running cluster (also one from an older layout)."""
    homes = [STATE / "postgres"]
    if pg_home_owner(pg_fallback_home(port)) == STATE:
        homes.append(pg_fallback_home(port))
    return homes


class Cluster(NamedTuple):
    data: Path
    pid: int
    port: int


def postmaster(data: Path) -> Cluster | None:
    """The live server of a data dir, from its postmaster.pid (pid, data dir, ..., port)."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    args = cmdline(pid)
    if args and alive(pid) and Path(args[0]).name == "postgres":
        return Cluster(data, pid, port)
    return None


def pg_running(port: int) -> Cluster | None:
    """Our running cluster (on whatever port it was started)."""
    for home in pg_homes(port):
        if cluster := postmaster(home / "data"):
            return cluster
    return None


def clear_stale_locks(home: Path) -> None:
    """After a kill -9: kill orphaned backends, remove lock files of the dead server.

    PostgreSQL refuses to start while orphaned backends (whose cwd is the data dir) still
    hold the old shared memory, and it takes a lock file (postmaster.pid, the socket's
    .lock) as in use while its pid exists, which includes a reused pid or a zombie that
    nobody reaped (containers whose init does not reap orphans).
    """
    data = home / "data"
    if postmaster(data):
        return
    for pid in all_pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cwd").resolve() == data.resolve() and pid != os.getpid():
                say(f"killing orphaned postgres process {pid}")
                os.kill(pid, signal.SIGKILL)
    for lock in [data / "postmaster.pid", *home.glob(".s.PGSQL.*.lock")]:
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(lock.read_text().split()[0])
            if not (alive(pid) and Path(cmdline(pid)[0]).name == "postgres"):
                lock.unlink()
                say(f"removed stale {lock.name} (pid {pid} is gone)")


def pg_ready(port: int, bindir: Path) -> bool:
    result = subprocess.run(
        [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "2"],
        check=False,
    )
    return result.returncode == 0


def pg_settings(port: int, home: Path) -> str:
    return f"""# Written by scripts/stack.py on every `up`; included from postgresql.conf.
port = {port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '{home}'
max_connections = 200
shared_buffers = 256MB
# Durability settings stay at their defaults: tests see what production sees.
"""


PG_HBA = """# Written by scripts/stack.py at initdb. Local socket: trust (admin by this script);
# TCP: password, so DATABASE_URL is checked for real.
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def pg_write(path: Path, text: str) -> None:
    path.write_text(text)
    if user := pg_user():
        shutil.chown(path, user, user)


def pg_init(bindir: Path, home: Path, port: int) -> Path:
    """Create the home (owned by the server's user) and initdb once; write our settings."""
    data = home / "data"
    home.mkdir(parents=True, exist_ok=True)
    if user := pg_user():
        shutil.chown(home, user, user)
    home.chmod(0o700)
    pg_write(home / "stack-dir", f"{STATE}\n")
    if not (data / "PG_VERSION").exists():
        say(f"initialising a PostgreSQL cluster in {data} (first run only)")
        run(
            as_pg(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            what="initdb",
        )
        pg_write(data / "pg_hba.conf", PG_HBA)
        conf = data / "postgresql.conf"
        pg_write(conf, conf.read_text() + "\ninclude_if_exists = 'timpora.conf'\n")
    pg_write(data / "timpora.conf", pg_settings(port, home))
    return data


def pg_up(port: int) -> None:
    bindir = pg_bindir()
    running = pg_running(port)
    if running and running.port != port:
        say(f"postgres runs on port {running.port}; restarting on {port}")
        pg_stop(bindir, running.data)
        running = None
    if running:
        if not wait_pg_ready(port, bindir, timeout=60):
            raise StackError(
                f"postgres (pid {running.pid}) runs but refuses connections; last lines of "
                f"{running.data.parent / 'server.log'}:\n"
                + tail_file(running.data.parent / "server.log")
            )
        say(f"postgres already serving on 127.0.0.1:{port} (pid {running.pid}, {running.data})")
        home = running.data.parent
    elif port_in_use(port):
        if pg_login_ok(bindir, port):  # e.g. started from another checkout: usable as is
            say(f"postgres already serving on 127.0.0.1:{port} (not started from {STATE})")
            return
        raise StackError(
            f"127.0.0.1:{port} is taken by something that is not our PostgreSQL; "
            f"see `ss -ltnp 'sport = :{port}'` or choose --pg-port"
        )
    else:
        home = pg_home(port)
        pg_start(bindir, home, port)
    ensure_database(bindir, home, port)
    if not pg_login_ok(bindir, port):
        raise StackError(f"cannot log in to {database_url(port)}")


def wait_pg_ready(port: int, bindir: Path, timeout: float) -> bool:
    started = time.monotonic()
    while not pg_ready(port, bindir):
        if time.monotonic() - started > timeout:
            return False
        time.sleep(0.25)
    return True


def pg_start(bindir: Path, home: Path, port: int) -> None:
    data = pg_init(bindir, home, port)
    clear_stale_locks(home)
    log = home / "server.log"
    rotate(log)
    started = time.monotonic()
    result = subprocess.run(
        as_pg([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"]),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not wait_pg_ready(port, bindir, timeout=30):
        raise StackError(
            f"postgres did not start:\n{(result.stdout + result.stderr).strip()}\n"
            f"last lines of {log}:\n{tail_file(log)}"
        )
    say(f"postgres ready on 127.0.0.1:{port} ({time.monotonic() - started:.1f}s, data {data})")


# psql's \gexec runs the generated statement only when the SELECT returned a row.
ENSURE_SQL = """
SELECT 'CREATE ROLE timpora LOGIN SUPERUSER'
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'timpora') \\gexec
ALTER ROLE timpora WITH LOGIN PASSWORD 'timpora';
SELECT 'CREATE DATABASE timpora OWNER timpora'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'timpora') \\gexec
"""


def ensure_database(bindir: Path, home: Path, port: int) -> None:
    """Role and database, idempotently, as the superuser over the trusted unix socket."""
    run(
        as_pg(
            [
                str(bindir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(home),
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ]
        ),
        what="creating role and database",
        input=ENSURE_SQL,
    )


def pg_login_ok(bindir: Path, port: int) -> bool:
    result = subprocess.run(
        [str(bindir / "psql"), "-X", "-tAc", "SELECT 1", database_url(port, driver="")],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() == "1"


def pg_stop(bindir: Path, data: Path) -> None:
    started = time.monotonic()
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "stop"]
    if subprocess.run(as_pg([*pg_ctl, "-m", "fast"]), capture_output=True, check=False).returncode:
        say("fast shutdown failed; using immediate shutdown")
        run(as_pg([*pg_ctl, "-m", "immediate"]), what="pg_ctl stop -m immediate")
    say(f"postgres stopped ({time.monotonic() - started:.1f}s)")


def pg_down(port: int) -> None:
    running = pg_running(port)
    if running is None:
        say("postgres not running")
        return
    pg_stop(pg_bindir(), running.data)


def database_url(port: int, driver: str = "+asyncpg") -> str:
    return f"postgresql{driver}://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:{port}/{PG_DB}"
