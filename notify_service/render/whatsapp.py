"""The body parameters of the WhatsApp alert template (``timpora_peringatan``), for a member
outside WhatsApp's 24-hour window.

The values are the chat text's, masked the same way and from the same template context:
the place and time as the chat shows them, subjects as initials and ``E12****89``, the
report's free text scrubbed (:attr:`AlertMessages.scrubbed_text`); nothing the chat text
would not carry. Each is one line (Meta refuses newlines, tabs and runs of five spaces in
a parameter), and the details are shortened so the filled-in body stays within 1,024
characters; the ack code and the link are never cut.
"""

from __future__ import annotations

from notify_service.render.context import subject_masked, template_context
from notify_service.render.fitting import CHAT_ELLIPSIS, CHAT_SUBJECTS, shorten
from notify_service.render.messages import LANGUAGES, AlertMessages
from notify_service.whatsapp_templates import BODY_MAX, alert_template, as_param
from shared.schemas import Member

WORDS = {
    "id": {
        "escalated": "ESKALASI",
        "reassigned": "DIALIHKAN",
        "digest": "RINGKASAN",
        "cancelled": "DIBATALKAN",
        "cancel_note": "Dibatalkan oleh sumber ({source}), tidak perlu tindakan",
        "held": "Ditahan: tempat laporan ({held}) di luar wilayah sumber; diperiksa {fallback}",
        "fallback": "Dialihkan ke tim cadangan {fallback}",
        "update": "Pembaruan ke-{n}",
        "people": "orang",
        "subjects": "Subjek",
        "text": "Isi",
    },
    "en": {
        "escalated": "ESCALATED",
        "reassigned": "REASSIGNED",
        "digest": "DIGEST",
        "cancelled": "CANCELLED",
        "cancel_note": "Cancelled by the source ({source}), no action needed",
        "held": "Held: the report's place ({held}) is outside its source's area; {fallback} "
        "reviews it",
        "fallback": "Redirected to the fallback team of {fallback}",
        "update": "Update #{n}",
        "people": "people",
        "subjects": "Subjects",
        "text": "Text",
    },
}
SEPARATOR = " · "
MARKS = ("escalated", "reassigned", "digest", "cancelled")  # as the chat text's first line


def member_language(member: Member) -> str:
    return member.language if member.language in LANGUAGES else "id"


def template_params(
    texts: AlertMessages,
    member: Member,
    link: str,
    *,
    repeat: bool = False,
) -> tuple[str, tuple[str, ...]]:
    """``(language, values)`` for the alert template in the member's language."""
    alert, language = texts.alert, member_language(member)
    words = WORDS[language]
    ctx = template_context(alert, language, link)
    marks = [words[k] for k in MARKS if ctx.get(k)]
    team = " — ".join([ctx["level_name"], *marks])
    if repeat:
        team = f"{ctx['repeat_mark']} {team}"
    category = ctx["category"] + (f" ({ctx['count']} {words['people']})" if ctx["count"] else "")
    place = ctx["place"] + (f" — {ctx['place_name']}" if ctx["place_name"] else "")
    values = [team, ctx["severity"], category, place, ctx["when"], "", link, alert.ack_code]
    values = [as_param(v) for v in values]
    template = alert_template(language)  # the name does not change the body
    room = BODY_MAX - len(template.fill([*values[:5], "", *values[6:]])) - len(CHAT_ELLIPSIS)
    values[5] = as_param(shorten(_details(texts, ctx, words), max(room, 1), CHAT_ELLIPSIS))
    return template.language, tuple(values)


def _details(texts: AlertMessages, ctx: dict[str, object], words: dict[str, str]) -> str:
    alert = texts.alert
    parts: list[str] = []
    if ctx["cancelled"]:
        parts.append(words["cancel_note"].format(source=ctx["source"]))
    if ctx["held"]:
        parts.append(words["held"].format(held=ctx["held"], fallback=ctx["fallback"]))
    elif ctx["fallback"]:
        parts.append(words["fallback"].format(fallback=ctx["fallback"]))
    if ctx["update"]:
        parts.append(words["update"].format(n=ctx["occurrences"]))
    subjects = [subject_masked(s) for s in alert.report.subjects[:CHAT_SUBJECTS]]
    hidden = len(alert.report.subjects) - len(subjects)
    if subjects:
        parts.append(
            f"{words['subjects']}: {'; '.join(subjects)}" + (f" +{hidden}" if hidden else "")
        )
    if texts.scrubbed_text.strip():
        parts.append(f"{words['text']}: {texts.scrubbed_text.strip()}")
    return as_param(SEPARATOR.join(parts))
