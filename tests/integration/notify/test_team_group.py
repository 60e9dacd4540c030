"""A team's Telegram group on real Kafka and PostgreSQL, counted at the fake Bot API: the
alert reaches the group once (the members as before), a stranger's press acks nothing, a
member's press acks once (one event, the colleagues' notices, the group message edited
once), later presses and a redelivered ack change nothing; a failed group send is retried."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from devtools import Sinks
from notify_service.models import DeliveryRow, GroupMessageRow
from shared import topics
from shared.db import make_engine, make_sessionmaker
from shared.schemas import Channel, Member
from shared.settings import Settings
from tests.integration.notify.test_acks_everywhere import (
    CAMAT,
    KAPOLSEK,
    KASI,
    KEC,
    KEY,
    alert,
    directory,
    publish,
    running,
    send_alerts,
    to,
    until,
)
from tests.kafkautil import caught_up, consume, values, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
GROUP = -1001234567890
BABINSA = Member(
    member_id="babinsa",
    name="Eko Prasetyo",
    role="Babinsa",
    telegram_chat_id="700000105",
    channels=[Channel.telegram],
)
TEAM = KEC.model_copy(
    update={"members": [CAMAT, KAPOLSEK, KASI, BABINSA], "telegram_group_chat_id": str(GROUP)}
)
MEMBERS = {
    ("sms", "+6281200000101"),
    ("telegram", "700000102"),
    ("email", "kasi@example.org"),
    ("telegram", "700000105"),
}


async def rows(db: str, model: type[DeliveryRow] | type[GroupMessageRow]) -> list[object]:
    engine = make_engine(db)
    async with make_sessionmaker(engine)() as session:
        found = list((await session.scalars(select(model))).all())
    await engine.dispose()
    return found


async def test_a_group_press_acks_once_and_edits_the_message_once(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    await directory(database_url, TEAM)
    a = alert()
    tg = sinks.telegram
    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a, a)  # redelivered: still once each
        await wait_for(until(lambda: len(sinks.received) >= 5))
        await wait_for(lambda: caught_up(kafka_settings, "notify", topics.ALERTS_ROUTED), 30)
        assert sinks.per_recipient() == {**dict.fromkeys(MEMBERS, 1), ("telegram", str(GROUP)): 1}
        [(chat, message_id)] = [key for key in tg.messages if key[0] == str(GROUP)]
        sent = tg.messages[(chat, message_id)]
        assert sent["chat"]["type"] == "supergroup"
        assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"ack:{a.ack_code}"
        assert "http" not in sent["text"]  # no member's personal link in the group
        original = sent["text"]

        async def press(user: int) -> dict[str, object]:
            answer = await tg.press(
                client, secret=KEY, user_id=user, chat_id=GROUP, message_id=message_id
            )
            assert answer.status_code == 200
            return dict(answer.json())

        assert (await press(999999))["outcome"] == "stranger"  # not in the directory
        assert (await press(700000102)) == {"ok": True, "outcome": "ack", "alert_id": a.alert_id}
        [ack] = values(await consume(kafka_settings, topics.ALERTS_ACKS, 1))
        await wait_for(until(lambda: tg.edits))
        assert (await press(700000105))["outcome"] == "taken"  # a colleague, too late
        assert (await press(700000102))["outcome"] == "taken"  # the taker again
        # Notices to the colleagues who got it (not the taker, not the group)
        await wait_for(until(lambda: len(sinks.received) >= 8))
        # The ack redelivered (same ack_id): nobody told twice, the message not edited again
        [record] = await consume(kafka_settings, topics.ALERTS_ACKS, 1)
        await publish(kafka_settings, topics.ALERTS_ACKS, [(a.alert_id, record.value)])
        await wait_for(lambda: caught_up(kafka_settings, "notify-acks", topics.ALERTS_ACKS), 30)
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 2, settle=1.0))
    assert len(acks) == 2  # the event and its redelivery: one ack
    assert {x["ack_id"] for x in acks} == {ack["ack_id"]}
    assert (ack["alert_id"], ack["member_id"], ack["channel"], ack["action"]) == (
        a.alert_id,
        "kapolsek",
        "telegram",
        "ack",
    )
    notice = f"[TIMPORA] Diterima oleh Kapolsek Kecamatan Satui: {a.ack_code}"
    assert to(sinks, "sms", "+6281200000101")[1:] == [notice]
    assert to(sinks, "telegram", "700000105")[1:] == [notice]
    assert sinks.per_recipient() == {
        ("sms", "+6281200000101"): 2,
        ("telegram", "700000102"): 1,  # the taker: nothing more
        ("email", "kasi@example.org"): 2,
        ("telegram", "700000105"): 2,
        ("telegram", str(GROUP)): 1,  # edited, never sent a second message
    }
    [edit] = tg.edits
    button = {"text": "✅ Diterima oleh Kapolsek (B. R.)", "callback_data": f"ack:{a.ack_code}"}
    assert edit == {
        "chat_id": GROUP,
        "message_id": message_id,
        "text": original,
        "reply_markup": {"inline_keyboard": [[button]]},
        "link_preview_options": {"is_disabled": True},
    }
    assert "Budi" not in str(edit)
    assert "700000102" not in str(edit)
    answers = [x["text"] for x in tg.callback_answers]
    assert answers == [
        "Anda tidak terdaftar di direktori Timpora: peringatan tidak diterima."
        " Hubungi operator kantor imigrasi.",
        f"Diterima. Terima kasih, peringatan {a.ack_code} tercatat atas nama Anda.",
        "Sudah diambil oleh Kapolsek (B. R.).",
        "Anda sudah menerima peringatan ini.",
    ]
    deliveries = await rows(database_url, DeliveryRow)
    group_rows = [r for r in deliveries if r.member_id.startswith("group:")]  # type: ignore[attr-defined]
    assert [(r.member_id, r.channel, r.status) for r in group_rows] == [  # type: ignore[attr-defined]
        ("group:timpora-63.10.04", "telegram", "sent")
    ]
    [message] = await rows(database_url, GroupMessageRow)
    assert (message.taken_by, message.taken_label, message.edit_status) == (  # type: ignore[attr-defined]
        "kapolsek",
        "Kapolsek (B. R.)",
        "edited",
    )


async def test_an_ack_from_another_channel_edits_the_group_message_and_a_failed_send_is_retried(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    await directory(database_url, TEAM.model_copy(update={"members": [CAMAT, BABINSA]}))
    a = alert()
    tg = sinks.telegram
    tg.script.fail(2, status=502)  # the first two Bot API calls fail: both sends retried
    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a)
        await wait_for(until(lambda: len(sinks.received) >= 3))
        assert tg.request_count == 4  # two refused, two accepted: the faults happened
        [(_, message_id)] = [key for key in tg.messages if key[0] == str(GROUP)]
        answer = await client.get(
            "/v1/webhooks/kannel",
            params={"key": KEY, "from": "081200000101", "text": f"OK {a.ack_code}"},
        )
        assert "dikonfirmasi" in answer.text
        await wait_for(until(lambda: tg.edits))
        late = await tg.press(
            client, secret=KEY, user_id=700000105, chat_id=GROUP, message_id=message_id
        )
        assert late.json()["outcome"] == "taken"
        await wait_for(until(lambda: len(to(sinks, "telegram", "700000105")) >= 2))
        acks = values(await consume(kafka_settings, topics.ALERTS_ACKS, 1, settle=1.0))
    assert [(x["member_id"], x["channel"]) for x in acks] == [("camat", "sms")]
    assert sinks.per_recipient() == {
        ("sms", "+6281200000101"): 1,
        ("telegram", "700000105"): 2,
        ("telegram", str(GROUP)): 1,
    }
    [edit] = tg.edits
    assert edit["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ Diterima oleh Camat (S. C.)"
    assert tg.callback_answers[-1]["text"] == "Sudah diambil oleh Camat (S. C.)."


async def test_an_edit_draws_on_the_groups_send_limit(
    kafka_settings: Settings, database_url: str, sinks: Sinks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``editMessageText`` takes from the group's bucket like a message: with one message a
    minute allowed, the edit right after the alert's message would wait past
    ``NOTIFY_RATE_MAX_WAIT_SECONDS``, so it is recorded failed, and Telegram saw no edit."""
    monkeypatch.setenv("NOTIFY_TELEGRAM_GROUP_RATE_PER_MINUTE", "1")
    await directory(database_url, TEAM.model_copy(update={"members": [CAMAT, BABINSA]}))
    a = alert()
    tg = sinks.telegram
    async with running(kafka_settings, database_url, sinks, monkeypatch) as client:
        await send_alerts(kafka_settings, a)
        await wait_for(until(lambda: len(sinks.received) >= 3))
        answer = await client.get(
            "/v1/webhooks/kannel",
            params={"key": KEY, "from": "081200000101", "text": f"OK {a.ack_code}"},
        )
        assert "dikonfirmasi" in answer.text

        async def edit_recorded() -> bool:
            found = await rows(database_url, GroupMessageRow)
            return bool(found) and found[0].edit_status in {"edited", "failed"}  # type: ignore[attr-defined]

        await wait_for(edit_recorded, timeout=20)
    [message] = await rows(database_url, GroupMessageRow)
    assert message.edit_status == "failed"  # type: ignore[attr-defined]
    assert "provider limit" in message.edit_error  # type: ignore[attr-defined]
    assert tg.edits == []
    assert sinks.per_recipient()[("telegram", str(GROUP))] == 1
