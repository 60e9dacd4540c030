"""Run the whole system on this machine; with ``--demo``, play the Tanah Bumbu scenario.

Started by ``scripts/run``. Kafka and PostgreSQL come from ``scripts/stack.py``; the
database is SQLite by default (``--database postgres`` for the local PostgreSQL, or
``DATABASE_URL``). Each service runs as its own process, as in production, with logs in
``.stack/logs/``. With ``--demo`` the fake providers of ``devtools`` (Kannel, SMTP, the
Telegram Bot API, the WhatsApp Cloud API) run here and show, as it happens, what each
phone or mailbox receives; the scenario's reports are sent to the ingest API, one alert
escalates because nobody acknowledges it, and one acknowledgement by SMS reply stops
another. Ctrl-C stops every process started here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".stack"
LOGS = STATE / "logs"
SERVICES = {
    "ingest_service": 8081,
    "routing_service": 8082,
    "notify_service": 8083,
    "console_service.web": 8084,
}
CONSOLE_LOGIN = STATE / "console-operator.txt"
console = Console()


def say(text: str) -> None:
    console.print(f"[bold cyan][run][/bold cyan] {text}")


def stack_env(database: str) -> dict[str, str]:
    subprocess.run([sys.executable, "scripts/stack.py", "up"], cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "scripts/stack.py", "env"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value.strip("'\"")
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{STATE / 'timpora.db'}"
    elif database == "env":
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return env


def prepare(env: dict[str, str], demo: bool) -> None:
    cli = [sys.executable, "-m", "console_service"]
    subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    subprocess.run([*cli, "topics", "create"], cwd=ROOT, env=env, check=True)
    teams = ROOT / "config" / "teams.yaml"
    if demo:  # the demo shows deliveries now, whatever the hour: no quiet hours
        from shared.directory import dump_directory, load_directory

        directory = load_directory(teams)
        for team in directory:
            for member in team.members:
                member.quiet_hours = None
        teams = STATE / "demo-teams.yaml"
        teams.write_text(dump_directory(directory))
    subprocess.run([*cli, "teams", "import", str(teams)], cwd=ROOT, env=env, check=True)
    offices = ROOT / "config" / "offices.yaml"
    subprocess.run([*cli, "offices", "import", str(offices)], cwd=ROOT, env=env, check=True)
    console_account(cli, env)


def console_account(cli: list[str], env: dict[str, str]) -> None:
    """A local operator of Kantor Imigrasi Batulicin (Tanah Bumbu and Kotabaru), made on
    the first run with a random password kept in .stack/console-operator.txt (0600)."""
    if not CONSOLE_LOGIN.exists():
        password = secrets.token_urlsafe(12)
        subprocess.run(
            [*cli, "users", "add", "operator", "--role", "operator", "--office", "batulicin",
             "--scope", "63.10", "--scope", "63.02", "--name", "Operator Batulicin",
             "--password-stdin"],
            cwd=ROOT, env=env, check=True, input=password + "\n", text=True,
        )  # fmt: skip
        CONSOLE_LOGIN.write_text(f"operator {password}\n")
        CONSOLE_LOGIN.chmod(0o600)
    user, password = CONSOLE_LOGIN.read_text().split()
    say(f"console http://127.0.0.1:8084 · user {user} · password {password}")


def start_services(env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    procs = []
    for service, port in SERVICES.items():
        log = (LOGS / f"{service}.log").open("ab")  # console_service.web.log for the console
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", service, "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        say(f"{service} pid {procs[-1].pid} on :{port}, log {LOGS / (service + '.log')}")
    return procs


async def wait_ready(limit_s: float = 90) -> None:
    async with httpx.AsyncClient() as client:
        for service, port in SERVICES.items():
            deadline = time.monotonic() + limit_s
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{service} not ready; see {LOGS / (service + '.log')}")
                await asyncio.sleep(0.5)
            say(f"{service} ready")


def show_message(received) -> None:  # type: ignore[no-untyped-def]
    icon = {
        "sms": "📱 SMS",
        "email": "📧 Email",
        "telegram": "💬 Telegram",
        "whatsapp": "🟢 WhatsApp",
    }
    head = f"{icon.get(received.channel, received.channel)} → {received.to}"
    body = received.subject if received.channel == "email" else received.text
    console.print(f"[green]{head}[/green]\n   {body[:400]}".replace("\n", "\n   "))


async def demo(env: dict[str, str], sinks) -> None:  # type: ignore[no-untyped-def]
    from devtools.scenario import steps

    await wait_ready()
    async with httpx.AsyncClient(base_url="http://127.0.0.1:8081", timeout=30) as ingest:
        for step in steps():
            console.rule(f"[bold]{step.label}")
            response = await ingest.request(
                step.method,
                step.path,
                headers=step.headers,
                content=step.body or None,
                params=step.params or None,
            )
            console.print(f"ingest answered {response.status_code}: {response.text[:300]}")
            await asyncio.sleep(2.5)
    console.rule("[bold]Waiting: who acknowledges?")
    await asyncio.sleep(3)
    # The Angsana team's Camat replies to the SMS; the Simpang Empat overstay stays unanswered.
    angsana = next((r for r in sinks.received if r.channel == "sms" and "Angsana" in r.text), None)
    if angsana:
        code = re.search(r"OK ([A-Z0-9]{5})", angsana.text)
        if code:
            async with httpx.AsyncClient(base_url="http://127.0.0.1:8083") as notify:
                reply = await notify.get(
                    "/v1/webhooks/kannel",
                    params={
                        "key": env["NOTIFY_INBOUND_KEY"],
                        "from": angsana.to,
                        "text": f"OK {code[1]}",
                    },
                )
            console.print(f"📱 {angsana.to} replies 'OK {code[1]}' → {reply.text}")
    say(f"escalation after {env['DEMO_ESCALATE']} without acknowledgement; watch for ESKALASI")
    await asyncio.sleep(float(env["DEMO_ESCALATE"].rstrip("s")) + 5)
    await summary(env)


async def summary(env: dict[str, str]) -> None:
    from sqlalchemy import func, select

    from notify_service.models import DeliveryRow
    from routing_service.models import AlertRow
    from shared.db import make_engine, make_sessionmaker

    engine = make_engine(env["DATABASE_URL"])
    async with make_sessionmaker(engine)() as session:
        alerts = (await session.scalars(select(AlertRow).order_by(AlertRow.created_at))).all()
        counts = dict(
            (
                await session.execute(
                    select(DeliveryRow.alert_id, func.count())
                    .where(DeliveryRow.status == "sent")
                    .group_by(DeliveryRow.alert_id)
                )
            ).all()
        )
    await engine.dispose()
    table = Table(title="Alerts")
    for column in ("alert", "team", "level", "status", "version", "reports", "sent", "ack code"):
        table.add_column(column)
    for a in alerts:
        table.add_row(
            a.alert_id[-8:],
            a.team_id,
            a.level,
            a.status,
            str(a.version),
            str(len(a.report_ids)),
            str(counts.get(a.alert_id, 0)),
            a.ack_code,
        )
    console.print(table)
    say("the system keeps running: ingest API http://127.0.0.1:8081/docs · Ctrl-C stops")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="scripts/run",
        description="Start Kafka, the database, the three Timpora services and the operator "
        "console locally. "
        "With --demo, also local SMS/email/chat sinks and the Tanah Bumbu scenario.",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default=None,
        help="sqlite (embedded, the default) or the local PostgreSQL; DATABASE_URL wins if set",
    )
    parser.add_argument("--demo", action="store_true", help="play the scenario and show deliveries")
    parser.add_argument(
        "--escalate-after",
        default="20s",
        help="demo only: escalation timeout used by the demo policy (default 20s)",
    )
    args = parser.parse_args()
    database = args.database or ("env" if "DATABASE_URL" in os.environ else "sqlite")
    env = stack_env(database)
    say(f"database {env['DATABASE_URL'].split('@')[-1]}")
    prepare(env, args.demo)
    asyncio.run(run(env, args))


async def run(env: dict[str, str], args: argparse.Namespace) -> None:
    sinks = None
    if args.demo:
        from devtools import Sinks

        sinks = Sinks(on_receive=show_message)
        await sinks.start()
        policy = (ROOT / "routing_service" / "config" / "policy.yaml").read_text()
        policy = re.sub(
            r"escalate_after: \d+[smhd]", f"escalate_after: {args.escalate_after}", policy
        )
        (STATE / "demo-policy.yaml").write_text(policy)
        env |= sinks.notify_env() | {
            "ROUTING_POLICY_FILE": str(STATE / "demo-policy.yaml"),
            "NOTIFY_INBOUND_KEY": "demo-inbound-key",
            "DEMO_ESCALATE": args.escalate_after,
        }
        urls = ", ".join(f"{fake.channel} {fake.base_url}" for fake in sinks.http)
        say(f"provider fakes: {urls}, email smtp://{sinks.smtp.host}:{sinks.smtp.port}")
    procs = start_services(env)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if sinks is not None:
            await demo(env, sinks)
        else:
            await wait_ready()
            say(
                "ingest http://127.0.0.1:8081/docs · notify http://127.0.0.1:8083 · "
                "console http://127.0.0.1:8084 · Ctrl-C stops"
            )
        while not stop.is_set():
            for p, service in zip(procs, SERVICES, strict=True):
                if p.poll() is not None:
                    say(f"{service} exited with {p.returncode}; see its log")
                    stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1)
    finally:
        say("stopping services")
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=25)
            except subprocess.TimeoutExpired:
                p.kill()
        if sinks is not None:
            await sinks.stop()


if __name__ == "__main__":
    main()
