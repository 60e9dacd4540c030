"""Message text per channel and language, fitted to each channel's limits.

Why it works this way:

* **PII per channel.** SMS and chat travel through operators and providers we do not
  control and sit on shared phones: names become initials, passports ``E12****89``,
  and the free text is scrubbed of passport/phone/email-looking tokens and of the
  subjects' names. Email goes to team addresses and carries the full details; so does
  the signed link.
* **Every message carries the ack code and the signed link**, in every shortening step:
  a message the member cannot acknowledge is worse than a short one.
* **SMS fitting.** An SMS costs per segment: 160 GSM-7 septets alone or 153 per part of a
  concatenated message (the UDH takes 7), 70/67 UTF-16 units in UCS-2. Extension-table
  characters (``€ [ ] { } ^ ~ | \\``) take two septets and never straddle two parts.
  One non-GSM character turns the whole message into UCS-2 (less than half the room),
  so typographic punctuation is replaced by GSM look-alikes first and the ellipsis is
  ``...``. Then the free text is shortened (on a word boundary, with an ellipsis), then
  dropped, then fewer subjects are shown, until it fits ``max_sms_segments``. The ack
  code and link are never cut; should even the bare message not fit (an absurdly long
  link), it is sent as is and ``segments`` says so.
* **Chat** (Telegram, WhatsApp) allows 4096 characters: more detail (site, time, up to
  ten subjects, source and rule, the whole free text), the same shortening.
* **Times** are shown in the jurisdiction's local zone: WITA (UTC+8) for South
  Kalimantan and the rest of central Indonesia, WIB/WIT elsewhere.
* Templates are Jinja2 files (``render/templates/{sms,chat,email,subject}.{id,en}.j2``) so the
  wording can be changed by someone who does not read Python; Bahasa Indonesia is the
  default, English is optional (``Member.language``).

Modules: :mod:`.gsm7` (alphabet, segments), :mod:`.context` (words, time zones, the
template context), :mod:`.templates` (Jinja2), :mod:`.fitting` (shortening per channel),
:mod:`.messages` (one alert's messages for its members).
"""

from notify_service.render.fitting import CHAT_LIMIT
from notify_service.render.gsm7 import gsm7_friendly, is_gsm7, sms_length, sms_segments
from notify_service.render.messages import AlertMessages, RenderedMessage, render

__all__ = [
    "CHAT_LIMIT",
    "AlertMessages",
    "RenderedMessage",
    "gsm7_friendly",
    "is_gsm7",
    "render",
    "sms_length",
    "sms_segments",
]
