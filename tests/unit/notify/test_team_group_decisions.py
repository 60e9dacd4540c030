"""Team groups, the pure half: the group as a recipient, its message, the press decision,
the edited button, a group press read from a Bot API update, the directory field."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from notify_service.groups import (
    ANSWER_MINE,
    ANSWER_STRANGER,
    Taken,
    decide_press,
    group_recipient,
    is_group,
    recipients,
    taken_by_ack,
    taken_keyboard,
    taken_label,
)
from notify_service.plan import plan_deliveries, plan_group
from notify_service.render import AlertMessages
from notify_service.replies import telegram_update
from shared.directory import Directory, dump_directory
from shared.schemas import AlertAcknowledged, AlertReason, Channel, Member, Severity, Team
from tests.unit.notify.factories import LINK, NAME, PASSPORT, RECEIVED, alert, member, team

GROUP = "-1001234567890"
KAPOLSEK = Member(
    member_id="kapolsek",
    name="Budi Rekaan",
    role="Kapolsek",
    phone="+6281200000102",
    telegram_chat_id="700000102",
    channels=[Channel.telegram, Channel.sms],
)
CAMAT = Member(member_id="camat", name="Siti Contoh", role="Camat", phone="+6281200000101")


def with_group(t: Team, chat: str = GROUP) -> Team:
    return t.model_copy(update={"telegram_group_chat_id": chat})


def test_the_group_is_one_more_recipient_and_the_members_plans_stay_as_they_were() -> None:
    plain = team(CAMAT, KAPOLSEK)
    grouped = with_group(plain)
    a = alert()
    assert plan_deliveries(a, grouped, RECEIVED) == plan_deliveries(a, plain, RECEIVED)
    [planned] = plan_group(a, grouped)
    assert (planned.member_id, planned.channels, planned.not_before) == (
        f"group:{plain.team_id}",
        ("telegram",),
        None,
    )
    assert plan_group(a, plain) == []
    group = group_recipient(grouped)
    assert group is not None
    assert is_group(group.member_id)
    assert not is_group("camat")
    assert group.telegram_chat_id == GROUP
    assert [m.member_id for m in recipients(grouped)] == ["camat", "kapolsek", group.member_id]


@pytest.mark.parametrize(
    "reason", [AlertReason.new, AlertReason.update, AlertReason.escalation, AlertReason.cancelled]
)
def test_every_version_goes_to_the_group_whatever_the_severity(reason: AlertReason) -> None:
    for severity in (Severity.info, Severity.critical):
        a = alert(reason=reason, severity=severity)
        assert [p.channels for p in plan_group(a, with_group(team(CAMAT)))] == [("telegram",)]


def test_the_group_message_has_no_personal_link_and_is_masked_as_chat_is() -> None:
    texts = AlertMessages(alert())
    group = group_recipient(with_group(team(CAMAT)))
    assert group is not None
    text = texts.render(group, "telegram", LINK).text
    assert LINK not in text
    assert "http" not in text
    assert "Tekan Terima" in text
    assert texts.alert.ack_code in text
    assert NAME not in text
    assert PASSPORT not in text
    assert "Z. W. M." in text
    assert text == texts.render(group, "telegram", "").text  # rendered again for the edit
    mine = texts.render(KAPOLSEK, "telegram", LINK).text
    assert LINK in mine
    assert "Balas OK" in mine


def test_a_member_of_the_team_takes_it_once() -> None:
    code = alert().ack_code
    decide = dict(ack_code=code, members=[CAMAT, KAPOLSEK], data=f"ack:{code}")
    first = decide_press(presser_id="700000102", taken=None, **decide)  # type: ignore[arg-type]
    assert (first.outcome, first.member, first.label) == ("ack", KAPOLSEK, "Kapolsek (B. R.)")
    assert code in first.answer
    taken = Taken("kapolsek", "Kapolsek (B. R.)")
    again = decide_press(presser_id="700000102", taken=taken, **decide)  # type: ignore[arg-type]
    assert (again.outcome, again.answer) == ("taken", ANSWER_MINE)
    other = Member(member_id="danramil", name="Agus Uji", role="Danramil", telegram_chat_id="7003")
    decide["members"] = [CAMAT, KAPOLSEK, other]
    late = decide_press(presser_id="7003", taken=taken, **decide)  # type: ignore[arg-type]
    assert (late.outcome, late.answer) == ("taken", "Sudah diambil oleh Kapolsek (B. R.).")


def test_a_stranger_is_told_and_takes_nothing_nor_learns_who_took_it() -> None:
    code = alert().ack_code
    for taken in (None, Taken("kapolsek", "Kapolsek (B. R.)")):
        decision = decide_press(
            presser_id="999999", data=f"ack:{code}", ack_code=code, members=[KAPOLSEK], taken=taken
        )
        assert (decision.outcome, decision.answer, decision.member) == (
            "stranger",
            ANSWER_STRANGER,
            None,
        )
    empty = decide_press(
        presser_id="", data=f"ack:{code}", ack_code=code, members=[CAMAT], taken=None
    )
    assert empty.outcome == "stranger"  # CAMAT has no Telegram: an empty id matches nobody


@pytest.mark.parametrize(
    ("data", "ack_code"),
    [("ack:ZZZZZ", None), ("ack:ZZZZZ", "7KQ2M"), ("selesai 7KQ2M", "7KQ2M"), ("hello", "7KQ2M")],
)
def test_a_press_on_something_not_ours_acks_nothing(data: str, ack_code: str | None) -> None:
    decision = decide_press(
        presser_id="700000102", data=data, ack_code=ack_code, members=[KAPOLSEK], taken=None
    )
    assert decision.outcome == "unknown"
    assert decision.member is None


def test_what_the_group_sees_of_the_taker_is_a_role_and_initials() -> None:
    assert taken_label(KAPOLSEK) == "Kapolsek (B. R.)"
    assert taken_label(member(role=None, name="Eko Prasetyo")) == "petugas (E. P.)"
    assert taken_label(None) == "operator"
    assert len(taken_label(member(role="K" * 100))) == 60
    ack = AlertAcknowledged(alert_id="a", member_id="kapolsek", channel="sms")
    assert taken_by_ack(ack, KAPOLSEK) == Taken("kapolsek", "Kapolsek (B. R.)")
    console = AlertAcknowledged(alert_id="a", channel="console")
    assert taken_by_ack(console, None) == Taken(None, "operator")
    keyboard = taken_keyboard("Kapolsek (B. R.)", "7KQ2M")
    assert keyboard == {
        "inline_keyboard": [
            [{"text": "✅ Diterima oleh Kapolsek (B. R.)", "callback_data": "ack:7KQ2M"}]
        ]
    }
    closed = taken_keyboard("Camat (S. C.)", "7KQ2M", "close")
    assert closed["inline_keyboard"][0][0]["text"] == "✅ Diselesaikan oleh Camat (S. C.)"


def _press(chat: dict[str, object]) -> dict[str, object]:
    """A Bot API 7.x/8.x update of a button press on a message in ``chat``."""
    return {
        "update_id": 100001,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": {"id": 700000102, "is_bot": False, "first_name": "Budi"},
            "message": {"message_id": 42, "date": 1768198200, "chat": chat, "text": "..."},
            "chat_instance": "-8162347623",
            "data": "ack:7KQ2M",
        },
    }


def test_a_press_in_a_group_names_the_group_the_message_and_the_presser() -> None:
    update = telegram_update(_press({"id": -1001234567890, "type": "supergroup", "title": "Satui"}))
    assert update is not None
    assert update.group_press
    assert (update.chat_id, update.group_chat_id, update.message_id, update.text) == (
        "700000102",
        GROUP,
        42,
        "ack:7KQ2M",
    )
    basic = telegram_update(_press({"id": -4012345, "type": "group", "title": "Satui"}))
    assert basic is not None
    assert (basic.group_chat_id, basic.group_press) == ("-4012345", True)
    private = telegram_update(_press({"id": 700000102, "type": "private"}))
    assert private is not None
    assert not private.group_press
    assert private.group_chat_id is None
    command = telegram_update({"update_id": 1, "message": {"chat": {"id": 7}, "text": "/ack X"}})
    assert command is not None
    assert not command.group_press


def test_the_directory_takes_a_group_chat_id_and_refuses_a_person_s() -> None:
    text = (
        "teams:\n- team_id: timpora-63.10.04\n  name: Timpora Kecamatan Satui\n"
        "  level: kecamatan\n  jurisdiction_code: '63.10.04'\n"
        "  telegram_group_chat_id: -1001234567890\n  members: []\n"
    )
    [loaded] = Directory.model_validate(yaml.safe_load(text)).teams
    assert loaded.telegram_group_chat_id == GROUP  # a YAML number, kept as its digits
    assert "telegram_group_chat_id: '-1001234567890'" in dump_directory([loaded])
    for wrong in ("700000102", "-", "@satui", "-0123", "grup satui"):
        with pytest.raises(ValidationError, match="negative number"):
            Team.model_validate(loaded.model_dump() | {"telegram_group_chat_id": wrong})
    with pytest.raises(ValidationError, match="58 characters"):
        Team.model_validate(loaded.model_dump() | {"team_id": "t" * 59})
    assert Team.model_validate(loaded.model_dump() | {"telegram_group_chat_id": None})
