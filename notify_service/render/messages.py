"""The messages of one alert version for its members, per channel and language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from notify_service.groups import is_group
from notify_service.render.context import template_context
from notify_service.render.fitting import fit_chat, fit_sms, one_line
from notify_service.render.templates import render_template
from shared.pii import mask_json, scrub_report_text
from shared.schemas import AlertRouted, Member

LANGUAGES = ("id", "en")
SUBJECT_MAX = 200


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    segments: int  # SMS segments; 0 for other channels
    encoding: str  # "GSM-7" or "UCS-2" for SMS, "" otherwise


def _language(language: str | None, member: Member) -> str:
    """``language`` if we have it, else the member's, else Indonesian."""
    if language in LANGUAGES:
        return language
    return member.language if member.language in LANGUAGES else "id"


class AlertMessages:
    """The messages of one alert version for all the members it goes to.

    What every member's message shares is computed once: the scrubbed free text, and the
    template context and e-mail subject per language. Each member's text is then
    rendered and fitted with their own signed link.
    """

    def __init__(self, alert: AlertRouted, max_sms_segments: int = 2) -> None:
        if max_sms_segments < 1:
            raise ValueError("max_sms_segments must be >= 1")
        self.alert, self.max_sms_segments = alert, max_sms_segments
        self._contexts: dict[str, tuple[dict[str, Any], str]] = {}

    @cached_property
    def webhook_payload(self) -> bytes:
        """The alert as JSON for webhook receivers, masked as chat is: the schema's PII
        fields masked, and the report's free text (``text``, ``location.address``,
        attachment names) scrubbed like the chat text. ``place_name`` and the reporter's
        organisation are not personal; the reporter's contacts are PII fields."""
        alert = mask_json(self.alert.model_dump(mode="json"))
        report = alert["report"] = dict(alert["report"])  # mask_json shares unmasked parts
        report["text"] = self.scrubbed_text or None
        source = self.alert.report
        if source.location.address:
            location = report["location"] = dict(report["location"])
            location["address"] = scrub_report_text(source, source.location.address)
        if any(a.name for a in source.attachments):
            report["attachments"] = [
                a | {"name": scrub_report_text(source, a["name"]) if a.get("name") else None}
                for a in report["attachments"]
            ]
        return orjson.dumps(alert)

    @cached_property
    def scrubbed_text(self) -> str:
        """The report's free text without passport/phone/email-looking tokens or names."""
        return scrub_report_text(self.alert.report)

    def _context(self, language: str) -> tuple[dict[str, Any], str]:
        """The template context (without a link) and the e-mail subject, per language."""
        if language not in self._contexts:
            ctx = template_context(self.alert, language, "")
            subject = one_line(render_template("subject", language, ctx))[:SUBJECT_MAX]
            self._contexts[language] = ctx, subject
        return self._contexts[language]

    def render(
        self,
        member: Member,
        channel: str,
        link: str,
        language: str | None = None,
        *,
        repeat: bool = False,
    ) -> RenderedMessage:
        """``repeat``: sent once more after a stopped process; the text starts "[ULANG]"."""
        language = _language(language, member)
        shared, subject = self._context(language)
        ctx = shared | {"link": link, "repeat": repeat}
        if is_group(member.member_id):  # read by everyone in it: no member's own link
            ctx |= {"link": "", "group": True}
        if channel == "sms":
            text, segments, encoding = fit_sms(
                self.alert, language, ctx, self.max_sms_segments, self.scrubbed_text
            )
            return RenderedMessage(subject, text, segments, encoding)
        if channel == "email":
            email = render_template("email", language, ctx).strip() + "\n"
            return RenderedMessage(subject, email, 0, "")
        text = fit_chat(self.alert, language, ctx, self.scrubbed_text)
        return RenderedMessage(subject, text, 0, "")


def render(
    alert: AlertRouted,
    member: Member,
    channel: str,
    *,
    link: str,
    language: str | None = None,
    max_sms_segments: int = 2,
) -> RenderedMessage:
    """The message for ``member`` on ``channel`` (``sms``, ``email``, ``telegram``,
    ``whatsapp``; anything else gets the chat text).

    ``language`` overrides the member's (``Member.language``, Bahasa Indonesia by
    default); an unknown language falls back to the member's, then to Indonesian.
    For many members of one alert, :class:`AlertMessages` shares what they have in common.
    """
    return AlertMessages(alert, max_sms_segments).render(member, channel, link, language)
