"""Who is told that an alert was taken or closed, and on which channel (pure: no I/O).

When a member acknowledges (``OK <kode>``) or closes (``SELESAI <kode>``) an alert, every
*other* member who received it — any version, any level it reached — gets one short
notice ("Diterima oleh Camat Kecamatan Satui: 7KQ2M"), so nobody drives out to a case a
colleague already took:

* only members with a delivery that was *sent*: someone whose delivery was still
  deferred (quiet hours) or retrying never saw the alert, and those deliveries are
  cancelled instead;
* on the channel of their most recent sent delivery (the latest version they got);
  webhooks are machines and get no notice;
* the acker is left out; each member is told once per ack event (the caller claims
  ``(ack_id, member_id)`` before sending, so a redelivered ack tells nobody twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.schemas import AlertAcknowledged

NOTICE_CHANNELS = frozenset({"sms", "email", "telegram", "whatsapp"})


@dataclass(frozen=True)
class Delivered:
    """One delivery row of the alert, as the decision needs it."""

    member_id: str
    team_id: str
    channel: str
    status: str
    version: int
    level: str
    place: str  # the jurisdiction name (or code) of that version
    ack_code: str


@dataclass(frozen=True)
class Notice:
    member_id: str
    team_id: str
    channel: str


@dataclass(frozen=True)
class Acker:
    """Who acted, as far as the alert's deliveries tell (nothing for an operator)."""

    member_id: str | None
    team_id: str | None = None
    level: str | None = None
    place: str | None = None


def acker(ack: AlertAcknowledged, deliveries: list[Delivered]) -> Acker:
    """The acker's team and the level/place of the latest version they received."""
    theirs = [d for d in deliveries if ack.member_id and d.member_id == ack.member_id]
    if not theirs:
        return Acker(ack.member_id)
    latest = max(theirs, key=lambda d: d.version)
    return Acker(ack.member_id, latest.team_id, latest.level, latest.place)


def notices(ack: AlertAcknowledged, deliveries: list[Delivered]) -> list[Notice]:
    """One notice per other member who received the alert (see the module docstring),
    in member order of first appearance."""
    latest: dict[str, Delivered] = {}
    for d in deliveries:
        if d.status != "sent" or d.channel not in NOTICE_CHANNELS:
            continue
        if d.member_id == ack.member_id:
            continue
        if d.member_id not in latest or d.version > latest[d.member_id].version:
            latest[d.member_id] = d
    return [Notice(d.member_id, d.team_id, d.channel) for d in latest.values()]


def ack_code(ack: AlertAcknowledged, deliveries: list[Delivered]) -> str:
    """The code to show: the event's, else the one the alert was delivered with."""
    return ack.ack_code or next((d.ack_code for d in deliveries), "")
