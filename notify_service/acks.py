"""Acknowledgements and closes from members' replies, each published to ``alerts.acks`` once.

(The link in every message opens the alert's member page in the console,
``console_service.web.member_pages``: masked, with ack and close buttons, full details
after a one-time code that :mod:`notify_service.step_up` sends.)

- an SMS reply with the short code (Kannel MO callback, ``OK 7KQ2M`` / ``SELESAI 7KQ2M
  catatan``), the sender in any Indonesian format (``0812...``, ``62812...``, ``+62...``);
- Telegram: the inline button (``callback_query`` ``ack:7KQ2M``, always answered so the
  button stops spinning) or ``/ack 7KQ2M``, ``/selesai 7KQ2M``; a press in a team's group
  is the presser's, the first one takes the alert (:mod:`notify_service.group_acking`);
- WhatsApp: a reply ``OK 7KQ2M`` / ``SELESAI 7KQ2M`` to the alert, or its *Terima* button
  (the template's quick reply, ``button.payload`` ``ack:7KQ2M``, or the interactive
  message's reply button, ``interactive.button_reply.id``), from a number of the directory
  (Cloud API webhook, signed by the Meta app of the sending number). Every inbound
  message, ack or not, also opens its sender's 24-hour window
  (:mod:`notify_service.whatsapp_window`): alerts then go as free text with a button.

What a reply says is :func:`notify_service.replies.parse_reply`, for every channel. The
signed WhatsApp webhook also carries the delivery ``statuses`` of our messages: those
are provider reports (:mod:`notify_service.receipts`, Kannel's in :mod:`notify_service.dlr`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import SecretStr

from notify_service.acking import member_by_code, record_reply
from notify_service.deps import NotifyDeps
from notify_service.group_acking import answer_callback, on_group_press
from notify_service.receipting import apply_receipts
from notify_service.receipts import whatsapp_receipts
from notify_service.replies import Reply, parse_reply, telegram_update, whatsapp_messages
from notify_service.whatsapp_window import save_inbound
from shared.inbound import hub_verification, read_body, verify_hub_signature
from shared.phones import same_number, to_e164
from shared.pii import mask_phone
from shared.schemas import Member

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024  # a Cloud API notification is a few KiB
MAX_TELEGRAM_BYTES = 64 * 1024  # an update with a 4,096-character message and a keyboard
MAX_FORM_BYTES = 8 * 1024
UNKNOWN_CODE = "Kode tidak dikenal."
DONE = {"ack": "Diterima", "close": "Diselesaikan"}


def _answer(reply: Reply) -> str:
    if reply.action == "close":
        return f"Terima kasih, peringatan {reply.code} ditutup (selesai)."
    return f"Terima kasih, peringatan {reply.code} dikonfirmasi."


def _number_is(field: str, number: str) -> Callable[[Member], bool]:
    """A member matcher: their ``phone``/``whatsapp`` is ``number`` (any written form)."""
    return lambda member: same_number(getattr(member, field), number)


def _check_key(expected: SecretStr | None, presented: str | None) -> None:
    if (
        expected is None
        or not presented
        or not hmac.compare_digest(presented.encode(), expected.get_secret_value().encode())
    ):
        raise HTTPException(401, {"error": "unauthorized", "message": "bad or missing key"})


def _basic_password(request: Request) -> str | None:
    """The password of an ``Authorization: Basic`` header (Kannel sends the user and
    password of its MO URL, ``http://kannel:<key>@notify:8083/...``, that way), if any."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (small; no multipart parser needed)."""
    raw = await read_body(request, MAX_FORM_BYTES)
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def build_router(deps: NotifyDeps) -> APIRouter:
    router = APIRouter()

    @router.api_route("/v1/webhooks/kannel", methods=["GET", "POST"], summary="SMS replies")
    async def kannel_reply(
        request: Request,
        key: Annotated[str, Query()] = "",
        sender: Annotated[str, Query(alias="from")] = "",
        text: Annotated[str, Query()] = "",
    ) -> PlainTextResponse:
        _check_key(deps.settings.inbound_key, _basic_password(request) or key)
        if request.method == "POST" and not text:
            form = await _form(request)
            sender, text = form.get("from", ""), form.get("text", "")
        reply = parse_reply(text)
        if reply is None:
            return PlainTextResponse("Balas: OK <kode> untuk konfirmasi, SELESAI <kode> tutup.")
        phone = to_e164(sender)
        hit = phone and await member_by_code(deps, reply.code, _number_is("phone", phone))
        if not hit:
            log.info("sms reply with unknown code from %s", mask_phone(phone or sender))
            return PlainTextResponse(UNKNOWN_CODE)
        await record_reply(deps, hit, "sms", reply)
        return PlainTextResponse(_answer(reply))

    @router.post("/v1/webhooks/telegram", summary="Telegram button presses and commands")
    async def telegram_hook(
        request: Request,
        token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> JSONResponse:
        _check_key(deps.settings.telegram_secret, token)
        raw = await read_body(request, MAX_TELEGRAM_BYTES)
        try:
            update = telegram_update(orjson.loads(raw))
        except ValueError:
            return JSONResponse({"ok": False, "reason": "invalid json"})
        if update is None:
            return JSONResponse({"ok": False, "reason": "invalid update"})
        if update.group_press:  # the button on a team group's message: the presser takes it
            return JSONResponse(await on_group_press(deps, update))
        reply = parse_reply(update.text)
        hit = reply and await member_by_code(
            deps, reply.code, lambda m: m.telegram_chat_id == update.chat_id
        )
        if reply and hit:
            await record_reply(deps, hit, "telegram", reply)
        if update.callback_query_id:  # every press is answered, or the button spins on
            answer = DONE[reply.action] if reply and hit else UNKNOWN_CODE.rstrip(".")
            await answer_callback(deps, update.callback_query_id, answer)
        if not (reply and hit):
            return JSONResponse({"ok": False, "reason": "no matching alert"})
        return JSONResponse({"ok": True, "alert_id": hit[0], "action": reply.action})

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
            data: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return JSONResponse({"ok": False, "reason": "invalid json"})
        await apply_receipts(deps, whatsapp_receipts(data))  # statuses: delivered/read/failed
        # Meta retries anything but 2xx: replies that are not acks are still "handled".
        acked: list[str] = []
        messages = whatsapp_messages(data)
        await save_inbound(deps, [(m.sender, m.at) for m in messages])  # opens their 24 h window
        for sender, text in ((m.sender, m.text) for m in messages if m.text is not None):
            reply = parse_reply(text)
            hit = reply and await member_by_code(deps, reply.code, _number_is("whatsapp", sender))
            if not (reply and hit):
                log.info("whatsapp reply without a matching alert from %s", mask_phone(sender))
                continue
            await record_reply(deps, hit, "whatsapp", reply)
            acked.append(hit[0])
        return JSONResponse({"ok": bool(acked), "acknowledged": acked})

    return router
