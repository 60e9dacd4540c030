"""A team member as the console's form writes them, pure: the form's fields → a
:class:`shared.schemas.Member` (the one definition of a member's shape) with its numbers
in E.164, or the problems per field (word keys of :mod:`words_directory`). The numbers
and the channels' addresses are checked by :func:`shared.directory.member_problems`, the
rule the store relies on; :func:`shared.directory.upsert_member` stores the result."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from pydantic import ValidationError

from shared.directory import ADDRESS_FIELDS, member_problems, normalize_member
from shared.schemas import Channel, Member, QuietHours

TEXT_FIELDS = ("name", "role", "phone", "whatsapp", "email", "telegram_chat_id")
MAX_LENGTH = {"name": 200, "role": 100, "phone": 32, "whatsapp": 32, "email": 254}
CHANNEL_CHOICES = 4  # the form offers this many ordered channel choices
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TELEGRAM_CHAT = re.compile(r"-?\d{1,20}")
PROBLEM_WORDS = {"not_a_phone": "md_not_a_phone", "needed_by_channel": "md_needed_by_channel"}
CHANNEL_OF = {name: channel.value for channel, name in ADDRESS_FIELDS.items()}


@dataclass
class MemberForm:
    """What the form shows (entered or stored values) and its problems, field → word."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def channel_options(self) -> list[str]:
        offered = [c.value for c in Channel if c is not Channel.webhook]
        return [*offered, Channel.webhook.value] if self.values.get("webhook") else offered


def form_of(member: Member | None) -> MemberForm:
    """The form of a stored member in full (personal data: shown to who may act), or an
    empty one for a new member."""
    if member is None:
        return MemberForm({"channels": ["sms"], "language": "id", "on_duty": True})
    quiet = member.quiet_hours
    return MemberForm(
        {
            **{name: getattr(member, name) or "" for name in TEXT_FIELDS},
            "channels": [Channel(c).value for c in member.channels],
            "language": member.language,
            "quiet_start": quiet.start.strftime("%H:%M") if quiet else "",
            "quiet_end": quiet.end.strftime("%H:%M") if quiet else "",
            "on_duty": member.on_duty,
            "webhook": bool(member.webhook_url),
        }
    )


def _quiet(values: dict[str, Any], errors: dict[str, str], tz: str) -> QuietHours | None:
    start, end = values["quiet_start"], values["quiet_end"]
    if not start and not end:
        return None
    try:
        return QuietHours(start=time.fromisoformat(start), end=time.fromisoformat(end), tz=tz)
    except (ValueError, ValidationError):
        errors["quiet_hours"] = "md_quiet_hours"
        return None


def _channels(chosen: Sequence[str], errors: dict[str, str], options: list[str]) -> list[str]:
    picked = [c for c in chosen if c]
    if not picked:
        errors["channels"] = "md_no_channel"
    elif any(c not in options for c in picked):
        errors["channels"] = "md_invalid"
    elif len(set(picked)) != len(picked):
        errors["channels"] = "md_channel_twice"
    return picked


def parsed(
    form: Mapping[str, str], channels: Sequence[str], *, member_id: str, stored: Member | None
) -> tuple[Member | None, MemberForm]:
    """The member the form describes (numbers in E.164; ``stored``: the member it edits,
    whose webhook and quiet hours' zone it keeps), or None and the form with its
    problems."""
    values: dict[str, Any] = {
        name: str(form.get(name) or "").strip()[: MAX_LENGTH.get(name, 64) + 1]
        for name in (*TEXT_FIELDS, "quiet_start", "quiet_end", "language")
    }
    values["on_duty"] = form.get("on_duty") == "1"
    values["webhook"] = bool(stored and stored.webhook_url)
    shown = MemberForm(values)
    errors = shown.errors
    values["channels"] = _channels(channels, errors, shown.channel_options())
    if not values["name"]:
        errors["name"] = "md_required"
    for name, limit in MAX_LENGTH.items():
        if len(values[name]) > limit:
            errors[name] = "md_too_long"
    if values["email"] and not EMAIL.fullmatch(values["email"]):
        errors["email"] = "md_email_invalid"
    if values["telegram_chat_id"] and not TELEGRAM_CHAT.fullmatch(values["telegram_chat_id"]):
        errors["telegram_chat_id"] = "md_telegram_invalid"
    if values["language"] not in ("id", "en"):
        errors["language"] = "md_invalid"
    tz = stored.quiet_hours.tz if stored and stored.quiet_hours else "Asia/Makassar"
    quiet = _quiet(values, errors, tz)
    if errors:
        return None, shown
    try:
        member = Member.model_validate(
            {
                "member_id": member_id,
                **{name: values[name] or None for name in TEXT_FIELDS},
                "webhook_url": stored.webhook_url if stored else None,
                "channels": values["channels"],
                "quiet_hours": quiet,
                "on_duty": values["on_duty"],
                "language": values["language"],
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            errors[str(error["loc"][0]) if error["loc"] else "name"] = "md_invalid"
        return None, shown
    for name, problem in member_problems(member).items():
        errors[name] = PROBLEM_WORDS[problem]
    if errors:
        return None, shown
    return normalize_member(member), shown


def changed_fields(before: Member, after: Member) -> list[str]:
    """The names of the fields an edit changed (for the audit log: never the values)."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [name for name in new if old.get(name) != new[name]]
