"""Offices in a real Chromium over the whole pipeline (real Kafka and PostgreSQL): an
administrator records Kantor Imigrasi Batulicin with Kotabaru's team as its fallback
team (a wrong team is refused with the reason first); routing reads the record, so the
next report placed outside the office's home area is held for Kotabaru's team: each of
its members receives it once (counted at the fake providers), Tanah Bumbu's team (the
policy file's fallback) nothing. Then the region codes page flags a database on a newer
decree and a team on a code the data lacks, and the sources page shows the sources the
office then takes and its feed's readers. Saves ``offices.png``, ``regions.png`` and
``sources.png`` (``TIMPORA_SCREENSHOTS``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import expect

from console_service.web.identity import add_user
from shared.db import make_engine, make_sessionmaker, transaction
from tests.e2e.test_console_browser import (
    KANIM,
    PASSWORD,
    chromium,
    console_server,
    log_in,
    received_by,
    report_at,
    shots,
)
from tests.integration.console.test_console_regions import drift
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KOTABARU, TANAH_BUMBU = "timpora-63.02", "timpora-63.10"
SOURCES = ("apoa-kalsel", "polres-tanbu", "kanim-batulicin", "sms-batulicin",
           "telegram-batulicin", "whatsapp-batulicin")  # fmt: skip


async def add_admin(database_url: str) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await add_user(
            session=session, username="root", password=PASSWORD, role="admin",
            office="batulicin", scopes=["*"],
        )  # fmt: skip
    await engine.dispose()


async def test_an_office_record_sends_held_reports_to_its_fallback_team(  # type: ignore[no-untyped-def]
    pipeline_factory, tmp_path: Path
) -> None:
    out = shots(tmp_path)
    async with (
        asynccontextmanager(pipeline_factory)() as p,
        console_server(p.database_url) as base,
        chromium() as browser,
    ):
        await add_admin(p.database_url)
        page = await log_in(browser, base, "root", viewport={"width": 1280, "height": 760})
        await page.goto("/offices")
        await expect(page.locator("#offices")).to_contain_text("Belum ada data kantor")
        await page.get_by_role("link", name="Tambah kantor").click()
        await page.get_by_label("ID (tetap").fill("batulicin")
        await page.get_by_label("Nama", exact=True).fill("Kantor Imigrasi Batulicin")
        await page.get_by_label("Wilayah kerja").fill("63.10, 63.02")
        await page.get_by_label("Tim cadangan").fill("timpora-99")
        await page.get_by_label("Eskalasi setelah").fill("45m")
        await page.get_by_role("button", name="Simpan kantor").click()
        await expect(page.locator("#form-errors")).to_contain_text("is not in the directory")

        await page.get_by_label("Tim cadangan").fill(KOTABARU)
        await page.get_by_role("button", name="Simpan kantor").click()
        await expect(page).to_have_url(f"{base}/offices/batulicin")
        await expect(page.get_by_label("Eskalasi setelah")).to_have_value("45m")
        await page.goto("/offices")
        row = page.locator('tr[data-office="batulicin"]')
        await expect(row).to_contain_text(KOTABARU)
        await expect(row).to_contain_text("escalate_after=45m")
        await page.screenshot(path=out / "offices.png", full_page=True)

        await asyncio.sleep(2)  # routing reads the records every ROUTING_DIRECTORY_REFRESH_SECONDS
        held = {**report_at("31.71.01"), "severity": "critical"}  # Jakarta: outside the area
        response = await p.ingest.post("/v1/reports", json=held, headers=KANIM)
        assert response.status_code == 202, response.text
        await page.goto("/alerts?status=active")
        rows = page.locator("#alert-rows tr[data-alert]")
        await expect(rows).to_have_count(1, timeout=20_000)
        await rows.first.get_by_role("link").click()
        await expect(page.locator("main")).to_contain_text(f"{KOTABARU} (kabupaten)")
        code = (await page.locator("dd code").inner_text()).strip()
        kotabaru = lambda: received_by(p.sinks, KOTABARU, code)  # noqa: E731
        await wait_for(lambda: _members(kotabaru(), 3), timeout=30)
        await asyncio.sleep(2)  # room for a wrong or repeated delivery to show up
        assert kotabaru() == {
            ("m0042", "email"): 1,
            ("m0043", "telegram"): 1,
            ("m0044", "whatsapp"): 1,
        }
        assert received_by(p.sinks, TANAH_BUMBU, code) == Counter()

        await drift(p.database_url, ["63.10.99"])  # a migration recorded, a team left behind
        await page.goto("/regions")
        await expect(page.locator("#behind")).to_contain_text("timpora regions migrate")
        await expect(page.locator("#stale")).to_contain_text("63.10.99")
        await expect(page.locator("#history")).to_contain_text("Kepmendagri 9/2027")
        await page.screenshot(path=out / "regions.png", full_page=True)

        await page.goto("/offices/batulicin")  # the office takes its sources
        await page.get_by_label("Sumber (kunci API)").fill(", ".join(SOURCES))
        await page.get_by_role("button", name="Simpan kantor").click()
        await expect(page).to_have_url(f"{base}/offices/batulicin")
        await page.goto("/sources")
        for source in SOURCES:
            row = page.locator(f'tr[data-source="{source}"]')
            await expect(row).to_contain_text("batulicin")
        await expect(page.locator("#subscribers")).to_contain_text("/v1/feeds/batulicin/cap.atom")
        await expect(page.locator("#problems")).to_have_count(0)
        await page.screenshot(path=out / "sources.png", full_page=True)


async def _members(counts: Counter[tuple[str, str]], n: int) -> bool:
    return len(counts) >= n
