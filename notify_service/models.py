"""Notify tables: the delivery log (one row per alert version, member and channel) and acks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UtcDateTime
from shared.schemas import utcnow


class DeliveryRow(Base):
    """The unique key makes every send idempotent: a row is claimed before the send."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "alert_version", "member_id", "channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    delivery_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32))  # looked up through the unique key
    alert_version: Mapped[int] = mapped_column()
    report_id: Mapped[str] = mapped_column(String(32), index=True)
    team_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    ack_code: Mapped[str] = mapped_column(String(12), index=True)
    # sending → sent | retrying → ... | gave_up | skipped | uncertain
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fallback_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    alert: Mapped[dict[str, Any]] = mapped_column(JSON)  # the routed alert, for retries


class AckRow(Base):
    """One acknowledgement per alert and member, so a repeated reply publishes once."""

    __tablename__ = "acks"
    __table_args__ = (UniqueConstraint("alert_id", "member_id"),)

    ack_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    acknowledged_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
