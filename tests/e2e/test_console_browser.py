"""The operator console in a real Chromium (Playwright), over the whole pipeline on real
Kafka and PostgreSQL: an operator logs in, sees a report just routed appear in the list
without reloading, opens its story, acknowledges it, and watches the escalation ladder
stop; the kabupaten team's phones never ring for it (counted at the fake providers). An
operator of another office sees none of it.

Chromium is Debian's (``scripts/stack.py up`` installs it); Playwright's own browser
download cannot work here, so it is launched with ``executable_path``. Screenshots go to
``TIMPORA_SCREENSHOTS`` when set (``docs/console/`` holds the ones the docs show), else
to the test's temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import select

from console_service.web.app import create_app
from console_service.web.identity import add_user
from devtools import Sinks
from routing_service.models import AlertRow, EscalationTimer
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import load_directory
from shared.settings import ConsoleSettings
from tests.kafkautil import wait_for
from tests.member_page import token_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
KANIM = {"X-API-Key": "dev-key-kanim"}
PASSWORD = "operator password 1"
ESCALATE_AFTER_S = 12
NOTICE = "[TIMPORA] Diterima oleh"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def addresses(team_id: str) -> dict[str, str]:
    """Every address of a seed team's members → member id."""
    out = {}
    for team in load_directory(ROOT / "config" / "teams.yaml"):
        if team.team_id == team_id:
            for m in team.members:
                for value in (m.phone, m.email, m.telegram_chat_id, m.whatsapp):
                    if value:  # the Cloud API writes numbers without the "+"
                        out[value] = out[value.lstrip("+")] = m.member_id
    return out


def received_by(
    sinks: Sinks, team_id: str, code: str, *, notices: bool = False
) -> Counter[tuple[str, str]]:
    """(member, channel) → messages about the alert with ``code`` that member received:
    the alert itself, or (``notices``) the "Diterima oleh ..." telling who took it."""
    members = addresses(team_id)
    return Counter(
        (members[r.to], r.channel)
        for r in sinks.received
        if r.to in members and code in r.text and r.text.startswith(NOTICE) is notices
    )


def notice_texts(sinks: Sinks, code: str) -> set[str]:
    return {r.text for r in sinks.received if code in r.text and r.text.startswith(NOTICE)}


@asynccontextmanager
async def console_server(database_url: str) -> AsyncIterator[str]:
    """The console app on a real port (a browser cannot use an in-process transport),
    with two operators of two offices."""
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        for username, office, scope in (("ops-a", "batulicin", "63.10"), ("ops-b", "palu", "72")):
            await add_user(
                session=session,
                username=username,
                password=PASSWORD,
                role="operator",
                office=office,
                scopes=[scope],
                display_name=f"Operator {office.title()}",
            )
    await engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(ConsoleSettings(refresh_seconds=1.0))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: _started(server), timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _has(counts: Counter[tuple[str, str]], n: int) -> bool:
    return len(counts) >= n


async def _timer_held(database_url: str, team_id: str) -> bool:
    """Whether the open alert of ``team_id`` has a held escalation timer."""
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        states = await session.scalars(
            select(EscalationTimer.state)
            .join(AlertRow, AlertRow.alert_id == EscalationTimer.alert_id)
            .where(AlertRow.team_id == team_id, AlertRow.status == "open")
        )
        held = "held" in states.all()
    await engine.dispose()
    return held


async def _started(server: uvicorn.Server) -> bool:
    return server.started


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    assert os.path.exists(CHROMIUM), "no Chromium: `python3 scripts/stack.py up` installs it"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(browser: Browser, base: str, username: str, **context: object) -> Page:
    page = await (await browser.new_context(base_url=base, **context)).new_page()
    await page.goto("/alerts?status=active")
    await expect(page).to_have_url(f"{base}/login")  # no session: the login form
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.get_by_role("heading", name="Ringkasan")).to_be_visible()
    return page


def report_at(code: str, passport: str = "B1000001") -> dict[str, object]:
    return {
        "category": "overstay",
        "severity": "high",
        "location": {"kecamatan_code": code},
        "subjects": [
            {"full_name": "Test Subject", "nationality": "VNM", "passport_number": passport}
        ],
        "text": "WNA melewati izin tinggal",
    }


def wita(delta: timedelta) -> str:
    """A datetime-local value in WITA, ``delta`` from now."""
    return (
        (datetime.now(UTC) + delta).astimezone(ZoneInfo("Asia/Makassar")).strftime("%Y-%m-%dT%H:%M")
    )


def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("TIMPORA_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


async def test_operator_sees_acks_and_stops_the_ladder(pipeline_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = shots(tmp_path)
    async with (
        asynccontextmanager(pipeline_factory)(escalate_after=f"{ESCALATE_AFTER_S}s") as p,
        console_server(p.database_url) as base,
        chromium() as browser,
    ):
        page = await log_in(browser, base, "ops-a", viewport={"width": 1280, "height": 860})
        await page.screenshot(path=out / "overview-empty.png")
        await page.goto("/alerts?status=active")
        rows = page.locator("#alert-rows tr[data-alert]")
        await expect(rows).to_have_count(0)

        # a report arrives while the list is open: it appears without a reload
        response = await p.ingest.post("/v1/reports", json=report_at("63.10.06"), headers=KANIM)
        assert response.status_code == 202, response.text
        await expect(rows).to_have_count(1, timeout=20_000)
        await expect(rows.first).to_contain_text("Simpang Empat")
        await page.screenshot(path=out / "alerts.png")

        # its story: masked report, resolution, deliveries to the kecamatan team
        await rows.first.get_by_role("link").click()
        await expect(page.get_by_role("heading", name="Riwayat peringatan")).to_be_visible()
        body = page.locator("main")
        await expect(body).to_contain_text("63.10.06")
        await expect(body).not_to_contain_text("B1000001")
        await expect(body).not_to_contain_text("Test Subject")
        await expect(page.locator("#timers")).to_contain_text("menunggu")
        await expect(page.locator("#deliveries")).to_contain_text("sent", timeout=20_000)
        code = (await page.locator("dd code").inner_text()).strip()
        await page.screenshot(path=out / "story.png", full_page=True)
        kecamatan = received_by(p.sinks, "timpora-63.10.06", code)
        # each of the three members got it once, on their first channel
        assert kecamatan == {
            ("m0021", "sms"): 1,
            ("m0022", "telegram"): 1,
            ("m0023", "whatsapp"): 1,
        }

        # ack: the ladder stops (the timer reads cancelled, live), status acknowledged
        await page.get_by_role("button", name="Konfirmasi (saya tangani)").click()
        # the actions follow the state: once taken, no ack button
        await expect(page.get_by_role("status")).to_contain_text("Konfirmasi dikirim")
        await expect(page.locator("#alert-status")).to_have_text("dikonfirmasi", timeout=20_000)
        await expect(page.locator("#timers")).to_contain_text("dibatalkan", timeout=20_000)
        await expect(page.locator("#acks")).to_contain_text("console:ops-a")
        await expect(page.locator("#ack")).to_have_count(0)
        # and every kecamatan member is told, once, on the channel the alert reached them;
        # but m0023 never wrote to the WhatsApp number: outside the 24-hour window only the
        # alert's template is delivered, and a notice has none (docs/whatsapp-templates.md)
        told = lambda: received_by(p.sinks, "timpora-63.10.06", code, notices=True)  # noqa: E731
        tellable = kecamatan - Counter({("m0023", "whatsapp"): 1})
        await wait_for(lambda: _has(told(), 2))
        assert told() == tellable
        assert notice_texts(p.sinks, code) == {f"{NOTICE} petugas: {code}"}  # "an officer"
        await page.screenshot(path=out / "story-acked.png", full_page=True)

        # an operator of another office: not in the list, the story's URL is a 404
        other = await log_in(browser, base, "ops-b")
        await other.goto("/alerts")
        await expect(other.locator("#alert-rows tr[data-alert]")).to_have_count(0)
        story_url = page.url.split("?")[0]
        answer = await other.goto(story_url)
        assert answer is not None
        assert answer.status == 404

        # past the escalation deadline: the kabupaten team's phones stayed silent
        await asyncio.sleep(ESCALATE_AFTER_S + 3)
        assert received_by(p.sinks, "timpora-63.10", code) == Counter()
        assert received_by(p.sinks, "timpora-63.10.06", code) == kecamatan  # nothing repeated
        assert told() == tellable

        # a silence, previewed: a second alert in Batu Licin is the one it would mute; once
        # made, a third report there is recorded muted and reaches no phone
        second = await p.ingest.post("/v1/reports", json=report_at("63.10.01"), headers=KANIM)
        assert second.status_code == 202, second.text
        await page.goto("/alerts?status=open")
        await expect(rows).to_have_count(1, timeout=20_000)
        await page.goto("/silences")
        await page.get_by_label("Tempat").fill("63.10.01")
        await expect(page.locator("#preview-count")).to_contain_text("1 peringatan aktif")
        await page.get_by_label("Alasan").fill("Operasi gabungan di Batu Licin")
        await page.screenshot(path=out / "silence-preview.png", full_page=True)
        await page.get_by_role("button", name="Bisukan", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("Pembisuan dibuat")
        await expect(page.locator("#silences tbody tr")).to_have_count(1)
        await asyncio.sleep(1.5)  # routing reads the silences at most once a second
        before = len(p.sinks.received)
        third = await p.ingest.post(
            "/v1/reports", json=report_at("63.10.01", "E12345678"), headers=KANIM
        )
        assert third.status_code == 202, third.text
        await page.goto("/alerts?status=muted")
        await expect(rows).to_have_count(1, timeout=20_000)
        # the second alert was open before the silence: its escalation is held, so past
        # its deadline the kabupaten hears nothing of it either
        await wait_for(lambda: _timer_held(p.database_url, "timpora-63.10.01"), timeout=30)
        await asyncio.sleep(2)  # room for a wrong delivery to show up
        assert p.sinks.received[before:] == []

        # the roster: Camat m0021 stands in now; the next alert in Simpang Empat goes to
        # the member on duty only (notify reads the roster when it plans)
        await page.goto("/teams/timpora-63.10.06")
        form = page.locator("#add-override")
        await form.get_by_label("Anggota").select_option("m0021")
        await form.get_by_label("Dari").fill(wita(-timedelta(hours=1)))
        await form.get_by_label("Sampai").fill(wita(timedelta(hours=2)))
        await form.locator("select[name=on_duty]").select_option("1")
        await form.get_by_role("button", name="Tambah pengecualian").click()
        await expect(page.get_by_role("status")).to_contain_text("Jadwal piket disimpan")
        await expect(page.locator('tr[data-member="m0022"] .duty')).to_have_text("tidak")
        await expect(page.locator('tr[data-member="m0021"] .duty')).to_have_text("ya")
        await page.screenshot(path=out / "team-roster.png", full_page=True)
        await asyncio.sleep(1.5)  # notify caches a team for NOTIFY_DIRECTORY_CACHE_SECONDS
        fourth = await p.ingest.post(
            "/v1/reports", json=report_at("63.10.06", "C7654321"), headers=KANIM
        )
        assert fourth.status_code == 202, fourth.text
        await page.goto("/alerts?status=open")
        await expect(rows).to_have_count(2, timeout=20_000)  # Batu Licin's, and this one
        newest = await rows.first.get_attribute("data-alert")
        await page.goto(f"/alerts/{newest}")
        new_code = (await page.locator("dd code").inner_text()).strip()
        await wait_for(lambda: _has(received_by(p.sinks, "timpora-63.10.06", new_code), 1))
        await asyncio.sleep(2)  # room for a wrong delivery to show up
        assert received_by(p.sinks, "timpora-63.10.06", new_code) == {("m0021", "sms"): 1}

        # the overview and the audit log, and the list on a phone screen
        await page.goto("/")
        await page.screenshot(path=out / "overview.png", full_page=True)
        await page.goto("/audit")
        await expect(page.locator("main")).to_contain_text("ack")
        phone = await log_in(browser, base, "ops-a", viewport={"width": 390, "height": 780})
        await phone.goto("/alerts")
        await phone.screenshot(path=out / "alerts-phone.png", full_page=True)

        # the Camat follows the SMS link on their phone (no login): masked, then the code
        camat_sms = next(
            r for r in p.sinks.by_channel("sms") if new_code in r.text and "/a/" in r.text
        )
        member = await (
            await browser.new_context(base_url=base, viewport={"width": 390, "height": 780})
        ).new_page()
        await member.goto(f"/a/{token_in(camat_sms.text)}")
        await expect(member.locator("main")).not_to_contain_text("C7654321")
        await member.get_by_role("button", name="Kirim kode ke ponsel saya").click()
        await expect(member.locator("main")).to_contain_text("Kode dikirim")
        await member.screenshot(path=out / "member-phone.png", full_page=True)
        texts = lambda: [r.text for r in p.sinks.by_channel("sms") if "untuk melihat" in r.text]  # noqa: E731
        await wait_for(lambda: _has(Counter(texts()), 1))
        one_time = re.search(r"Kode (\d{6})", texts()[0])[1]  # type: ignore[index]
        await member.get_by_label("Kode sekali pakai").fill(one_time)
        await member.get_by_role("button", name="Tampilkan data lengkap").click()
        await expect(member.locator("main")).to_contain_text("C7654321")
