"""The attack: a report's free text carries a passport number, a phone number and a
person's name; a webhook member (a machine) must receive it masked exactly as chat does.

Notify runs on real Kafka and PostgreSQL and delivers to the devtools fake webhook
receiver, which checks the signature; we read what arrived there.
"""

from __future__ import annotations

import orjson
import pytest

from devtools import Sinks
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import replace_directory
from shared.schemas import Channel, Level, Location, Member, Team
from shared.settings import Settings
from tests.integration.notify.test_notify_service import alert, running, send_alerts
from tests.kafkautil import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

TEXT = (
    "WNA bernama Li Wei, paspor C01X00T47 (juga tertulis E 1234 5678), HP 0812-3456-7890, "
    "bekerja bersama Zhang Wei di tambang Satui"
)
CLEAR = ("C01X00T47", "1234 5678", "0812-3456-7890", "3456", "Li Wei", "Zhang", "E12345678")


def webhook_team(url: str) -> Team:
    return Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=[
            Member(member_id="sistem", name="Sistem Kanim", webhook_url=url,
                   channels=[Channel.webhook]),
            Member(member_id="kapolsek", name="Budi Rekaan", telegram_chat_id="700000102",
                   channels=[Channel.telegram]),
        ],
    )  # fmt: skip


@pytest.fixture
async def db(database_url: str, sinks: Sinks) -> str:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_directory(session, [webhook_team(sinks.webhook.url)])
    await engine.dispose()
    return database_url


async def test_webhook_gets_the_free_text_masked_like_chat(
    kafka_settings: Settings, db: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = alert()
    a.report.text = TEXT
    a.report.location = Location(
        kecamatan_code="63.10.04", kecamatan_name="Satui", address="Mess Bpk Ahmad, 0812 9999 0000"
    )
    async with running(kafka_settings, db, sinks, monkeypatch):
        await send_alerts(kafka_settings, a)

        async def both() -> bool:
            return bool(sinks.by_channel("webhook")) and bool(sinks.by_channel("telegram"))

        await wait_for(both, timeout=30)
    [hook] = sinks.by_channel("webhook")
    [chat] = sinks.by_channel("telegram")
    body = orjson.loads(hook.text)
    report = body["report"]
    for clear in CLEAR:
        assert clear not in hook.text, clear
        assert clear not in chat.text, clear
    assert "Ahmad" not in hook.text
    # the phone in the address (not "9999" anywhere: an id or a time may hold those digits)
    assert "9999" not in report["location"]["address"]
    assert "0812 9999" not in hook.text
    assert "9999 0000" not in hook.text
    assert report["text"] in chat.text  # the same scrubbed text as the chat message
    assert "C01****47" in report["text"]
    assert "bernama L. W." in report["text"]
    assert "tambang Satui" in report["text"]
    assert report["subjects"][0]["passport_number"] == "E12****78"  # the schema's masking
    assert body["alert_id"] == a.alert_id
    assert body["ack_code"] == a.ack_code
