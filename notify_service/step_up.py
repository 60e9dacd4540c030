"""One-time codes for the member page: a member who opened an alert's link asks to see its
full details, and notify sends a code to that member's own phone or chat.

Load → decide → persist → send: the member from the directory (still in the team the link
came through, or nothing is sent) and, without a WhatsApp code template, their WhatsApp
window; the channel (:func:`notify_service.plan.code_channel`: WhatsApp outside the
window by the authentication template, only inside it when none is registered); then the
code's row is claimed before the send — a redelivered request sends nothing again; a send
lost to a crash is not repeated (the member asks for another code). The code itself
exists only here and in the message: the row keeps its keyed digest, the console compares
a typed code with it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from notify_service import store
from notify_service.deps import NotifyDeps
from notify_service.notices import send_text
from notify_service.plan import code_channel
from notify_service.render.notice import step_up_text
from notify_service.signing import code_digest, new_code
from notify_service.whatsapp_window import last_inbound_of, whatsapp_mode
from shared.db import transaction
from shared.schemas import Member, StepUpRequested, utcnow

log = logging.getLogger(__name__)


async def on_step_up_requests(deps: NotifyDeps, requests: list[StepUpRequested]) -> None:
    for request in requests:
        await _one(deps, request)


async def _open(deps: NotifyDeps, member: Member, now: datetime) -> bool:
    """Whether WhatsApp can carry the member's code now: an authentication template is
    registered (``NOTIFY_WHATSAPP_TEMPLATE_CODE``), or their 24-hour window is open."""
    if deps.settings.whatsapp_template_code or not member.whatsapp:
        return True
    opened = await last_inbound_of(deps, [member.whatsapp])
    return whatsapp_mode(opened.get(member.whatsapp), now) == "free"


async def _one(deps: NotifyDeps, request: StepUpRequested) -> None:
    minutes = deps.settings.step_up_code_minutes
    now = utcnow()
    if request.requested_at < now - timedelta(minutes=minutes):  # nobody waits for it now
        log.info("step-up request %s is older than a code's lifetime", request.request_id)
        return
    team = await deps.team(request.team_id)
    members = team.members if team else []
    member = next((m for m in members if m.member_id == request.member_id), None)
    channel = None
    if member is not None:
        whatsapp_open = await _open(deps, member, now)
        channel = code_channel(member, request.channel, whatsapp_open=whatsapp_open)
    code = new_code()
    values: dict[str, object] = {
        "request_id": request.request_id,
        "alert_id": request.alert_id,
        "member_id": request.member_id,
        "channel": channel,
        "status": "sending" if channel else "unreachable",
        "code_digest": code_digest(
            deps.settings.secret_key.get_secret_value(), request.request_id, code
        ),
        "expires_at": now + timedelta(minutes=minutes),
        "attempts": 0,
        "created_at": now,
    }
    async with transaction(deps.runtime.sessions) as session:
        claimed = await store.claim_code(session=session, values=values)
    if not claimed or member is None or channel is None:
        if claimed:
            log.info("no phone or chat to send member %s a code", request.member_id)
        return
    text = step_up_text(
        code=code, ack_code=request.ack_code or "", minutes=minutes, language=member.language
    )
    error = await send_text(deps, member, channel, text, f"code:{request.request_id}", code=code)
    async with transaction(deps.runtime.sessions) as session:
        await store.record_code(
            session=session, request_id=request.request_id, status="failed" if error else "sent"
        )
