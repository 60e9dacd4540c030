"""The console's pages with a national-office-sized history: latency per page.

Seeds a fresh PostgreSQL database (``timpora_bench_console`` on the local stack) with
``--alerts`` alerts (default 100,000) over 90 days, in every kecamatan of South
Kalimantan (Tanah Bumbu and Kotabaru, the Batulicin office's scope, are about a third),
mostly acknowledged or closed, a few open or muted, each with ``--deliveries-per-alert``
delivery rows (default 10: 1,000,000), its escalation timer and its processed report.
Then it serves the console app in this process (Kafka from the local stack) and asks
each page ``--requests`` times as a logged-in operator of Batulicin and as an
administrator of the whole country, one request at a time, and prints p50 / p95 / max
in milliseconds. The goal (#19): list, story and overview under 200 ms at p95.

    uv run --frozen python -m bench.bench_console
    uv run --frozen python -m bench.bench_console --alerts 10000 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.common import say
from console_service.web.app import create_app
from console_service.web.identity import hash_password
from shared.db import migrate
from shared.jurisdiction import regions
from shared.schemas import AlertRouted, Level, Location, PlaceResolution, Report, Subject
from shared.settings import ConsoleSettings

ADMIN_URL = "postgresql://timpora:timpora@127.0.0.1:55432/timpora"
DATABASE = "timpora_bench_console"
GOAL_MS = 200.0
PASSWORD = "bench password 1"
STATUSES = ["closed"] * 60 + ["acked"] * 35 + ["open"] * 4 + ["muted"]
CHANNELS = ["sms", "email", "telegram", "whatsapp"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_console", description=__doc__)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--deliveries-per-alert", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="per page and user")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database")
    return parser.parse_args()


def kecamatan_codes() -> list[str]:
    return [r.code for r in regions().children("63") for r in regions().children(r.code)]


def payload(alert_id: str, code: str, level: str, at: datetime) -> dict[str, Any]:
    report = Report(
        source="kanim-batulicin",
        category="overstay",
        severity="medium",
        received_at=at,
        location=Location(kecamatan_code=code),
        resolution=PlaceResolution(code=code, routing_code=code, confidence=0.9, method="name"),
        subjects=[
            Subject(full_name="Bench Subject", nationality="CHN", passport_number="E1234567")
        ],
        text="WNA bekerja di tambang tanpa izin",
    )
    return AlertRouted(
        alert_id=alert_id,
        report_id=report.report_id,
        report_ids=[report.report_id],
        team_id=f"timpora-{code}",
        level=Level(level),
        jurisdiction_code=code,
        matched_rules=["overstay"],
        reason="new",
        category="overstay",
        severity="medium",
        ack_code=alert_id[-5:],
        routed_at=at,
        report=report,
    ).model_dump(mode="json")


async def seed(args: argparse.Namespace, url: str) -> list[str]:
    """Insert everything with COPY; return the ids of the alerts in Batulicin's scope."""
    rng = random.Random(args.seed)
    codes = kecamatan_codes()
    home = [c for c in codes if c.startswith(("63.10.", "63.02."))]
    now = datetime.now(UTC)
    conn = await asyncpg.connect(url)
    alerts, versions, deliveries, timers, processed, mine = [], [], [], [], [], []
    started = time.perf_counter()
    for i in range(args.alerts):
        code = rng.choice(home) if rng.random() < 0.33 else rng.choice(codes)
        created = now - timedelta(seconds=rng.uniform(0, 90 * 86400))
        status = rng.choice(STATUSES)
        escalated = rng.random() < 0.2
        team_code = code.rsplit(".", 1)[0] if escalated else code
        level = "kabupaten" if escalated else "kecamatan"
        alert_id = f"01BENCH{i:019d}"
        body = payload(alert_id, team_code, level, created)
        text = json.dumps(body)
        acked = (
            created + timedelta(seconds=rng.uniform(30, 3600))
            if status in ("acked", "closed")
            else None
        )
        closed = acked + timedelta(hours=2) if status == "closed" and acked else None
        report_id = body["report_id"]
        alerts.append(
            (alert_id, f"timpora-{team_code}", f"overstay|{code}|{i}", level, team_code, code,
             alert_id[-5:], 1, 1, json.dumps([report_id]), json.dumps(["overstay"]), "medium",
             "overstay", status, int(escalated), 1800, created + timedelta(hours=1), created,
             created, acked, "m0001" if acked else None, closed, "m0001" if closed else None,
             "selesai" if closed else None, text)
        )  # fmt: skip
        timers.append(
            (
                alert_id,
                created + timedelta(minutes=30),
                1,
                "pending" if status == "open" else "cancelled",
            )
        )
        fate = {"outcome": "send", "alert_id": alert_id, "version": 1, "team_id": body["team_id"]}
        processed.append((report_id, created, "[]", json.dumps([fate])))
        for k in range(args.deliveries_per_alert):
            deliveries.append(
                (f"D{i:019d}{k:03d}", alert_id, 1 + k // 5, report_id, f"timpora-{team_code}",
                 f"m{k:04d}", CHANNELS[k % 4], alert_id[-5:], "sent", 1, "[]", created, created)
            )  # fmt: skip
        for version in range(1, 1 + (args.deliveries_per_alert + 4) // 5):
            versions.append(
                (alert_id, version, "new", level, "medium", team_code, None, text, created)
            )
        if code in home:
            mine.append(alert_id)
    took = time.perf_counter() - started
    say(f"generated {len(alerts):,} alerts, {len(deliveries):,} deliveries in {took:.0f} s")
    started = time.perf_counter()
    await conn.copy_records_to_table(
        "routing_alerts",
        records=alerts,
        columns=[
            "alert_id", "team_id", "group_key", "level", "jurisdiction_code", "place_code",
            "ack_code", "version", "occurrence_count", "report_ids", "matched_rules", "severity",
            "category", "status", "escalation_step", "escalate_after_s", "window_ends_at",
            "created_at", "updated_at", "acked_at", "acked_by", "closed_at", "closed_by",
            "close_note", "last_payload",
        ],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "routing_escalation_timers", records=timers, columns=["alert_id", "due_at", "step", "state"]
    )
    await conn.copy_records_to_table(
        "routing_processed_reports",
        records=processed,
        columns=["report_id", "processed_at", "outputs", "fate"],
    )
    await conn.copy_records_to_table(
        "alert_versions",
        records=versions,
        columns=[
            "alert_id", "version", "reason", "level", "severity", "jurisdiction_code",
            "jurisdiction_name", "payload", "created_at",
        ],
    )  # fmt: skip
    for start in range(0, len(deliveries), 200_000):
        await conn.copy_records_to_table(
            "deliveries",
            records=deliveries[start : start + 200_000],
            columns=[
                "delivery_id", "alert_id", "alert_version", "report_id", "team_id", "member_id",
                "channel", "ack_code", "status", "attempts", "fallback_channels", "created_at",
                "updated_at",
            ],
        )  # fmt: skip
        say(f"  deliveries {min(start + 200_000, len(deliveries)):,}")
    hashed = await hash_password(PASSWORD)
    await conn.executemany(
        "INSERT INTO console_users (user_id, username, display_name, password_hash, role, office,"
        " scopes, failed_logins, disabled, created_at) VALUES ($1, $2, $2, $3, $4, $5, $6, 0,"
        " false, now())",
        [
            ("U1", "ops-batulicin", hashed, "operator", "batulicin", '["63.10", "63.02"]'),
            ("U2", "admin", hashed, "admin", "pusat", '["*"]'),
        ],
    )
    await conn.execute("ANALYZE")
    await conn.close()
    say(f"copied in {time.perf_counter() - started:.0f} s")
    return mine


async def fresh_database(keep: bool) -> tuple[str, bool]:
    admin = await asyncpg.connect(ADMIN_URL)
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
    if exists and not keep:
        await admin.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
    if not exists or not keep:
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    await admin.close()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}", bool(exists and keep)


async def timed(client: httpx.AsyncClient, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


async def login(client: httpx.AsyncClient, username: str) -> None:
    form = await client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
    answer = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf": csrf}
    )
    assert (answer.status_code, answer.headers.get("location")) == (303, "/"), answer.text


async def main() -> None:
    args = parse_args()
    url, kept = await fresh_database(args.keep)
    await migrate(url.replace("postgresql://", "postgresql+asyncpg://"))
    if kept:
        conn = await asyncpg.connect(url)
        mine = [
            r["alert_id"]
            for r in await conn.fetch(
                "SELECT alert_id FROM routing_alerts"
                " WHERE place_code LIKE '63.10.%' OR place_code LIKE '63.02.%'"
            )
        ]
        await conn.close()
    else:
        mine = await seed(args, url)
    settings = ConsoleSettings(
        DATABASE_URL=url.replace("postgresql://", "postgresql+asyncpg://"),
        TIMPORA_TOPIC_PREFIX="bench-console.",
        TIMPORA_ENV="test",
    )
    app = create_app(settings)
    rng = random.Random(args.seed)
    n = args.requests
    rows: list[tuple[str, str, list[float]]] = []
    async with app.router.lifespan_context(app):
        for username in ("ops-batulicin", "admin"):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://c"
            ) as client:
                await login(client, username)
                await timed(client, ["/", "/alerts", f"/alerts/{mine[0]}"])  # warm-up
                pages = {
                    "overview /": ["/"] * n,
                    "list /alerts": ["/alerts"] * n,
                    "list active": ["/alerts?status=active"] * n,
                    "list kecamatan": ["/alerts?code=63.10.06"] * n,
                    "rows (live poll)": ["/alerts/rows?status=active"] * n,
                    "story /alerts/{id}": [f"/alerts/{rng.choice(mine)}" for _ in range(n)],
                    "story state (poll)": [f"/alerts/{rng.choice(mine)}/state" for _ in range(n)],
                }
                for page, paths in pages.items():
                    rows.append((username, page, await timed(client, paths)))
    total = args.alerts * args.deliveries_per_alert
    print(f"\n{args.alerts:,} alerts, {total:,} deliveries; {n} requests per page, one at a time\n")
    print(f"{'user':15} {'page':22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    worst = 0.0
    for username, page, ms in rows:
        p95 = statistics.quantiles(ms, n=20)[-1]
        worst = max(worst, p95)
        print(f"{username:15} {page:22} {statistics.median(ms):8.1f} {p95:8.1f} {max(ms):8.1f}")
    verdict = "within" if worst < GOAL_MS else "OVER"
    print(f"\nworst p95 {worst:.1f} ms: {verdict} the {GOAL_MS:.0f} ms goal")


if __name__ == "__main__":
    asyncio.run(main())
