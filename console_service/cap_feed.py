"""The CAP 1.2 feed for other agencies (police, regional government): which of an
office's alerts it lists, and each one as an OASIS CAP 1.2 alert
(``urn:oasis:names:tc:emergency:cap:1.2``) inside an Atom 1.0 entry (RFC 4287).

Pure: no I/O, no database; the clock comes as an argument. The console's feed endpoint
(:mod:`console_service.web.feed_api`) loads :class:`FeedAlert` facts
(:mod:`console_service.web.feed_store`), calls :func:`atom_feed`, and answers with it.

What an entry says (docs/cap-feed.md has the table):

* one entry per alert (Atom ``id`` ``urn:timpora:alert:<alert id>``), holding the alert's
  latest message: version 1 is ``msgType`` Alert, later versions Update with
  ``references`` to the previous version's message, a closed alert Cancel referencing its
  last version (listed :data:`DEFAULT_CANCEL_KEEP` after closing, then dropped);
* ``identifier`` ``timpora-<alert id>-v<version>`` (``-cancel`` for the Cancel): stable
  per version, so a reader that already saw it sees nothing new; ``sent`` is the time the
  version was routed (version 1: the alert's creation), in UTC written ``-00:00`` as CAP
  requires;
* ``scope`` Restricted with :data:`RESTRICTION`; ``info`` in Indonesian: category
  Security, the event from our category, urgency/severity/certainty from our severity
  (:data:`CAP_SEVERITY`, the inverse of what ingest reads), an ``area`` with the place's
  names and its Kemendagri code as ``geocode`` ``KEMENDAGRI``;
* no personal data: headline and description are built only from the category, the
  place, counts and nationalities (ISO 3166 codes), never from a report's names, numbers,
  dates of birth, free text, reporter or lodging; the close note is not quoted either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from notify_service.render.context import CATEGORY
from shared.schemas import Category, Severity

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"
LISTED = ("open", "acked")  # muted, inhibited and digest alerts were not sent: not listed
DEFAULT_CANCEL_KEEP = timedelta(hours=24)
MAX_ENTRIES = 500
RESTRICTION = (
    "Hanya untuk instansi anggota Timpora yang menerima umpan ini (kepolisian, pemerintah "
    "daerah); jangan diteruskan ke publik. For Timpora partner agencies only; not for "
    "public release."
)
# Our severity -> CAP (severity, urgency, certainty). Ingest reads CAP back the same way
# (ingest_service/formats/cap.py: Extreme critical ... Unknown info; only critical is
# Immediate, since ingest raises an Immediate alert one level).
CAP_SEVERITY: dict[Severity, tuple[str, str, str]] = {
    Severity.critical: ("Extreme", "Immediate", "Observed"),
    Severity.high: ("Severe", "Expected", "Likely"),
    Severity.medium: ("Moderate", "Expected", "Likely"),
    Severity.low: ("Minor", "Expected", "Possible"),
    Severity.info: ("Unknown", "Unknown", "Possible"),
}
EVENT = CATEGORY["id"]  # the words the members' messages use
STATE = {"open": "belum diterima tim", "acked": "diterima tim", "closed": "ditutup"}


@dataclass(frozen=True)
class FeedAlert:
    """The non-personal facts of one alert the feed needs (loaded by the feed store)."""

    alert_id: str
    version: int
    status: str
    category: Category
    severity: Severity
    level: str
    jurisdiction_code: str
    place_code: str | None
    area_desc: str  # the place's names, most precise first ("Satui, Tanah Bumbu, ...")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    acked_at: datetime | None = None
    occurrence_count: int = 1
    people: int = 0  # foreigners named or counted in the latest report
    nationalities: tuple[str, ...] = ()  # ISO 3166 codes, as the reports give them
    # When each version after the first was routed (its routed alert's ``routed_at``),
    # as far as known; version 1 is sent at ``created_at``.
    routed_at: Mapping[int, datetime] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.place_code or self.jurisdiction_code


@dataclass(frozen=True)
class Message:
    """One CAP message of an alert: what the feed's entry carries."""

    identifier: str
    sent: datetime
    msg_type: str  # Alert | Update | Cancel
    references: tuple[tuple[str, datetime], ...]  # (identifier, sent) of earlier messages


def listed(alert: FeedAlert, now: datetime, cancel_keep: timedelta = DEFAULT_CANCEL_KEEP) -> bool:
    """Whether the feed lists the alert: open or acknowledged, or closed less than
    ``cancel_keep`` ago (as a Cancel)."""
    if alert.status in LISTED:
        return True
    return (
        alert.status == "closed"
        and alert.closed_at is not None
        and (now - alert.closed_at < cancel_keep)
    )


def identifier(alert_id: str, version: int, cancel: bool = False) -> str:
    """A CAP identifier: no spaces, commas, ``<`` or ``&`` (alert ids are ULIDs)."""
    return f"timpora-{alert_id}-v{version}" + ("-cancel" if cancel else "")


def version_sent(alert: FeedAlert, version: int) -> datetime | None:
    if version == 1:
        return alert.created_at
    return alert.routed_at.get(version)


def message(alert: FeedAlert) -> Message:
    """The alert's latest message. An Update references the previous version (version 1
    when the previous one's time is unknown: still an earlier message of the alert)."""
    current = identifier(alert.alert_id, alert.version)
    sent = version_sent(alert, alert.version) or alert.updated_at
    if alert.status == "closed":
        closed = alert.closed_at or alert.updated_at
        return Message(
            identifier(alert.alert_id, alert.version, cancel=True),
            closed,
            "Cancel",
            ((current, sent),),
        )
    if alert.version == 1:
        return Message(current, sent, "Alert", ())
    previous = alert.version - 1
    previous_sent = version_sent(alert, previous)
    if previous_sent is None:
        previous, previous_sent = 1, alert.created_at
    return Message(
        current, sent, "Update", ((identifier(alert.alert_id, previous), previous_sent),)
    )


def cap_time(value: datetime) -> str:
    """CAP's dateTime: seconds, an explicit offset; UTC is written ``-00:00`` (CAP 1.2
    3.3.2: no ``Z``)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def atom_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headline(alert: FeedAlert) -> str:
    who = f"{alert.people} WNA" if alert.people else "WNA"
    if alert.nationalities:
        who += f" ({', '.join(alert.nationalities)})"
    place = alert.area_desc.split(",")[0].strip() or alert.code
    prefix = "DITUTUP: " if alert.status == "closed" else ""
    return f"{prefix}{EVENT[alert.category]}: {who} di {place}"[:160]


def description(alert: FeedAlert) -> str:
    """What happened, from non-personal fields only (no names, numbers, free text)."""
    people = (
        f"{alert.people} orang asing"
        + (f", kewarganegaraan {', '.join(alert.nationalities)}" if alert.nationalities else "")
        if alert.people
        else "jumlah orang asing tidak disebut"
    )
    state = STATE.get(alert.status, alert.status)
    when = alert.closed_at if alert.status == "closed" else alert.acked_at
    state += f" ({atom_time(when)})" if when and alert.status in ("acked", "closed") else ""
    return (
        f"{EVENT[alert.category]} di {alert.area_desc} (kode Kemendagri {alert.code}). "
        f"{people[0].upper()}{people[1:]}. Laporan: {alert.occurrence_count}. "
        f"Ditangani tim tingkat {alert.level} ({alert.jurisdiction_code}); status: {state}. "
        f"Versi {alert.version}. Data pribadi tidak disertakan."
    )


def _add(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    child.text = text
    return child


def cap_alert(alert: FeedAlert, *, sender: str, sender_name: str) -> ET.Element:
    """The alert's latest message as a CAP 1.2 ``<alert>`` element (elements in the
    schema's order)."""
    msg = message(alert)
    severity, urgency, certainty = CAP_SEVERITY[alert.severity]
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _add(root, "identifier", msg.identifier)
    _add(root, "sender", sender)
    _add(root, "sent", cap_time(msg.sent))
    _add(root, "status", "Actual")
    _add(root, "msgType", msg.msg_type)
    _add(root, "scope", "Restricted")
    _add(root, "restriction", RESTRICTION)
    if msg.msg_type == "Cancel":
        _add(root, "note", "Kasus ditutup oleh tim Timpora.")
    if msg.references:
        _add(root, "references", " ".join(f"{sender},{i},{cap_time(s)}" for i, s in msg.references))
    _add(root, "incidents", alert.alert_id)
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    _add(info, "language", "id-ID")
    _add(info, "category", "Security")
    _add(info, "event", EVENT[alert.category])
    _add(info, "urgency", urgency)
    _add(info, "severity", severity)
    _add(info, "certainty", certainty)
    for name, value in (("TIMPORA", alert.category.value),):
        code = ET.SubElement(info, f"{{{CAP_NS}}}eventCode")
        _add(code, "valueName", name)
        _add(code, "value", value)
    _add(info, "senderName", sender_name)
    _add(info, "headline", headline(alert))
    _add(info, "description", description(alert))
    area = ET.SubElement(info, f"{{{CAP_NS}}}area")
    _add(area, "areaDesc", alert.area_desc or alert.code)
    geocode = ET.SubElement(area, f"{{{CAP_NS}}}geocode")
    _add(geocode, "valueName", "KEMENDAGRI")
    _add(geocode, "value", alert.code)
    return root


@dataclass(frozen=True)
class FeedHeader:
    office_id: str
    office_name: str
    sender: str  # the CAP sender of every message of the office's feed
    self_url: str


def atom_feed(
    header: FeedHeader,
    alerts: Iterable[FeedAlert],
    *,
    now: datetime,
    cancel_keep: timedelta = DEFAULT_CANCEL_KEEP,
) -> bytes:
    """The office's Atom feed: one entry per listed alert, the latest change first."""
    chosen = sorted(
        (a for a in alerts if listed(a, now, cancel_keep)),
        key=lambda a: (message(a).sent, a.alert_id),
        reverse=True,
    )[:MAX_ENTRIES]
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("cap", CAP_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _atom(feed, "id", f"urn:timpora:feed:{header.office_id}:cap")
    _atom(feed, "title", f"Timpora CAP: {header.office_name}")
    _atom(feed, "updated", atom_time(message(chosen[0]).sent if chosen else now))
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _atom(author, "name", header.office_name)
    ET.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=header.self_url)
    for alert in chosen:
        feed.append(entry(alert, header))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def entry(alert: FeedAlert, header: FeedHeader) -> ET.Element:
    item = ET.Element(f"{{{ATOM_NS}}}entry")
    _atom(item, "id", f"urn:timpora:alert:{alert.alert_id}")
    _atom(item, "title", headline(alert))
    _atom(item, "updated", atom_time(message(alert).sent))
    ET.SubElement(item, f"{{{ATOM_NS}}}category", term=alert.category.value)
    content = ET.SubElement(item, f"{{{ATOM_NS}}}content", type=CAP_MEDIA_TYPE)
    content.append(cap_alert(alert, sender=header.sender, sender_name=header.office_name))
    return item


def _atom(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}").text = text


def facts_of_report(report: Mapping[str, object]) -> tuple[int, tuple[str, ...]]:
    """(people, nationalities) of a routed alert's report payload: the head count (named
    subjects, else ``subject_count``) and the distinct nationality codes, nothing else."""
    subjects = report.get("subjects")
    named: Sequence[object] = subjects if isinstance(subjects, list) else []
    count = report.get("subject_count")
    people = len(named) or (count if isinstance(count, int) else 0)
    codes: list[str] = []
    for subject in named:
        code = subject.get("nationality") if isinstance(subject, dict) else None
        code = code.upper() if isinstance(code, str) and code.isalpha() else None
        if code and len(code) <= 3 and code not in codes:
            codes.append(code)
    return people, tuple(codes[:10])
