"""The console's member form, pure: fields → a Member in E.164 or the problems per field;
the hand-entry rules of :func:`shared.directory.member_problems`; the words in both
languages."""

from __future__ import annotations

import pytest

from console_service.web.member_form import changed_fields, form_of, parsed
from console_service.web.words import WORDS
from console_service.web.words_directory import DIRECTORY_WORDS
from shared.directory import dialable, member_problems
from shared.schemas import Member, QuietHours


def fields(**changes: str) -> dict[str, str]:
    return {"name": "Dewi", "role": "Lurah", "phone": "0812-3456-7890", "language": "id",
            "on_duty": "1", **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("0812-3456-7890", True),
        ("+62 812 3456 7890", True),
        ("(0812) 3456.7890", True),
        ("0812-34", False),  # possible for the library, not a valid Indonesian number
        ("0812-ABCD-7890", False),  # letters would be dialled as on a keypad
        ("12", False),
        ("", False),
    ],
)
def test_dialable(raw: str, ok: bool) -> None:
    assert dialable(raw) is ok


def test_a_new_member_in_e164() -> None:
    member, shown = parsed(fields(), ["sms", ""], member_id="m1", stored=None)
    assert shown.errors == {}
    assert member is not None
    assert (member.member_id, member.phone, [c.value for c in member.channels]) == (
        "m1",
        "+6281234567890",
        ["sms"],
    )
    assert member.on_duty
    assert member.quiet_hours is None


@pytest.mark.parametrize(
    ("changes", "channels", "errors"),
    [
        ({"phone": "0812-34"}, ["sms"], {"phone": "md_not_a_phone"}),
        ({}, ["sms", "email"], {"email": "md_needed_by_channel"}),
        ({"phone": ""}, ["sms"], {"phone": "md_needed_by_channel"}),
        ({}, ["telegram", "whatsapp"], {"telegram_chat_id": "md_needed_by_channel",
                                        "whatsapp": "md_needed_by_channel"}),
        ({}, ["webhook"], {"channels": "md_invalid"}),  # offered only to who has a URL
        ({}, [], {"channels": "md_no_channel"}),
        ({}, ["sms", "sms"], {"channels": "md_channel_twice"}),
        ({"name": " "}, ["sms"], {"name": "md_required"}),
        ({"email": "lurah@"}, ["sms"], {"email": "md_email_invalid"}),
        ({"telegram_chat_id": "@lurah"}, ["sms"], {"telegram_chat_id": "md_telegram_invalid"}),
        ({"quiet_end": "06:00"}, ["sms"], {"quiet_hours": "md_quiet_hours"}),
        ({"language": "fr"}, ["sms"], {"language": "md_invalid"}),
    ],
)  # fmt: skip
def test_refusals_name_the_field(
    changes: dict[str, str], channels: list[str], errors: dict[str, str]
) -> None:
    member, shown = parsed(fields(**changes), channels, member_id="m1", stored=None)
    assert member is None
    assert shown.errors == errors
    assert shown.values["name"] == fields(**changes)["name"].strip()  # shown back as typed


def test_an_edit_keeps_the_webhook_and_the_quiet_zone() -> None:
    stored = Member(
        member_id="m9",
        name="Siti",
        phone="+6281200000021",
        webhook_url="https://example.org/hook",
        channels=["webhook", "sms"],
        quiet_hours=QuietHours(start="22:00", end="06:00", tz="Asia/Jakarta"),
    )
    form = form_of(stored)
    assert form.values["quiet_start"] == "22:00"
    assert "webhook" in form.channel_options()
    edit = fields(phone="0813 1111 2222", quiet_start="23:00", quiet_end="05:00")
    member, _ = parsed(edit, ["webhook", "sms"], member_id="m9", stored=stored)
    assert member is not None
    assert member.webhook_url == "https://example.org/hook"
    assert member.quiet_hours is not None
    assert member.quiet_hours.tz == "Asia/Jakarta"
    assert changed_fields(stored, member) == ["name", "role", "phone", "quiet_hours"]


def test_the_import_stays_laxer_than_the_form() -> None:
    # the YAML may list a channel without its address (notify skips it); the form may not
    member = Member(member_id="m1", name="A", phone="+6281200000021", channels=["sms", "email"])
    assert member_problems(member) == {"email": "needed_by_channel"}


def test_words_in_both_languages_and_merged() -> None:
    assert DIRECTORY_WORDS["id"].keys() == DIRECTORY_WORDS["en"].keys()
    assert all(key.startswith("md_") for key in DIRECTORY_WORDS["id"])
    for lang, words in DIRECTORY_WORDS.items():
        assert words.items() <= WORDS[lang].items()
