"""Team groups, the stateful half: a press of the ack button in a team's Telegram group,
and the edit of the group's messages once someone took the alert.

A press (the Telegram webhook, :func:`on_group_press`): load the pressed message, the
alert's other group messages (locked: presses of one alert are decided one at a time),
who took it already and who may take it → :func:`notify_service.groups.decide_press` →
on an ack, the ack recorded and published once (:func:`notify_service.acking.record_ack`,
``alerts.acks``) and the messages marked taken → the press answered
(``answerCallbackQuery``: "Diterima", "Sudah diambil oleh ...", or "not in the directory").

The edit (the ack consumer, :func:`edit_group_messages`, for every ack and close from any
channel): the alert's group messages not edited yet are claimed in one UPDATE, then each
is edited once (``editMessageText``: the same text, rendered again from the stored alert
version; the button replaced by "Diterima oleh <role> (<initials>)"). An edit takes
from the group's and the bot's send limits like a message (the shared provider buckets;
a turn further than ``NOTIFY_RATE_MAX_WAIT_SECONDS`` away is a failed edit). Like a
notice, an edit that fails is recorded (``edit_status`` failed), not retried; a
redelivered ack edits nothing again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notify_service import group_store, store
from notify_service.acking import record_ack
from notify_service.channels.base import TransientError
from notify_service.channels.telegram import TelegramChannel
from notify_service.deps import NotifyDeps
from notify_service.groups import (
    OPERATOR,
    Taken,
    decide_press,
    group_member,
    taken_by_ack,
    taken_keyboard,
    taken_label,
)
from notify_service.models import GroupMessageRow
from notify_service.render import AlertMessages
from notify_service.replies import TelegramUpdate
from shared.db import transaction
from shared.schemas import AlertAcknowledged, AlertRouted, Member, utcnow

log = logging.getLogger(__name__)

EDIT_TIMEOUT_S = 15.0
ERASED = "the alert version was erased (retention): not edited"


async def answer_callback(deps: NotifyDeps, query_id: str, text: str) -> None:
    """Answer a Telegram button press; a failure is logged (the ack itself stands)."""
    channel = deps.channels.get("telegram")
    if not isinstance(channel, TelegramChannel):
        return
    try:
        await channel.answer_callback(query_id, text)
    except Exception as exc:
        log.warning("telegram answerCallbackQuery failed: %s", exc)


async def _member(deps: NotifyDeps, team_ids: list[str], member_id: str) -> Member | None:
    for team_id in team_ids:
        team = await deps.team(team_id)
        for member in team.members if team else []:
            if member.member_id == member_id:
                return member
    return None


async def _taken(
    deps: NotifyDeps, session: AsyncSession, alert_id: str, rows: list[GroupMessageRow]
) -> Taken | None:
    """Who took the alert: the group messages say, else its first ack or close."""
    for row in rows:
        if row.taken_label is not None:
            return Taken(row.taken_by, row.taken_label)
    first = await group_store.first_acker(session=session, alert_id=alert_id)
    if first is None:
        return None
    teams = await group_store.teams_of(session=session, alert_id=alert_id, member_id=first[0])
    return Taken(first[0], taken_label(await _member(deps, teams, first[0])))


async def _candidates(
    deps: NotifyDeps, session: AsyncSession, message: GroupMessageRow
) -> list[Member]:
    """Who may take the alert from the group: the group's team, then the other teams the
    alert reached (a kabupaten member may sit in the kecamatan's group)."""
    reached = await group_store.teams_of(session=session, alert_id=message.alert_id)
    members: list[Member] = []
    for team_id in dict.fromkeys([message.team_id, *reached]):
        team = await deps.team(team_id)
        members += team.members if team else []
    return members


async def on_group_press(deps: NotifyDeps, update: TelegramUpdate) -> dict[str, Any]:
    """A press of the ack button on a group message: load → decide → persist and publish
    → answer (see the module docstring). The webhook's JSON answer."""
    chat_id, message_id = update.group_chat_id, update.message_id
    query_id = update.callback_query_id
    if not (chat_id and message_id and query_id):
        return {"ok": False, "outcome": "unknown", "alert_id": None}
    alert_id: str | None = None
    async with transaction(deps.runtime.sessions) as session:
        message = await group_store.message(session=session, chat_id=chat_id, message_id=message_id)
        taken: Taken | None = None
        members: list[Member] = []
        if message is not None:
            alert_id = message.alert_id
            rows = list(await group_store.messages_of(session=session, alert_id=alert_id))
            taken = await _taken(deps, session, alert_id, rows)
            members = await _candidates(deps, session, message)
        decision = decide_press(
            presser_id=update.chat_id,
            data=update.text,
            ack_code=message.ack_code if message else None,
            members=members,
            taken=taken,
        )
        if decision.outcome == "ack" and message and decision.member and decision.label:
            taker = decision.member.member_id
            await record_ack(deps, message.alert_id, taker, "telegram", ack_code=message.ack_code)
            await group_store.take(
                session=session,
                alert_id=message.alert_id,
                member_id=taker,
                label=decision.label,
                now=utcnow(),
            )
    await answer_callback(deps, query_id, decision.answer)
    who = decision.member.member_id if decision.member else None
    log.info("telegram group press on alert %s: %s (member %s)", alert_id, decision.outcome, who)
    return {"ok": decision.outcome == "ack", "outcome": decision.outcome, "alert_id": alert_id}


async def edit_group_messages(deps: NotifyDeps, acks: list[AlertAcknowledged]) -> int:
    """Edit, once, every group message of each acked or closed alert to show who took it
    (see the module docstring); the number of messages edited."""
    claimed: list[tuple[GroupMessageRow, AlertRouted | None, str]] = []
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        for ack in acks:
            actor = None
            if ack.member_id:
                teams = await group_store.teams_of(
                    session=session, alert_id=ack.alert_id, member_id=ack.member_id
                )
                actor = await _member(deps, teams, ack.member_id)
            taken = taken_by_ack(ack, actor)
            rows = await group_store.claim_edits(
                session=session,
                alert_id=ack.alert_id,
                member_id=taken.member_id,
                label=taken.label,
                now=now,
            )
            if not rows:
                continue
            keys = {(r.alert_id, r.alert_version) for r in rows}
            payloads = await store.alert_payloads(session=session, keys=keys)
            for row in rows:
                payload = payloads.get((row.alert_id, row.alert_version))
                closed = ack.action == "close" and row.taken_by == ack.member_id
                claimed.append(
                    (
                        row,
                        AlertRouted.model_validate(payload) if payload else None,
                        "close" if closed else "ack",
                    )
                )
    if not claimed:
        return 0
    errors = await asyncio.gather(*(_edit(deps, *item) for item in claimed))
    async with transaction(deps.runtime.sessions) as session:
        for (row, _, _), error in zip(claimed, errors, strict=True):
            await group_store.record_edit(
                session=session, chat_id=row.chat_id, message_id=row.message_id, error=error
            )
    return sum(1 for e in errors if e is None)


async def _edit(
    deps: NotifyDeps, row: GroupMessageRow, alert: AlertRouted | None, action: str
) -> str | None:
    """Edit one group message; the error (safe to log) or ``None``."""
    channel = deps.channels.get("telegram")
    if not isinstance(channel, TelegramChannel):
        return "channel telegram unavailable"
    if alert is None:
        return ERASED
    group = group_member(row.team_id, row.chat_id)
    text = AlertMessages(alert, deps.settings.max_sms_segments).render(
        group, "telegram", "", repeat=row.repeat
    )
    keyboard = taken_keyboard(row.taken_label or OPERATOR, row.ack_code, action)
    limiter = deps.limiter
    try:
        # an edit counts against the group's and the bot's limits like a message
        if limiter is not None and (wait := await limiter.acquire("telegram", row.chat_id)):
            return f"telegram: provider limit, next turn in {wait:.1f} s"
        async with asyncio.timeout(EDIT_TIMEOUT_S):
            await channel.edit_message(row.chat_id, row.message_id, text.text, keyboard)
    except TransientError as exc:
        if exc.throttled and limiter is not None:  # the next sends wait, on every instance
            with contextlib.suppress(Exception):
                await limiter.throttled("telegram", row.chat_id, exc.retry_after)
        log.info("editing the group message of alert %s failed: %s", row.alert_id, exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    except Exception as exc:  # recorded, not retried
        log.info("editing the group message of alert %s failed: %s", row.alert_id, exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    return None
