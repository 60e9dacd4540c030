"""What ``GET /v1/reports/{report_id}`` answers an upstream system: the wire contract,
with a description and an example per field (they feed the OpenAPI document).

Nothing here names a person: no recipient's name, number, address or member id, none of
the report's own personal data (subjects, reporter, text). Counts, times, channels, teams
and places only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

State = Literal[
    "accepted", "rejected", "ignored", "held", "routed", "delivered", "acknowledged", "closed"
]
Outcome = Literal["sent", "muted", "inhibited", "digest", "duplicate", "cancel"]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rejection(Schema):
    code: str = Field(description="Machine-readable reason", examples=["no_team"])
    message: str = Field(
        description="Why routing could not give the report to a team",
        examples=["no team serves 63.10.99 and no office fallback team takes it"],
    )


class Team(Schema):
    team_id: str = Field(
        description="The team's id in the directory", examples=["timpora-63.10.04"]
    )
    name: str | None = Field(
        None,
        description="The team's name (None: no longer in the directory)",
        examples=["Timpora Kecamatan Satui"],
    )


class Deliveries(Schema):
    """One delivery is one message of one alert version to one member on one channel."""

    total: int = Field(description="Every delivery recorded for the alert", examples=[3])
    sent: int = Field(
        description="Handed to the provider (includes the delivered ones)", examples=[3]
    )
    delivered: int = Field(
        description="Delivered: the provider confirmed it, or the channel has no delivery "
        "reports and accepted it",
        examples=[2],
    )
    failed: int = Field(
        description="Given up: every attempt failed or the provider reported a failure",
        examples=[0],
    )
    pending: int = Field(description="Being sent or waiting for a retry", examples=[0])
    recipients: int = Field(
        description="Distinct members with at least one delivered message", examples=[2]
    )


class Acknowledged(Schema):
    at: datetime = Field(description="When the alert was first acknowledged (UTC)")
    channel: str | None = Field(
        None,
        description="How: sms, whatsapp, telegram, email, link, console, ... (None: not "
        "recorded). Never who.",
        examples=["sms"],
    )


class Closed(Schema):
    at: datetime = Field(description="When the alert was closed (resolved), UTC")


class AlertStatus(Schema):
    alert_id: str = Field(description="The alert holding the report", examples=["01JAX3..."])
    version: int = Field(description="The alert's current version", examples=[1])
    outcome: Outcome = Field(
        description="What the report did to the alert: sent (opened or updated it), muted "
        "(a silence: recorded, not sent), inhibited (the case is open at a higher level), "
        "digest (sent with the period's summary), duplicate (already in it), cancel (its "
        "source withdrew it)",
        examples=["sent"],
    )
    state: State = Field(
        description="The alert's progress: held, routed, delivered, acknowledged or closed",
        examples=["delivered"],
    )
    level: str = Field(
        description="The team's level now (an escalated alert names the level it reached)",
        examples=["kecamatan"],
    )
    jurisdiction_code: str = Field(description="Kemendagri code of the team's area")
    team: Team
    held: str | None = Field(
        None,
        description="Why it is not with a team of the place: outside_home_area (the "
        "source office's fallback team reviews it), muted or inhibited",
        examples=[None],
    )
    deliveries: Deliveries
    acknowledged: Acknowledged | None = None
    closed: Closed | None = None


EXAMPLE: JsonDict = {
    "report_id": "01JNAQ7Z3C8W5V2K9T4M6R1B0D",
    "state": "acknowledged",
    "routed_at": "2025-03-01T02:00:01Z",
    "rejection": None,
    "note": None,
    "alerts": [
        {
            "alert_id": "01JNAQ7Z4F2H8Q1X5N7P3S9W6E",
            "version": 1,
            "outcome": "sent",
            "state": "acknowledged",
            "level": "kecamatan",
            "jurisdiction_code": "63.10.02",
            "team": {"team_id": "timpora-63.10.02", "name": "Timpora Kecamatan Kusan Hilir"},
            "held": None,
            "deliveries": {
                "total": 3,
                "sent": 3,
                "delivered": 3,
                "failed": 0,
                "pending": 0,
                "recipients": 3,
            },
            "acknowledged": {"at": "2025-03-01T02:04:10Z", "channel": "sms"},
            "closed": None,
        }
    ],
}


class ReportStatus(Schema):
    """200: what became of one report of the caller's own source."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE]}
    )

    report_id: str = Field(description="The id ingest answered with (202)")
    state: State = Field(
        description="accepted (in flight: not routed yet), rejected (see rejection), ignored "
        "(a cancel of nothing routing knows), else the furthest state of its alerts",
        examples=["delivered"],
    )
    routed_at: datetime | None = Field(None, description="When routing recorded it (UTC)")
    rejection: Rejection | None = None
    note: str | None = Field(None, description="Why an ignored report changed nothing")
    alerts: list[AlertStatus] = Field(
        default_factory=list,
        description="Each alert the report opened, updated or was grouped into",
    )
