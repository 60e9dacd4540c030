"""A member's phone number edited in a real Chromium over the whole pipeline (real Kafka
and PostgreSQL): the operator gives Simpang Empat's Camat (m0021, SMS first) a new number
written the local way; the next report there reaches the new E.164 number once by SMS
and the old number nothing (counted at the fake Kannel); notify reads the change through
its directory cache. Saves ``team-edit.png`` (``TIMPORA_SCREENSHOTS=docs/console``)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import expect

from devtools import Sinks
from tests.e2e.test_console_browser import (
    KANIM,
    chromium,
    console_server,
    log_in,
    report_at,
    shots,
)
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
TEAM = "timpora-63.10.06"
OLD, NEW = "+6281200000021", "+6281355550121"


def sms_to(sinks: Sinks, number: str, code: str) -> int:
    """SMS about the alert with ``code`` that reached ``number`` (with or without "+")."""
    return sum(
        1
        for r in sinks.by_channel("sms")
        if r.to.lstrip("+") == number.lstrip("+") and code in r.text
    )


async def _arrived(sinks: Sinks, code: str) -> bool:
    return sms_to(sinks, NEW, code) >= 1


async def test_a_new_phone_number_gets_the_next_alert(pipeline_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = shots(tmp_path)
    async with (
        asynccontextmanager(pipeline_factory)() as p,
        console_server(p.database_url) as base,
        chromium() as browser,
    ):
        page = await log_in(browser, base, "ops-a", viewport={"width": 1280, "height": 900})
        await page.goto(f"/teams/{TEAM}")
        await page.locator('tr[data-member="m0021"] a.edit-member').click()
        await expect(page.get_by_role("heading", name="Ubah anggota")).to_be_visible()
        phone = page.get_by_label("Nomor telepon (SMS)")
        await expect(phone).to_have_value(OLD)  # the full value, for who may act

        await phone.fill("0813-5555-0121")
        await page.screenshot(path=out / "team-edit.png", full_page=True)

        # an unreadable number comes back with the field named; nothing is saved
        await phone.fill("0812-34")
        await page.get_by_role("button", name="Simpan anggota").click()
        await expect(page.locator("#form-errors")).to_contain_text("Nomor telepon (SMS)")
        await expect(page.locator("#err-phone")).to_contain_text("bukan nomor telepon")

        await page.get_by_label("Nomor telepon (SMS)").fill("0813-5555-0121")
        await page.get_by_role("button", name="Simpan anggota").click()
        await expect(page.get_by_role("status")).to_contain_text("Anggota disimpan")
        await expect(page.locator('tr[data-member="m0021"]')).not_to_contain_text(NEW)  # masked
        await page.locator('tr[data-member="m0021"] a.edit-member').click()
        await expect(page.get_by_label("Nomor telepon (SMS)")).to_have_value(NEW)

        await asyncio.sleep(1.5)  # notify caches a team for NOTIFY_DIRECTORY_CACHE_SECONDS
        response = await p.ingest.post("/v1/reports", json=report_at("63.10.06"), headers=KANIM)
        assert response.status_code == 202, response.text
        await page.goto("/alerts?status=active")
        rows = page.locator("#alert-rows tr[data-alert]")
        await expect(rows).to_have_count(1, timeout=20_000)
        await rows.first.get_by_role("link").click()
        code = (await page.locator("dd code").inner_text()).strip()
        await wait_for(lambda: _arrived(p.sinks, code), timeout=30)
        await asyncio.sleep(2)  # room for a wrong or repeated delivery to show up
        assert sms_to(p.sinks, NEW, code) == 1
        assert sms_to(p.sinks, OLD, code) == 0
        assert not [r for r in p.sinks.received if r.to.lstrip("+") == OLD.lstrip("+")]
