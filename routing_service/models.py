"""Routing tables: processed reports (idempotency + replay), alerts, timers, silences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, UtcDateTime
from shared.schemas import utcnow


class ProcessedReport(Base):
    """A report already routed, with the alerts it produced.

    On redelivery the stored alerts are published again (same ids and versions), so a
    crash between commit and publish loses nothing and duplicates nothing downstream.
    """

    __tablename__ = "routing_processed_reports"

    report_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    outputs: Mapped[list[Any]] = mapped_column(JSON)
    # What became of the report (``plan.fate``): its alerts and their outcomes, the
    # alerts it was a duplicate in, or its dead letter. ``timpora report`` shows it.
    fate: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # The report's source and upstream id (``amend.upstream_key``): a later report of the
    # source that references it (a CAP Update or Cancel) finds its alerts through the fate.
    upstream_key: Mapped[str | None] = mapped_column(String(400), nullable=True, index=True)


class AlertRow(Base):
    """The current state of an alert (one per team and group key within its window)."""

    __tablename__ = "routing_alerts"
    __table_args__ = (
        Index("ix_routing_alerts_group", "team_id", "group_key", "window_ends_at"),
        Index("ix_routing_alerts_case", "group_key"),  # inhibition: a case at any team
        # the console: scoped by code prefix (LIKE '63.10.%'), newest first
        Index(
            "ix_routing_alerts_place",
            "place_code",
            postgresql_ops={"place_code": "varchar_pattern_ops"},
        ),
        Index(
            "ix_routing_alerts_code",
            "jurisdiction_code",
            postgresql_ops={"jurisdiction_code": "varchar_pattern_ops"},
        ),
        Index("ix_routing_alerts_created", "created_at"),
        Index("ix_routing_alerts_status", "status", "created_at"),  # the overview's active
        Index("ix_routing_alerts_acked", "acked_at"),  # and the week's acks
        Index(  # the retention job walks the alerts not erased yet, oldest change first
            "ix_routing_alerts_unerased",
            "updated_at",
            "alert_id",
            postgresql_where=text("erased_at IS NULL"),
        ),
    )

    alert_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str] = mapped_column(String(400))
    level: Mapped[str] = mapped_column(String(16))
    jurisdiction_code: Mapped[str] = mapped_column(String(20))
    # The report's place (its most precise code), which the team's area may not contain
    # (an escalated alert, an office's fallback team): the console scopes by both.
    place_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    ack_code: Mapped[str] = mapped_column(String(12), index=True)
    version: Mapped[int] = mapped_column(default=1)
    occurrence_count: Mapped[int] = mapped_column(default=1)
    report_ids: Mapped[list[str]] = mapped_column(JSON)
    matched_rules: Mapped[list[str]] = mapped_column(JSON)
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    # open | acked | muted | inhibited | digest | digested | closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    escalation_step: Mapped[int] = mapped_column(default=0)
    escalate_after_s: Mapped[int | None] = mapped_column(nullable=True)
    window_ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    close_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Set by the retention job (``timpora purge``) once the alert's personal data is erased
    # everywhere (its payloads, notes, the reports' stored outputs); the facts stay.
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class EscalationTimer(Base):
    """A durable timer: fires once (claimed with a row lock) unless the alert is acked."""

    __tablename__ = "routing_escalation_timers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(32), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    step: Mapped[int] = mapped_column(default=1)
    # pending | fired | cancelled | held (a silence covered it; a new timer waits for its end)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Reassignment(Base):
    """An operator's request to give an alert to another team (the console writes it,
    routing's timer loop decides it with ``lifecycle.on_reassign``, once)."""

    __tablename__ = "routing_reassignments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(32), index=True)
    team_id: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # pending | done | refused (``refusal`` says why: not_open, same_team, unknown_team)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    refusal: Mapped[str | None] = mapped_column(String(32), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Silence(Base):
    __tablename__ = "routing_silences"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
