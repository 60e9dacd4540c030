"""The WhatsApp message templates an office registers with Meta, as plain data.

WhatsApp delivers free text (and interactive messages) only inside a member's 24-hour
customer-service window, opened by the member's own last message to our number; outside
it only a template Meta approved beforehand gets through (Cloud API error 131047
otherwise, reported after the send was accepted). So every alert to a member outside the
window goes as the template ``timpora_peringatan`` (category ``UTILITY``): fixed words
around numbered body parameters ``{{1}}``..``{{8}}``, and one quick-reply button whose
payload carries the alert's ack code (``ack:7KQ2M``), answered like a reply ``OK 7KQ2M``.

A one-time code (the member page's step-up) outside the window goes as the template
``timpora_kode`` (category ``AUTHENTICATION``): Meta's preset text around the code
(``{{1}}``, at most 15 characters) with its security recommendation, and a *copy code*
button, which Meta registers as a URL button whose one parameter is the code again.

This one definition has three readers, so they cannot drift apart:

* the channel (:mod:`notify_service.channels.whatsapp`): the name, the language code and
  how many parameters to send;
* the fake Cloud API (:mod:`devtools.whatsapp`): it knows these templates as registered
  and refuses an unknown name or language (132001) or a wrong parameter count (132000),
  as Meta does;
* ``docs/whatsapp-templates.md``, what an office submits (a test compares the texts).

Parameter rules Meta enforces when sending (the fake too): a text parameter is not empty
and holds no newline or tab and no more than four consecutive spaces (132018); the
body with its parameters filled in is at most 1,024 characters (132005). Interactive
messages (inside the window): body at most 1,024 characters, a reply button's title 1-20
characters and its id 1-256.

Standard library only: the fake providers in ``devtools`` import this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

ALERT_TEMPLATE = "timpora_peringatan"
CODE_TEMPLATE = "timpora_kode"
CATEGORY = "UTILITY"
CODE_MAX = 15  # an authentication template's code (Meta's limit)
BODY_MAX = 1024  # a template body with its parameters filled in (132005 past it)
INTERACTIVE_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
TEXT_MAX = 4096  # a free-text message
ACK_PAYLOAD = "ack:{code}"  # the quick-reply payload / reply-button id (replies.parse_reply)
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
BAD_PARAM = re.compile(r"[\n\r\t]| {5}")


@dataclass(frozen=True)
class Template:
    """One template in one language, as registered with Meta."""

    name: str
    language: str  # Meta's language code ("id", "en")
    body: str  # fixed text with {{1}}..{{n}}
    params: tuple[str, ...]  # what each placeholder holds, in order
    example: tuple[str, ...]  # the sample values Meta asks for when registering
    button: str  # the button's text (at most 20 characters)
    category: str = CATEGORY
    button_kind: str = "quick_reply"  # or "copy_code" (sent as sub_type url, the code)

    @property
    def param_count(self) -> int:
        return len(self.params)

    def fill(self, values: Sequence[str]) -> str:
        """The body as the recipient reads it (``values`` in placeholder order)."""
        return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], self.body)


PARAMS_ID = (
    "tim penerima (tingkat dan wilayah; ESKALASI, RINGKASAN, DIBATALKAN, [ULANG])",
    "tingkat keparahan",
    "jenis laporan (dan jumlah orang)",
    "lokasi (kecamatan, kabupaten, tempat)",
    "waktu setempat (WIB/WITA/WIT)",
    "keterangan tersamar: pembaruan, subjek (inisial, paspor E12****89), isi laporan; '-'",
    "tautan pribadi ke halaman peringatan (data lengkap setelah kode sekali pakai)",
    "kode konfirmasi peringatan",
)
PARAMS_EN = (
    "receiving team (level and area; ESCALATED, DIGEST, CANCELLED, [ULANG])",
    "severity",
    "type of report (and number of people)",
    "place (district, regency, site)",
    "local time (WIB/WITA/WIT)",
    "masked details: update, subjects (initials, passport E12****89), report text; '-'",
    "personal link to the alert's page (full details after a one-time code)",
    "the alert's acknowledgement code",
)
EXAMPLE_ID = (
    "Kecamatan Satui",
    "Tinggi",
    "WNA bekerja tanpa izin (5 orang)",
    "Kec. Satui, Tanah Bumbu — PT Tambang Satui",
    "14-05-2026 09:30 WITA",
    "Subjek: Z. W. M. (CHN) paspor E12****89 · Isi: ada 5 WNA kerja di tambang",
    "https://timpora.example.go.id/a/AbC123",
    "7KQ2M",
)
EXAMPLE_EN = (
    "District Satui",
    "High",
    "Illegal work (5 people)",
    "Kec. Satui, Tanah Bumbu — PT Tambang Satui",
    "14-05-2026 09:30 WITA",
    "Subjects: Z. W. M. (CHN) paspor E12****89 · Text: 5 foreigners working at the mine",
    "https://timpora.example.go.id/a/AbC123",
    "7KQ2M",
)

ALERT = {
    "id": Template(
        ALERT_TEMPLATE,
        "id",
        "Peringatan TIMPORA untuk {{1}}.\n"
        "Tingkat: {{2}}\n"
        "Jenis: {{3}}\n"
        "Lokasi: {{4}}\n"
        "Waktu: {{5}}\n"
        "Keterangan: {{6}}\n"
        "Detail: {{7}}\n"
        "Tekan Terima atau balas OK {{8}} untuk konfirmasi.",
        PARAMS_ID,
        EXAMPLE_ID,
        "Terima",
    ),
    "en": Template(
        ALERT_TEMPLATE,
        "en",
        "TIMPORA alert for {{1}}.\n"
        "Severity: {{2}}\n"
        "Type: {{3}}\n"
        "Place: {{4}}\n"
        "Time: {{5}}\n"
        "Details: {{6}}\n"
        "Link: {{7}}\n"
        "Press Acknowledge or reply OK {{8}} to acknowledge.",
        PARAMS_EN,
        EXAMPLE_EN,
        "Acknowledge",
    ),
}
# An authentication template's text is Meta's preset (the office picks the options in
# docs/whatsapp-templates.md); these are the words with the security recommendation.
CODE = {
    "id": Template(
        CODE_TEMPLATE,
        "id",
        "{{1}} adalah kode verifikasi Anda. Demi keamanan, jangan bagikan kode ini.",
        ("kode sekali pakai halaman anggota",),
        ("482913",),
        "Salin kode",
        category="AUTHENTICATION",
        button_kind="copy_code",
    ),
    "en": Template(
        CODE_TEMPLATE,
        "en",
        "{{1}} is your verification code. For your security, do not share this code.",
        ("the member page's one-time code",),
        ("482913",),
        "Copy code",
        category="AUTHENTICATION",
        button_kind="copy_code",
    ),
}
# What the fake knows as approved: (name, language) -> template.
REGISTERED = {(t.name, t.language): t for t in (*ALERT.values(), *CODE.values())}


def alert_template(language: str, name: str = ALERT_TEMPLATE) -> Template:
    """The alert template in ``language`` (Indonesian when there is none), named ``name``
    (an office may have registered it under another name: ``NOTIFY_WHATSAPP_TEMPLATE_ALERT``)."""
    template = ALERT.get(language, ALERT["id"])
    return template if name == template.name else replace(template, name=name)


def code_template(language: str, name: str = CODE_TEMPLATE) -> Template:
    """The one-time code template in ``language`` (Indonesian when there is none), named
    ``name`` (``NOTIFY_WHATSAPP_TEMPLATE_CODE``)."""
    template = CODE.get(language, CODE["id"])
    return template if name == template.name else replace(template, name=name)


def as_param(text: str) -> str:
    """``text`` as a valid body parameter: one line, no tabs, single spaces; ``-`` when
    empty (Meta refuses an empty parameter)."""
    return " ".join(text.split()) or "-"


def param_problem(text: object) -> str | None:
    """Why Meta would refuse ``text`` as a body parameter, or ``None``."""
    if not isinstance(text, str) or not text.strip():
        return "Param text is required"
    if BAD_PARAM.search(text):
        return "Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
    return None
