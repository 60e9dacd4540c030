"""Reassign in a real Chromium over the whole pipeline (real Kafka and PostgreSQL): a
report reaches Simpang Empat's team; the operator gives the alert to Satui's team from
its story page; each Satui member then receives it once (counted at the fake providers),
Simpang Empat's members nothing more, and a Satui member's SMS reply acknowledges it."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import expect

from tests.e2e.test_console_browser import (
    KANIM,
    chromium,
    console_server,
    log_in,
    received_by,
    report_at,
)
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
SIMPANG_EMPAT, SATUI = "timpora-63.10.06", "timpora-63.10.04"


async def test_an_operator_reassigns_an_alert_to_the_right_team(pipeline_factory) -> None:  # type: ignore[no-untyped-def]
    async with (
        asynccontextmanager(pipeline_factory)() as p,
        console_server(p.database_url) as base,
        chromium() as browser,
    ):
        response = await p.ingest.post("/v1/reports", json=report_at("63.10.06"), headers=KANIM)
        assert response.status_code == 202, response.text
        page = await log_in(browser, base, "ops-a", viewport={"width": 1280, "height": 860})
        await page.goto("/alerts?status=active")
        rows = page.locator("#alert-rows tr[data-alert]")
        await expect(rows).to_have_count(1, timeout=20_000)
        await rows.first.get_by_role("link").click()
        await expect(page.locator("#deliveries")).to_contain_text("sent", timeout=20_000)
        code = (await page.locator("dd code").inner_text()).strip()
        first = received_by(p.sinks, SIMPANG_EMPAT, code)
        assert sorted(first.values()) == [1, 1, 1]  # its three members, once each

        await page.get_by_label("Alihkan ke tim").select_option(SATUI)
        await page.get_by_role("button", name="Alihkan", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("Pengalihan diminta")
        await expect(page.locator("#reassignments")).to_contain_text("dialihkan", timeout=20_000)
        satui = lambda: received_by(p.sinks, SATUI, code)  # noqa: E731
        await wait_for(lambda: _members(satui(), 3), timeout=30)
        await asyncio.sleep(2)  # room for a wrong delivery to show up
        assert satui() == {("m0015", "sms"): 1, ("m0016", "telegram"): 1, ("m0017", "whatsapp"): 1}
        assert received_by(p.sinks, SIMPANG_EMPAT, code) == first  # nothing more there
        assert all("DIALIHKAN" in r.text for r in p.sinks.received if r.to.endswith("15"))
        await page.reload()
        await expect(page.locator("main")).to_contain_text(f"{SATUI} (kecamatan)")
        await expect(page.locator("#reassign-team")).not_to_contain_text("Satui")

        # the new team takes it: an SMS reply from Satui's member acknowledges the alert
        sms = next(r for r in p.sinks.by_channel("sms") if code in r.text and "DIALIHKAN" in r.text)
        reply = await p.notify.get(
            "/v1/webhooks/kannel",
            params={"key": "inbound-e2e", "from": sms.to.lstrip("+"), "text": f"ok {code}"},
        )
        assert "dikonfirmasi" in reply.text
        await expect(page.locator("#alert-status")).to_have_text("dikonfirmasi", timeout=20_000)


async def _members(counts: Counter[tuple[str, str]], n: int) -> bool:
    return len(counts) >= n
