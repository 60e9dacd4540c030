"""Who hears that a colleague took or closed an alert (notify_service.broadcast), and the
notice's words (render.notice)."""

from __future__ import annotations

from notify_service.broadcast import Delivered, Notice, ack_code, acker, notices
from notify_service.render.notice import notice_text
from shared.schemas import AlertAcknowledged

KEC, KAB = "timpora-63.10.04", "timpora-63.10"


def d(member: str, channel: str = "sms", status: str = "sent", version: int = 1) -> Delivered:
    team, level, place = (
        (KEC, "kecamatan", "Satui") if version == 1 else (KAB, "kabupaten", "Kabupaten Tanah Bumbu")
    )
    return Delivered(member, team, channel, status, version, level, place, "7KQ2M")


def ack(member: str | None = "camat", action: str = "ack") -> AlertAcknowledged:
    return AlertAcknowledged(
        alert_id="A1",
        member_id=member,
        channel="sms",
        action=action,  # type: ignore[arg-type]
    )


def test_every_other_recipient_once_on_their_latest_channel() -> None:
    rows = [
        d("camat"),
        d("kapolsek", "telegram"),
        d("kapolsek", "telegram", version=2),  # escalated: same member in both teams
        d("kasi", "email", version=2),
        d("danramil", "whatsapp"),
        d("danramil", "telegram", version=2),
    ]
    assert notices(ack("camat"), rows) == [
        Notice("kapolsek", KAB, "telegram"),
        Notice("kasi", KAB, "email"),
        Notice("danramil", KAB, "telegram"),
    ]


def test_only_members_who_received_it() -> None:
    rows = [
        d("camat"),
        d("tidur", status="retrying"),  # deferred by quiet hours: cancelled, not told
        d("gagal", status="gave_up"),
        d("ragu", status="uncertain"),
        d("posko", "webhook"),  # a machine
        d("kasi", "email"),
    ]
    assert notices(ack("camat"), rows) == [Notice("kasi", KEC, "email")]


def test_the_acker_is_not_told_and_an_operator_ack_tells_everyone() -> None:
    rows = [d("camat"), d("kasi", "email")]
    assert [n.member_id for n in notices(ack("kasi"), rows)] == ["camat"]
    assert [n.member_id for n in notices(ack(None), rows)] == ["camat", "kasi"]


def test_the_acker_is_placed_by_the_version_they_received() -> None:
    rows = [d("camat"), d("kabid", version=2)]
    who = acker(ack("camat"), rows)
    assert (who.team_id, who.level, who.place) == (KEC, "kecamatan", "Satui")
    assert acker(ack("kabid"), rows).level == "kabupaten"
    assert acker(ack(None), rows).team_id is None
    assert ack_code(ack(), rows) == "7KQ2M"


def test_notice_words() -> None:
    common = {"code": "7KQ2M", "level": "kecamatan", "place": "Satui", "is_member": True}
    assert notice_text(action="ack", role="Camat", **common) == (  # type: ignore[arg-type]
        "[TIMPORA] Diterima oleh Camat Kecamatan Satui: 7KQ2M"
    )
    assert notice_text(action="close", role="Kapolsek", **common) == (  # type: ignore[arg-type]
        "[TIMPORA] Diselesaikan oleh Kapolsek Kecamatan Satui: 7KQ2M"
    )
    assert notice_text(action="ack", role=None, language="en", **common) == (  # type: ignore[arg-type]
        "[TIMPORA] Acknowledged by an officer District Satui: 7KQ2M"
    )
    kab = notice_text(
        action="ack",
        code="7KQ2M",
        role="Kasi Inteldakim",
        level="kabupaten",
        place="Kabupaten Tanah Bumbu",
        is_member=True,
    )
    assert kab == "[TIMPORA] Diterima oleh Kasi Inteldakim Kabupaten Tanah Bumbu: 7KQ2M"
    operator = notice_text(
        action="close", code="7KQ2M", role=None, level=None, place=None, is_member=False
    )
    assert operator == "[TIMPORA] Diselesaikan oleh operator: 7KQ2M"
