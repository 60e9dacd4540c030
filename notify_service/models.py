"""Notify tables: the alert versions it delivered, the delivery log (one row per alert
version, member and channel), acks, and the notices telling the other recipients that
someone took or closed an alert."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UtcDateTime
from shared.schemas import utcnow


class AlertVersionRow(Base):
    """Each alert version notify delivers, stored once: its deliveries (one per member and
    channel) point at it by ``(alert_id, alert_version)``. A retry renders from it; the
    retention job (``timpora purge``) erases its personal fields and sets ``erased_at``."""

    __tablename__ = "alert_versions"

    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # the update-SMS rate limit reads it
    level: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str] = mapped_column(String(20))
    jurisdiction_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the routed alert, for retries
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AlertKeys(Protocol):
    """What a delivery row takes of its alert (an ``AlertRouted``, or a row's keys)."""

    alert_id: str
    version: int
    report_id: str
    team_id: str
    ack_code: str


class DeliveryRow(Base):
    """The unique key makes every send idempotent: a row is claimed before the send."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "alert_version", "member_id", "channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        # WhatsApp reports name the wamid (Kannel's our delivery id, the primary key)
        Index(
            "ix_deliveries_wamid",
            "provider_message_id",
            postgresql_where=text("channel = 'whatsapp'"),
        ),
        # the unconfirmed sweep: only the rows still waiting for a report
        Index(
            "ix_deliveries_awaiting",
            "channel",
            "updated_at",
            postgresql_where=text("receipt = 'awaiting'"),
        ),
    )

    delivery_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32))  # looked up through the unique key
    alert_version: Mapped[int] = mapped_column()
    report_id: Mapped[str] = mapped_column(String(32), index=True)
    team_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    ack_code: Mapped[str] = mapped_column(String(12), index=True)
    # sending → sent | retrying → ... | gave_up | skipped | uncertain (a process stopped
    # mid-send; high/critical are sent once more instead, with ``repeat`` set: "[ULANG]");
    # retrying (deferred, backing off, fallback) → cancelled once the alert is acked/closed;
    # sent → gave_up when the provider reports a failure (``receipt`` failed)
    status: Mapped[str] = mapped_column(String(16))
    # the provider's report of a sent delivery (notify_service.receipts): None (no reports
    # on this channel) | awaiting → delivered → read | failed | unconfirmed (→ delivered)
    receipt: Mapped[str | None] = mapped_column(String(16), nullable=True)
    receipt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(default=0)
    repeat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fallback_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EarlyReceiptRow(Base):
    """A provider report that arrived before its send was recorded (or for a message no
    delivery has): kept briefly and applied once the row is there (``receipting``)."""

    __tablename__ = "early_receipts"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AckRow(Base):
    """One ack and one close per alert and member, so a repeated reply publishes once."""

    __tablename__ = "acks"
    __table_args__ = (UniqueConstraint("alert_id", "member_id", "action"),)

    ack_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(8), default="ack", server_default="ack")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class NoticeRow(Base):
    """One "Diterima oleh ..." per ack event and member: claimed before it is sent, so a
    redelivered ack never tells anyone twice."""

    __tablename__ = "ack_notices"
    __table_args__ = (UniqueConstraint("ack_id", "member_id"),)

    notice_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    ack_id: Mapped[str] = mapped_column(String(32))
    alert_id: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # sending → sent | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StepUpCode(Base):
    """A one-time code sent to a member so that their link shows the alert's full details.

    Claimed (inserted) before it is sent, so a redelivered request never sends a second
    code; only a keyed digest is kept (:func:`notify_service.signing.code_digest`). The
    console checks a presented code against it and counts the attempts."""

    __tablename__ = "step_up_codes"

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # sending → sent | failed | unreachable
    code_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GroupMessageRow(Base):
    """One alert version's message in a team's Telegram group (``plan.group_recipient``):
    found again by the button press (chat id and message id), taken by the first press of
    a member (``taken_by``, with the masked label the group sees), edited once to show who
    took it (``edit_status``: editing → edited | failed, claimed before the edit)."""

    __tablename__ = "team_group_messages"

    chat_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32), index=True)
    alert_version: Mapped[int] = mapped_column()
    team_id: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[str] = mapped_column(String(32))
    ack_code: Mapped[str] = mapped_column(String(12))
    repeat: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    taken_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    taken_label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    edit_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    edit_error: Mapped[str | None] = mapped_column(Text, nullable=True)
