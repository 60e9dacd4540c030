"""One phone normalisation (shared.phones) for the directory, SMS and WhatsApp replies."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.directory import load_directory, normalize_member
from shared.phones import same_number, to_e164
from shared.schemas import Member
from shared.settings import NotifySettings
from tests.prod_env import production_env


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081200000101", "+6281200000101"),  # what Kannel hands over from a local SIM
        ("6281200000101", "+6281200000101"),
        (" 6281200000101", "+6281200000101"),  # "+62..." in a query string: "+" → space
        ("+62 812-0000-0101", "+6281200000101"),
        ("+62 0812 0000 0101", "+6281200000101"),
        ("0062 812 0000 0101", "+6281200000101"),
        ("81200000101", "+6281200000101"),  # trunk 0 dropped
        ("(0518) 71234", "+6251871234"),  # a landline with its area code
        ("TIMPORA", None),
        ("12", None),
        ("", None),
    ],
)
def test_indonesian_numbers_become_e164(raw: str, e164: str | None) -> None:
    assert to_e164(raw) == e164


def test_whatsapp_ids_carry_their_country_code() -> None:
    assert to_e164("6281200000103", international=True) == "+6281200000103"
    assert to_e164("447700900123", international=True) == "+447700900123"
    assert to_e164("447700900123") != "+447700900123"  # read as Indonesian without the flag


def test_other_regions() -> None:
    assert to_e164("07700 900123", "GB") == "+447700900123"


def test_same_number_across_written_forms() -> None:
    assert same_number("+6281200000101", "081200000101")
    assert same_number("62 812 0000 0101", "+62-812-0000-0101")
    assert not same_number("+6281200000101", "+6281200000102")
    assert not same_number(None, "+6281200000101")
    assert not same_number("hotline", "hotline")


def test_ingest_uses_the_shared_normalisation() -> None:
    from ingest_service.normalize import to_e164 as ingest_to_e164

    assert ingest_to_e164("0812-0000-0101") == to_e164("0812-0000-0101") == "+6281200000101"


def test_directory_stores_e164(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(
        "teams:\n- team_id: t\n  name: T\n  level: kecamatan\n  jurisdiction_code: '63.10.04'\n"
        "  members:\n  - member_id: camat\n    name: Siti\n    phone: '0812-0000-0101'\n"
        "    whatsapp: '62 812 0000 0101'\n",
        encoding="utf-8",
    )
    [team] = load_directory(path)
    assert (team.members[0].phone, team.members[0].whatsapp) == ("+6281200000101",) * 2


def test_directory_refuses_what_is_not_a_number(tmp_path: Path) -> None:
    path = tmp_path / "teams.yaml"
    path.write_text(
        "teams:\n- team_id: t\n  name: T\n  level: kecamatan\n  jurisdiction_code: '63.10.04'\n"
        "  members:\n  - member_id: camat\n    name: Siti\n    phone: 'call the office'\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"teams\[0\]\.members\[0\]\.phone"):
        load_directory(path)


def test_normalize_member_keeps_an_e164_member_as_is() -> None:
    member = Member(member_id="m", name="N", phone="+6281200000101")
    assert normalize_member(member) is member


def test_the_sms_sender_is_a_number_members_can_reply_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert NotifySettings().sms_sender == "+6281100000000"
    assert NotifySettings(sms_sender="0811-0000-0001").sms_sender == "+6281100000001"
    with pytest.raises(ValidationError, match="cannot receive"):
        NotifySettings(sms_sender="TIMPORA")
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "a-real-secret")
    with pytest.raises(ValidationError, match="NOTIFY_SMS_SENDER"):
        NotifySettings()
    assert NotifySettings(sms_sender="+6281100000001").sms_sender == "+6281100000001"
