"""Versioned event schemas shared by every service (the public wire contract).

Every message carries ``schema_version``. Fields holding personal data are marked with
``pii=True`` in their JSON schema extra so other services can mask them generically
(see :func:`pii_paths`). Times are timezone-aware and normalised to UTC.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from ulid import ULID

SCHEMA_VERSION: Final = 1


def new_id() -> str:
    """A sortable unique id (ULID) for reports, alerts, deliveries and acks."""
    return str(ULID())


ACK_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on phones


def ack_code_for(alert_id: str, length: int = 5) -> str:
    """The short code a member replies with (``OK 7KQ2M``), derived from the alert id."""
    number = int.from_bytes(hashlib.sha256(alert_id.encode()).digest()[:8], "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ACK_ALPHABET))
        chars.append(ACK_ALPHABET[index])
    return "".join(chars)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime must carry a timezone (WIB/WITA/WIT or an offset)")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_aware_utc)]


def Pii(default: Any = None, **kwargs: Any) -> Any:
    """A field that holds personal data: masked on SMS/chat, never logged in clear."""
    return Field(default, json_schema_extra={"pii": True}, **kwargs)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, use_enum_values=False)


class Category(StrEnum):
    presence = "presence"
    overstay = "overstay"
    permit_misuse = "permit_misuse"
    illegal_work = "illegal_work"
    illegal_entry = "illegal_entry"
    human_trafficking = "human_trafficking"
    narcotics = "narcotics"
    suspicious_activity = "suspicious_activity"
    other = "other"


class Severity(StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class PermitType(StrEnum):
    itk = "ITK"  # izin tinggal kunjungan (visit stay)
    itas = "ITAS"  # izin tinggal terbatas (limited stay)
    itap = "ITAP"  # izin tinggal tetap (permanent stay)
    visa_free = "visa_free"
    voa = "VOA"
    none = "none"
    unknown = "unknown"


class SourceFormat(StrEnum):
    canonical = "canonical"
    lodging = "lodging"  # APOA-style lodging guest report (JSON)
    lodging_csv = "lodging_csv"
    cap = "cap"  # OASIS CAP 1.2 XML
    kannel_mo = "kannel_mo"  # SMS via Kannel MO callback
    telegram = "telegram"
    whatsapp = "whatsapp"


class Level(StrEnum):
    desa = "desa"
    kecamatan = "kecamatan"
    kabupaten = "kabupaten"
    provinsi = "provinsi"

    @property
    def parent(self) -> Level | None:
        order = [Level.desa, Level.kecamatan, Level.kabupaten, Level.provinsi]
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Channel(StrEnum):
    sms = "sms"
    email = "email"
    telegram = "telegram"
    whatsapp = "whatsapp"
    webhook = "webhook"


class QuietHours(Model):
    """Local quiet hours (may wrap midnight); critical alerts bypass them."""

    start: time = Field(examples=["22:00"])
    end: time = Field(examples=["06:00"])
    tz: str = Field("Asia/Makassar", description="IANA zone; South Kalimantan is WITA")


class Member(Model):
    """A team member as the directory describes them (contacts are PII)."""

    member_id: str
    name: str = Pii(max_length=200)
    role: str | None = Field(None, examples=["Camat", "Kapolsek", "Kasi Inteldakim"])
    phone: str | None = Pii(None, description="E.164, used for SMS")
    email: str | None = Pii()
    telegram_chat_id: str | None = None
    whatsapp: str | None = Pii(None, description="E.164 WhatsApp number")
    webhook_url: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.sms, Channel.email])
    quiet_hours: QuietHours | None = None
    on_duty: bool = True
    language: Literal["id", "en"] = "id"


class RosterSlot(Model):
    """A weekly duty slot (piket): a member on duty every ``weekday`` from ``start`` to
    ``end`` (local time of the roster; ``end`` before ``start``: through midnight)."""

    weekday: int = Field(ge=0, le=6, description="0 Monday ... 6 Sunday")
    start: time
    end: time
    member_id: str


class RosterOverride(Model):
    """An exception to the week: leave (``on_duty`` false) or a swap/extra duty (true)."""

    member_id: str
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    on_duty: bool = False
    note: str | None = Field(None, max_length=200)


class Roster(Model):
    """A team's duty schedule. With a roster, who is paged follows it (and every member
    for a critical alert); without one, each member's ``on_duty`` flag."""

    tz: str = "Asia/Makassar"
    slots: list[RosterSlot] = Field(default_factory=list, max_length=500)
    overrides: list[RosterOverride] = Field(default_factory=list, max_length=500)


GROUP_MEMBER_PREFIX = "group:"  # a delivery to a team's group: member id "group:<team id>"
TELEGRAM_GROUP_ID = re.compile(r"-[1-9]\d{0,19}")


def _group_chat_id(value: Any) -> Any:
    """A Telegram group's chat id: negative (``-1001234567890`` for a supergroup, a shorter
    negative number for a basic group); a YAML number is read as its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        value = value.strip()
        if not TELEGRAM_GROUP_ID.fullmatch(value):
            raise ValueError(
                "a Telegram group's chat id is a negative number (e.g. -1001234567890 for a"
                " supergroup); a positive id is a person's chat, not a group"
            )
    return value


class Team(Model):
    team_id: str = Field(examples=["timpora-63.10.04"])
    name: str = Field(examples=["Timpora Kecamatan Satui"])
    level: Level
    jurisdiction_code: str
    members: list[Member] = Field(default_factory=list)
    roster: Roster | None = None
    telegram_group_chat_id: Annotated[str | None, BeforeValidator(_group_chat_id)] = Field(
        None,
        description="The team's Telegram group: each alert version goes there once, with the"
        " ack button (in addition to the members' own channels)",
        examples=["-1001234567890"],
    )

    @model_validator(mode="after")
    def _group_key_fits(self) -> Team:
        if self.telegram_group_chat_id and len(GROUP_MEMBER_PREFIX + self.team_id) > 64:
            raise ValueError("a team with a Telegram group has a team_id of 58 characters at most")
        return self


def team_id_for(code: str) -> str:
    """Default team id for the Timpora team of a jurisdiction."""
    return f"timpora-{code}"


class Location(Model):
    """Where the report happened, at whatever depth is known. Codes are dotted Kemendagri."""

    provinsi_code: str | None = Field(None, examples=["63"])
    kabupaten_code: str | None = Field(None, examples=["63.10"])
    kecamatan_code: str | None = Field(None, examples=["63.10.06"])
    desa_code: str | None = Field(None, examples=["63.10.06.2001"])
    provinsi_name: str | None = None
    kabupaten_name: str | None = Field(None, examples=["Tanah Bumbu"])
    kecamatan_name: str | None = Field(None, examples=["Simpang Empat"])
    desa_name: str | None = None
    place_name: str | None = Field(None, description="Lodging, mine, port... as given")
    address: str | None = Field(None, description="Free-text address as written")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)

    def most_precise_code(self) -> str | None:
        return self.desa_code or self.kecamatan_code or self.kabupaten_code or self.provinsi_code


class PlaceResolution(Model):
    """How ingest placed a report: resolved once, trusted by routing (which never
    re-resolves). ``routing_code`` is the most precise code that is certain (the parent
    level when the place is unsure); the report's ``location`` carries the codes and
    official names of that unit and its parents."""

    code: str | None = Field(None, description="Most precise unit found", examples=["63.10.06"])
    level: Level | None = None
    routing_code: str | None = Field(
        None, description="Most precise certain code (None: nothing places the report)"
    )
    confidence: float = Field(0.0, ge=0, le=1)
    method: Literal["code", "coordinates", "name", "home_area", "none"] = "none"
    matched: str | None = Field(None, description="Official name of the unit found")
    low_confidence: bool = True
    candidates: list[str] = Field(default_factory=list, description="Other possible codes")


class Subject(Model):
    """A foreign national the report is about."""

    full_name: str | None = Pii(max_length=200)
    nationality: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3", examples=["CHN"]
    )
    passport_number: str | None = Pii(max_length=20)
    date_of_birth: date | None = Pii()
    sex: Literal["M", "F", "X"] | None = None
    permit_type: PermitType | None = None
    permit_number: str | None = Pii(max_length=40)
    permit_expiry: date | None = None
    employer: str | None = Field(None, max_length=200, description="Employer or sponsor")


class Reporter(Model):
    name: str | None = Pii(max_length=200)
    phone: str | None = Pii(max_length=20, description="E.164")
    email: str | None = Pii(max_length=200)
    organisation: str | None = Field(None, max_length=200)


class Lodging(Model):
    name: str | None = Field(None, max_length=200)
    check_in: AwareDatetime | None = None
    check_out: AwareDatetime | None = None


class Attachment(Model):
    url: str = Field(max_length=2000)
    media_type: str | None = None
    name: str | None = None


class Report(Model):
    """The canonical report: what every upstream format is normalised into."""

    schema_version: Literal[1] = SCHEMA_VERSION
    report_id: str = Field(default_factory=new_id, description="ULID assigned at ingest")
    source: str = Field(description="Source system id (bound to the API key or gateway)")
    source_format: SourceFormat = SourceFormat.canonical
    upstream_ref: str | None = Field(None, max_length=200, description="Id in the upstream system")
    references: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=100,
        description="upstream_ref of earlier reports of the same source that this one updates"
        " (or, with ``cancels``, withdraws); CAP ``references``",
    )
    cancels: bool = Field(
        False, description="The source withdraws the referenced reports (CAP msgType Cancel)"
    )
    home_area: list[str] = Field(
        default_factory=list, description="Kemendagri codes of the source office's home area"
    )
    received_at: AwareDatetime = Field(default_factory=utcnow)
    occurred_at: AwareDatetime | None = None
    category: Category = Category.presence
    severity: Severity = Severity.info
    location: Location = Field(default_factory=Location)
    resolution: PlaceResolution | None = Field(
        None, description="Set by ingest on every normalised report; routing requires it"
    )
    subjects: list[Subject] = Field(default_factory=list, max_length=500)
    subject_count: int | None = Field(None, ge=0, description="Head count when no list is given")
    reporter: Reporter | None = None
    lodging: Lodging | None = None
    text: str | None = Field(None, max_length=5000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)

    def partition_key(self) -> str:
        """Normalised reports are keyed by kecamatan code (kabupaten when none)."""
        loc = self.location
        return loc.kecamatan_code or loc.kabupaten_code or loc.provinsi_code or "unresolved"


class RoutableReport(Report):
    """A normalised report as routing reads it: ingest's place resolution is required
    (a report without one is a contract error and becomes a dead letter)."""

    resolution: PlaceResolution


class Reason(Model):
    """Why an input was rejected; ``index`` points into a batch."""

    code: str = Field(examples=["invalid_field"])
    message: str
    path: str | None = Field(None, examples=["subjects.0.nationality"])
    index: int | None = None


class ReportRejected(Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    rejection_id: str = Field(default_factory=new_id)
    source: str
    source_format: SourceFormat | None = None
    received_at: AwareDatetime = Field(default_factory=utcnow)
    reasons: list[Reason]
    original_b64: str | None = Field(None, description="Original bytes, base64")
    original_size: int = 0
    original_sha256: str | None = None
    original_topic: str | None = Field(None, description="Topic to replay into after a fix")
    headers: dict[str, str] = Field(default_factory=dict)


class AlertReason(StrEnum):
    new = "new"
    update = "update"
    escalation = "escalation"
    digest = "digest"
    cancelled = "cancelled"  # the source withdrew the report (CAP Cancel): the alert is closed
    reassigned = "reassigned"  # an operator gave the alert to another team (console)


class Fallback(Model):
    """Why an office's fallback team got an alert: no team serves the place, or the place
    lies outside the home area of the report's source (held for that office to review)."""

    office: str
    unserved_code: str | None = Field(
        None, description="The place no team at any level serves; None: the report has no place"
    )
    outside_home_area: str | None = Field(
        None,
        description="The report's place, outside its source's home area: held for the source's"
        " office to review, not sent to that place's team",
    )


class AlertRouted(Model):
    """A routed alert for one team. Keyed on Kafka by ``team_id``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    alert_id: str
    version: int = Field(1, ge=1, description="Bumped on every update of the same alert")
    report_id: str
    report_ids: list[str] = Field(default_factory=list, description="All reports grouped here")
    team_id: str
    team_name: str | None = None
    level: Level
    jurisdiction_code: str
    jurisdiction_name: str | None = None
    matched_rules: list[str]
    reason: AlertReason
    category: Category
    severity: Severity
    occurrence_count: int = 1
    escalation_step: int = 0
    ack_code: str = Field(description="Short code a member replies with to acknowledge")
    routed_at: AwareDatetime = Field(default_factory=utcnow)
    resolution_confidence: float = Field(1.0, ge=0, le=1)
    fallback: Fallback | None = Field(
        None, description="Set when the office's fallback team took it, and why"
    )
    update_sms_every_s: int = Field(
        1800, ge=0, description="A member with only SMS gets one update SMS per this time"
    )
    report: Report


class DeliveryStatus(StrEnum):
    sent = "sent"
    failed = "failed"  # transient failure, will be retried
    gave_up = "gave_up"  # retries exhausted on this channel
    fallback = "fallback"  # moving on to the member's next channel
    skipped = "skipped"  # quiet hours, off duty, no address
    duplicate = "duplicate"


class DeliveryAttempted(Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    delivery_id: str
    alert_id: str
    alert_version: int
    team_id: str
    member_id: str
    channel: str
    status: DeliveryStatus
    attempt: int = 1
    provider_message_id: str | None = None
    error: str | None = None
    at: AwareDatetime = Field(default_factory=utcnow)


class AlertAcknowledged(Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    ack_id: str = Field(default_factory=new_id)
    alert_id: str
    ack_code: str | None = None
    member_id: str | None = None
    channel: Literal["sms", "email", "telegram", "whatsapp", "link", "api", "webhook", "console"]
    acknowledged_at: AwareDatetime = Field(default_factory=utcnow)
    action: Literal["ack", "close"] = Field(
        "ack", description="ack: someone takes it (OK <code>); close: resolved (SELESAI <code>)"
    )
    note: str | None = Field(None, max_length=500, description="Optional note with a close")


class StepUpRequested(Model):
    """A member holding an alert's link asked to see its full details: notify sends a
    one-time code to that member's own phone or chat (the code never travels on Kafka)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    request_id: str = Field(default_factory=new_id)
    alert_id: str
    member_id: str
    team_id: str = Field(description="The team of the delivery the member's link came with")
    ack_code: str | None = Field(None, description="Named in the code's message")
    channel: str | None = Field(None, description="Preferred channel (the link's), if any")
    requested_at: AwareDatetime = Field(default_factory=utcnow)


def pii_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted paths of PII fields in ``model`` (lists marked with ``[]``)."""
    out: list[str] = []
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("pii"):
            out.append(prefix + name)
            continue
        ann = field.annotation
        for inner in getattr(ann, "__args__", ()) or (ann,):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                is_list = getattr(ann, "__origin__", None) is list
                out += pii_paths(inner, f"{prefix}{name}{'[]' if is_list else ''}.")
    return out
