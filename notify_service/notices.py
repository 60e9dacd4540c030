"""What notify does with an ack or close from ``alerts.acks`` (its own and any other):
load → decide → persist → send.

1. The alert's deliveries still waiting (deferred by quiet hours, retrying, a fallback
   not yet tried) are cancelled, so nobody is paged for an alert a colleague took.
2. Every other member who received it gets one notice (:mod:`notify_service.broadcast`
   decides who, on which channel), claimed per ``(ack_id, member)`` before it is sent:
   a redelivered ack sends nothing again. As with deliveries, a notice left ``sending``
   by a crash is not repeated; a failed one is recorded, not retried (it is a courtesy,
   the alert itself was delivered).
3. The alert's messages in teams' Telegram groups are edited once to show who took it
   (:mod:`notify_service.group_acking`); a group gets no notice of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from notify_service import store
from notify_service.broadcast import Acker, Delivered, ack_code, acker, notices
from notify_service.channels.base import OutgoingMessage, TransientError
from notify_service.deps import NotifyDeps
from notify_service.group_acking import edit_group_messages
from notify_service.plan import address_of
from notify_service.render.notice import notice_text
from notify_service.whatsapp_window import last_inbound_of
from shared.db import transaction
from shared.schemas import AlertAcknowledged, Member, new_id, utcnow

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 15.0
VERB = {"ack": "acknowledged", "close": "closed"}


async def on_acks(deps: NotifyDeps, acks: list[AlertAcknowledged]) -> None:
    """Cancel the pending deliveries of each acked alert and tell the other recipients."""
    if not acks:
        return
    now = utcnow()
    async with transaction(deps.runtime.sessions) as session:
        for ack in acks:
            reason = f"{VERB[ack.action]} by {ack.member_id or 'an operator'}"
            await store.cancel_pending(
                session=session, alert_id=ack.alert_id, reason=reason, now=now
            )
        rows = await store.delivered(session=session, alert_ids=[a.alert_id for a in acks])
    await edit_group_messages(deps, acks)  # the groups' messages: "Diterima oleh ..."
    if not deps.settings.ack_notices:
        return
    by_alert: dict[str, list[Delivered]] = defaultdict(list)
    for row in rows:
        alert_id, member, team, channel, status, version, level, name, code, ack_code_ = row
        place = name or code or ""
        by_alert[alert_id].append(
            Delivered(member, team, channel, status, version, level or "", place, ack_code_)
        )
    planned: list[tuple[dict[str, object], Member, str]] = []
    for ack in acks:
        planned += await _plan(deps, ack, by_alert[ack.alert_id])
    await _claim_send_record(deps, planned)


async def _member(deps: NotifyDeps, team_id: str | None, member_id: str | None) -> Member | None:
    team = await deps.team(team_id) if team_id else None
    return next((m for m in team.members if m.member_id == member_id), None) if team else None


async def _plan(
    deps: NotifyDeps, ack: AlertAcknowledged, deliveries: list[Delivered]
) -> list[tuple[dict[str, object], Member, str]]:
    """The notice rows of one ack, with the member and their text."""
    who: Acker = acker(ack, deliveries)
    actor = await _member(deps, who.team_id, who.member_id)
    code = ack_code(ack, deliveries)
    out: list[tuple[dict[str, object], Member, str]] = []
    for notice in notices(ack, deliveries):
        member = await _member(deps, notice.team_id, notice.member_id)
        if member is None or not address_of(member, notice.channel):
            continue
        text = notice_text(
            action=ack.action,
            code=code,
            role=actor.role if actor else None,
            level=who.level,
            place=who.place,
            is_member=ack.member_id is not None,
            language=member.language,
        )
        values: dict[str, object] = {
            "notice_id": new_id(),
            "ack_id": ack.ack_id,
            "alert_id": ack.alert_id,
            "member_id": member.member_id,
            "channel": notice.channel,
            "status": "sending",
            "error": None,
            "created_at": utcnow(),
        }
        out.append((values, member, text))
    return out


async def _claim_send_record(
    deps: NotifyDeps, planned: list[tuple[dict[str, object], Member, str]]
) -> None:
    if not planned:
        return
    async with transaction(deps.runtime.sessions) as session:
        inserted = await store.claim_notices(session=session, rows=[v for v, _, _ in planned])
    mine = [p for p in planned if p[0]["notice_id"] in inserted]  # others: told already
    errors = await asyncio.gather(
        *(
            send_text(deps, m, str(v["channel"]), text, f"notice:{v['ack_id']}:{m.member_id}")
            for v, m, text in mine
        )
    )
    updates: list[dict[str, object]] = [
        {"notice_id": v["notice_id"], "status": "failed" if e else "sent", "error": e}
        for (v, _, _), e in zip(mine, errors, strict=True)
    ]
    async with transaction(deps.runtime.sessions) as session:
        await store.record_notices(session=session, updates=updates)


async def send_text(
    deps: NotifyDeps, member: Member, name: str, text: str, key: str, *, code: str | None = None
) -> str | None:
    """Send one short text (a notice, a one-time ``code``) once, within the channel's
    limits; the error (safe to log) or ``None``. Not retried: the caller records the
    outcome."""
    channel, to = deps.channels.get(name), address_of(member, name)
    if channel is None or not to:
        return f"channel {name} unavailable"
    limiter = deps.limiter
    slot = deps.slots.get(name) or contextlib.nullcontext()
    try:
        window = (await last_inbound_of(deps, [to])).get(to) if name == "whatsapp" else None
        async with slot:
            if limiter is not None and (wait := await limiter.acquire(name, to)) is not None:
                return f"{name}: provider limit, next turn in {wait:.1f} s"
            async with asyncio.timeout(SEND_TIMEOUT_S):
                message = OutgoingMessage(
                    to, text, text, key, last_inbound_at=window, one_time_code=code,
                    language=member.language,
                )  # fmt: skip
                await channel.send(message)
    except TransientError as exc:
        if exc.throttled and limiter is not None:  # the next sends wait, on every instance
            with contextlib.suppress(Exception):
                await limiter.throttled(name, to, exc.retry_after)
        log.info("%s to %s by %s failed: %s", key.split(":")[0], member.member_id, name, exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    except Exception as exc:  # recorded by the caller, not retried
        log.info("%s to %s by %s failed: %s", key.split(":")[0], member.member_id, name, exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    return None
