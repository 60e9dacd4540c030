"""Team groups (pure: no I/O): a team's Telegram group as a recipient, and what a press of
the group message's ack button decides.

Why it works this way:

* **The group is one more recipient, not a replacement.** The per-member plan is kept as
  it is (the on-duty members still get their own SMS, chat or e-mail, quiet hours and
  fallbacks included: an office keeps SMS for whoever is on duty and for critical alerts);
  the team's group gets each alert version once more, on Telegram, with the ack button.
  A group is not a person: no duty roster, no quiet hours, no fallback channel. Its
  delivery row names it ``group:<team id>`` (:func:`group_recipient`), so the delivery
  log, retries and ``timpora deliveries`` show it as they show members, without the chat id.
* **The group's message carries no personal link**: everyone in the group reads it, and
  the signed link opens a member's own page. It says to press the button; each member's
  own message still has their link.
* **A press identifies the presser** by their Telegram user id (``callback_query.from.id``)
  among the ``telegram_chat_id`` of the members (the group's team first, then the other
  teams the alert reached): a private chat's id is its user's id. Someone not in the
  directory is told so and nothing is acked.
* **The first press takes the alert**, once: a later press, by anyone, is answered
  "Sudah diambil oleh ..."; so is a press after a member took it on another channel.
* **What the group sees of the taker** is their role and the initials of their name
  (``Kapolsek (B. R.)``, :func:`shared.pii.mask_name`), never a number or a full name.
  The message is edited once (Bot API ``editMessageText``): the text kept, the button
  replaced by "Diterima oleh <taker>".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from notify_service.replies import parse_reply
from shared.pii import mask_name
from shared.schemas import GROUP_MEMBER_PREFIX, AlertAcknowledged, Channel, Member, Team

LABEL_MAX = 60  # a button's text stays on one line of a phone
NOBODY = "petugas"  # a member without a role
OPERATOR = "operator"  # an ack without a member (console, API)
DONE_WORD = {"ack": "Diterima", "close": "Diselesaikan"}
ANSWER_ACK = "Diterima. Terima kasih, peringatan {code} tercatat atas nama Anda."
ANSWER_STRANGER = (
    "Anda tidak terdaftar di direktori Timpora: peringatan tidak diterima."
    " Hubungi operator kantor imigrasi."
)
ANSWER_TAKEN = "Sudah diambil oleh {label}."
ANSWER_MINE = "Anda sudah menerima peringatan ini."
ANSWER_UNKNOWN = "Kode tidak dikenal"


def group_member_id(team_id: str) -> str:
    return f"{GROUP_MEMBER_PREFIX}{team_id}"


def is_group(member_id: str) -> bool:
    """Whether a delivery's member id names a team's group."""
    return member_id.startswith(GROUP_MEMBER_PREFIX)


def group_member(team_id: str, chat_id: str) -> Member:
    """The group as a recipient: Telegram only, its chat id as the address."""
    return Member(
        member_id=group_member_id(team_id),
        name=f"Grup {team_id}",
        telegram_chat_id=chat_id,
        channels=[Channel.telegram],
    )


def group_recipient(team: Team) -> Member | None:
    """The team's Telegram group as a recipient (``None``: the team has none)."""
    chat = team.telegram_group_chat_id
    return group_member(team.team_id, chat) if chat else None


def recipients(team: Team) -> list[Member]:
    """Everyone a delivery row of this team may name: its members, then its group."""
    group = group_recipient(team)
    return [*team.members, group] if group else list(team.members)


def taken_label(member: Member | None) -> str:
    """How the group is told who took it: role and initials, ``Kapolsek (B. R.)``."""
    if member is None:
        return OPERATOR
    label = f"{member.role or NOBODY} ({mask_name(member.name)})"
    return label if len(label) <= LABEL_MAX else f"{label[: LABEL_MAX - 3]}..."


def taken_keyboard(label: str, ack_code: str, action: str = "ack") -> dict[str, Any]:
    """The button after the edit: who took it; pressing it again is answered "taken"."""
    text = f"✅ {DONE_WORD.get(action, DONE_WORD['ack'])} oleh {label}"
    return {"inline_keyboard": [[{"text": text, "callback_data": f"ack:{ack_code}"}]]}


@dataclass(frozen=True)
class Taken:
    """Who took the alert already (``member_id`` None: an operator)."""

    member_id: str | None
    label: str


def taken_by_ack(ack: AlertAcknowledged, actor: Member | None) -> Taken:
    """The taker an ack event names (its member as the directory knows them)."""
    return Taken(ack.member_id, taken_label(actor) if ack.member_id else OPERATOR)


Outcome = Literal["ack", "stranger", "taken", "unknown"]


@dataclass(frozen=True)
class PressDecision:
    outcome: Outcome
    answer: str  # the answerCallbackQuery text (a toast on the presser's phone)
    member: Member | None = None  # the presser, when the directory knows them
    label: str | None = None  # for an ack: how the group is told who took it


def presser(presser_id: str, members: Iterable[Member]) -> Member | None:
    """The member whose Telegram chat is the presser's (a private chat's id is the user's
    id); the first in the given order."""
    wanted = presser_id.strip()
    if not wanted:
        return None
    return next((m for m in members if (m.telegram_chat_id or "").strip() == wanted), None)


def decide_press(
    *,
    presser_id: str,
    data: str,
    ack_code: str | None,
    members: Iterable[Member],
    taken: Taken | None,
) -> PressDecision:
    """What a press of a group message's button does (see the module docstring):
    ``ack_code`` is the code of the pressed message (``None``: not a message of ours),
    ``members`` who may take it, in the order they are looked up, ``taken`` who took it
    already."""
    reply = parse_reply(data)
    if ack_code is None or reply is None or reply.action != "ack" or reply.code != ack_code:
        return PressDecision("unknown", ANSWER_UNKNOWN)
    member = presser(presser_id, members)
    if member is None:
        return PressDecision("stranger", ANSWER_STRANGER)
    if taken is not None:
        mine = taken.member_id == member.member_id
        answer = ANSWER_MINE if mine else ANSWER_TAKEN.format(label=taken.label)
        return PressDecision("taken", answer, member)
    label = taken_label(member)
    return PressDecision("ack", ANSWER_ACK.format(code=ack_code), member, label)
