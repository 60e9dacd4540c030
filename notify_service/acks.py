"""Acknowledgements from every channel, each published to ``alerts.acks`` once.

- a signed link: ``GET /a/{token}`` shows the full alert (the token authenticates) with a
  confirm button that ``POST``s to ``/v1/acks/{token}`` (GET never acks: link previews
  would acknowledge alerts nobody read);
- an SMS reply with the short code (Kannel MO callback, ``OK 7KQ2``);
- Telegram: the inline button (``callback_query`` ``ack:7KQ2``) or ``/ack 7KQ2``;
- WhatsApp: a reply ``OK 7KQ2`` to the alert (Cloud API webhook, signed by the Meta app of
  the sending number; a reply button's id or title works too).
"""

from __future__ import annotations

import hmac
import html
import logging
import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from sqlalchemy import select

from notify_service.deps import NotifyDeps
from notify_service.models import AckRow, DeliveryRow
from notify_service.signing import verify_token
from shared import topics
from shared.db import insert_ignore, transaction
from shared.inbound import hub_verification, read_body, verify_hub_signature
from shared.kafka import Outgoing, dumps, publish_all
from shared.observability import ACKS
from shared.pii import mask_phone
from shared.schemas import AlertAcknowledged, AlertRouted, Member, new_id

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024  # a Cloud API notification is a few KiB
ACK_TEXT = re.compile(r"^\s*(?:/?ack|ok|terima|siap)?[\s:]*([A-Z2-9]{4,6})\b", re.IGNORECASE)


async def record_ack(deps: NotifyDeps, alert_id: str, member_id: str, channel: str) -> bool:
    """Record and publish an ack; False when this member had already acknowledged."""
    async with transaction(deps.runtime.sessions) as session:
        ack_id = new_id()
        inserted = await insert_ignore(
            session,
            AckRow,
            {"ack_id": ack_id, "alert_id": alert_id, "member_id": member_id, "channel": channel},
        )
        if inserted:  # published inside the transaction: a failed publish rolls the row back
            event = AlertAcknowledged(
                ack_id=ack_id,
                alert_id=alert_id,
                member_id=member_id,
                channel=channel,  # type: ignore[arg-type]
            )
            await publish_all(
                deps.broker, deps.settings, [Outgoing(topics.ALERTS_ACKS, alert_id, dumps(event))]
            )
            ACKS.labels(channel).inc()
    return inserted


async def _alerts_for_code(deps: NotifyDeps, code: str) -> list[tuple[AlertRouted, str]]:
    """(alert, member id) pairs that were delivered with this ack code."""
    async with deps.runtime.sessions() as session:
        pairs = (
            await session.execute(
                select(DeliveryRow.alert_id, DeliveryRow.member_id)
                .where(DeliveryRow.ack_code == code.upper())
                .distinct()
            )
        ).all()
        out = []
        for alert_id, member_id in pairs:
            payload = await session.scalar(
                select(DeliveryRow.alert)
                .where(DeliveryRow.alert_id == alert_id)
                .order_by(DeliveryRow.alert_version.desc())
                .limit(1)
            )
            out.append((AlertRouted.model_validate(payload), member_id))
        return out


async def _member_by(deps: NotifyDeps, code: str, match: Any) -> tuple[AlertRouted, Member] | None:
    """The alert with ``code`` delivered to a member for whom ``match(member)`` holds."""
    for alert, member_id in await _alerts_for_code(deps, code):
        team = await deps.team(alert.team_id)
        for member in team.members if team else []:
            if member.member_id == member_id and match(member):
                return alert, member
    return None


def _check_key(deps: NotifyDeps, presented: str | None) -> None:
    expected = deps.settings.inbound_key
    if (
        expected is None
        or not presented
        or not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode())
    ):
        raise HTTPException(401, {"error": "unauthorized", "message": "bad or missing key"})


def whatsapp_replies(data: Any) -> list[tuple[str, str]]:
    """(sender as E.164, text) of every message in a Cloud API notification; delivery
    ``statuses`` and messages without text are left out. Any shape is tolerated."""

    def obj(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    def items(value: Any) -> list[Any]:
        return value if isinstance(value, list) else []

    out: list[tuple[str, str]] = []
    for entry in items(obj(data).get("entry")):
        for change in items(obj(entry).get("changes")):
            for m in map(obj, items(obj(obj(change).get("value")).get("messages"))):
                reply = obj(obj(m.get("interactive")).get("button_reply"))
                text = (
                    obj(m.get("text")).get("body")
                    or obj(m.get("button")).get("payload")
                    or reply.get("id")
                    or reply.get("title")
                )
                sender = m.get("from")
                if isinstance(text, str) and isinstance(sender, str | int) and sender:
                    out.append(("+" + str(sender).lstrip("+"), text.replace("ack:", "ack ")))
    return out


def build_router(deps: NotifyDeps) -> APIRouter:
    router = APIRouter()
    secret = deps.settings.secret_key.get_secret_value()

    def claims(token: str) -> tuple[str, str]:
        verified = verify_token(secret, token)
        if verified is None:
            raise HTTPException(
                403, {"error": "invalid_token", "message": "link invalid or expired"}
            )
        return verified

    @router.get("/a/{token}", response_class=HTMLResponse, summary="Alert details (signed link)")
    async def alert_page(token: str) -> HTMLResponse:
        alert_id, _member_id = claims(token)
        async with deps.runtime.sessions() as session:
            payload = await session.scalar(
                select(DeliveryRow.alert)
                .where(DeliveryRow.alert_id == alert_id)
                .order_by(DeliveryRow.alert_version.desc())
                .limit(1)
            )
        if payload is None:
            raise HTTPException(404, {"error": "not_found", "message": "unknown alert"})
        alert = AlertRouted.model_validate(payload)
        details = html.escape(alert.report.model_dump_json(indent=2, exclude_none=True))
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><title>Timpora {alert.ack_code}</title>"
            f"<h1>{html.escape(alert.category.value)} · {html.escape(alert.severity.value)}</h1>"
            f"<p>{html.escape(alert.jurisdiction_name or alert.jurisdiction_code)} · "
            f"kode {alert.ack_code}</p><pre>{details}</pre>"
            f'<form method=post action="/v1/acks/{html.escape(token)}">'
            "<button>Konfirmasi (ACK)</button></form>"
        )

    @router.post("/v1/acks/{token}", summary="Acknowledge an alert through its signed link")
    async def ack_link(token: str) -> JSONResponse:
        alert_id, member_id = claims(token)
        first = await record_ack(deps, alert_id, member_id, "link")
        return JSONResponse({"alert_id": alert_id, "acknowledged": True, "first": first})

    @router.api_route("/v1/webhooks/kannel", methods=["GET", "POST"], summary="SMS replies")
    async def kannel_reply(
        request: Request,
        key: Annotated[str, Query()] = "",
        sender: Annotated[str, Query(alias="from")] = "",
        text: Annotated[str, Query()] = "",
    ) -> PlainTextResponse:
        _check_key(deps, key)
        if request.method == "POST" and not text:
            form = await request.form()
            sender, text = str(form.get("from", "")), str(form.get("text", ""))
        found = ACK_TEXT.match(text)
        if not found:
            return PlainTextResponse("Balas: OK <kode> untuk konfirmasi.")
        phone = sender if sender.startswith("+") else "+" + sender.lstrip("0")
        hit = await _member_by(deps, found.group(1), lambda m: m.phone == phone)
        if hit is None:
            log.info("sms ack with unknown code from %s", mask_phone(phone))
            return PlainTextResponse("Kode tidak dikenal.")
        await record_ack(deps, hit[0].alert_id, hit[1].member_id, "sms")
        return PlainTextResponse(f"Terima kasih, peringatan {found.group(1).upper()} dikonfirmasi.")

    @router.post("/v1/webhooks/telegram", summary="Telegram button presses and /ack commands")
    async def telegram_update(
        request: Request,
        token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> JSONResponse:
        _check_key(deps, token)
        try:
            update = await request.json()
        except ValueError:
            return JSONResponse({"ok": False, "reason": "invalid json"})
        if not isinstance(update, dict):
            return JSONResponse({"ok": False, "reason": "invalid update"})
        callback = update.get("callback_query") or {}
        message = update.get("message") or {}
        text = str(callback.get("data") or message.get("text") or "").replace("ack:", "ack ")
        chat = str((callback.get("from") or message.get("chat") or {}).get("id", ""))
        found = ACK_TEXT.match(text)
        hit = found and await _member_by(deps, found.group(1), lambda m: m.telegram_chat_id == chat)
        if not hit:
            return JSONResponse({"ok": False, "reason": "no matching alert"})
        await record_ack(deps, hit[0].alert_id, hit[1].member_id, "telegram")
        return JSONResponse({"ok": True, "alert_id": hit[0].alert_id})

    router.add_api_route(
        "/v1/webhooks/whatsapp",
        hub_verification(lambda: deps.settings.whatsapp_verify_token),
        methods=["GET"],
        summary="WhatsApp reply webhook verification",
    )

    @router.post("/v1/webhooks/whatsapp", summary="WhatsApp replies (Cloud API, signed)")
    async def whatsapp_reply(
        request: Request,
        signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
    ) -> JSONResponse:
        secret = deps.settings.whatsapp_app_secret
        raw = await read_body(request, MAX_REPLY_BYTES)
        if secret is None or not verify_hub_signature(secret.get_secret_value(), raw, signature):
            raise HTTPException(401, {"error": "unauthorized", "message": "bad signature"})
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return JSONResponse({"ok": False, "reason": "invalid json"})
        # Meta retries anything but 2xx: replies that are not acks are still "handled".
        acked: list[str] = []
        for sender, text in whatsapp_replies(data):
            found = ACK_TEXT.match(text)
            hit = found and await _member_by(
                deps, found.group(1), lambda m, sender=sender: m.whatsapp == sender
            )
            if not hit:
                log.info("whatsapp reply without a matching alert from %s", mask_phone(sender))
                continue
            await record_ack(deps, hit[0].alert_id, hit[1].member_id, "whatsapp")
            acked.append(hit[0].alert_id)
        return JSONResponse({"ok": bool(acked), "acknowledged": acked})

    return router
