"""A second sighting through the whole pipeline, counted at the fake providers: a member of
the kecamatan team who has only SMS (a basic phone) hears of it as an update SMS; the
members who have chat or e-mail get it there and never a second SMS."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager

import pytest

from shared.schemas import Channel, Member
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KANIM = {"X-API-Key": "dev-key-kanim"}
BABINSA = Member(
    member_id="babinsa-satui",
    name="Babinsa Satui",
    role="Babinsa",
    phone="+6281200000901",
    channels=[Channel.sms],
)


def sighting(text: str) -> dict[str, object]:
    return {
        "category": "illegal_work",
        "severity": "high",
        "location": {"kecamatan_code": "63.10.04"},
        "subjects": [{"full_name": "Li Wei", "passport_number": "E12345678"}],
        "text": text,
    }


async def test_an_sms_only_member_hears_of_the_second_sighting(pipeline_factory) -> None:  # type: ignore[no-untyped-def]
    extra = {"timpora-63.10.04": [BABINSA]}
    async with asynccontextmanager(pipeline_factory)(extra=extra) as p:

        def sms_to(phone: str) -> list[str]:
            return [m.text for m in p.sinks.by_channel("sms") if m.to == phone]

        async def count(phone: str, n: int) -> bool:
            return len(sms_to(phone)) >= n

        first = await p.ingest.post(
            "/v1/reports", json=sighting("WNA kerja di tambang"), headers=KANIM
        )
        assert first.status_code == 202, first.text
        await wait_for(lambda: count(BABINSA.phone or "", 1), timeout=60)
        before = Counter((m.channel, m.to) for m in p.sinks.received)
        again = await p.ingest.post(
            "/v1/reports", json=sighting("WNA yang sama terlihat lagi"), headers=KANIM
        )
        assert again.status_code == 202, again.text
        await wait_for(lambda: count(BABINSA.phone or "", 2), timeout=60)
        await wait_for(lambda: _more(p, before), timeout=60)
        await asyncio.sleep(2.0)  # to catch any extra message
    texts = sms_to(BABINSA.phone or "")
    assert len(texts) == 2, texts
    assert "Pembaruan ke-2" in texts[1]
    after = Counter((m.channel, m.to) for m in p.sinks.received) - before
    update_sms = [to for (channel, to) in after if channel == "sms"]
    assert update_sms == [BABINSA.phone]  # members with chat or e-mail got no second SMS
    assert sum(after.values()) > 1  # they got the update on their other channels


async def _more(p, before: Counter) -> bool:  # type: ignore[no-untyped-def, type-arg]
    after = Counter((m.channel, m.to) for m in p.sinks.received) - before
    return sum(after.values()) >= 2
