"""The rows delivery writes: a delivery (claimed before its send), a fallback to the
member's next channel, an alert version (stored once), the dead letter of an alert for a
team notify does not know, and a message sent to a team's group."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from notify_service.models import AlertKeys
from notify_service.sending import Row
from shared import topics
from shared.deadletter import rejected
from shared.kafka import Outgoing, dumps
from shared.schemas import AlertRouted, Member, Reason, new_id, utcnow

log = logging.getLogger("notify_service.delivery")


def delivery_values(
    alert: AlertKeys, member_id: str, channel: str, **values: object
) -> dict[str, object]:
    """A delivery row's values; every row has the same keys (one multi-row INSERT)."""
    return {
        "delivery_id": new_id(),
        "alert_id": alert.alert_id,
        "alert_version": alert.version,
        "report_id": alert.report_id,
        "team_id": alert.team_id,
        "member_id": member_id,
        "channel": channel,
        "ack_code": alert.ack_code,
        "error": None,
        "next_attempt_at": None,
        "fallback_channels": [],
        "repeat": False,
        "created_at": utcnow(),
        "updated_at": utcnow(),
        **values,
    }


def fallback_row(
    alert: AlertKeys, member_id: str, channels: Sequence[str], now: datetime
) -> dict[str, object] | None:
    """The member's next channel as a delivery due now (``None``: no channel left): after
    a send gave up, or a provider reported it failed (``receipting``)."""
    if not channels:
        return None
    nxt, *rest = channels
    values = {"status": "retrying", "attempts": 0, "next_attempt_at": now}
    return delivery_values(alert, member_id, nxt, **values, fallback_channels=rest)


def version_values(alert: AlertRouted, now: datetime) -> dict[str, object]:
    """The alert version's row (stored once, whatever number of deliveries it has)."""
    return {
        "alert_id": alert.alert_id,
        "version": alert.version,
        "reason": alert.reason.value,
        "level": alert.level.value,
        "severity": alert.severity.value,
        "jurisdiction_code": alert.jurisdiction_code,
        "jurisdiction_name": alert.jurisdiction_name,
        "payload": alert.model_dump(mode="json"),
        "created_at": now,
        "erased_at": None,
    }


def unknown_team(alert: AlertRouted) -> Outgoing:
    """The dead letter of an alert for a team notify's directory does not have (replay it
    with ``timpora deadletters replay`` once the directory has the team)."""
    reason = f"team {alert.team_id!r} is not in notify's directory"
    log.error("alert %s v%d: %s; dead-lettered", alert.alert_id, alert.version, reason)
    why = [Reason(code="unknown_team", message=reason, path="team_id")]
    headers = {"alert_id": alert.alert_id, "report_id": alert.report_id}
    return rejected(dumps(alert), topics.ALERTS_ROUTED, "notify", why, headers)


def group_message(
    alert: AlertKeys, row: Row, group: Member, now: datetime
) -> dict[str, object] | None:
    """The record of a message a team's group was sent (``None`` without a message id):
    a button press finds its alert by it, and the ack edits it."""
    message_id = row.provider_message_id
    if not (group.telegram_chat_id and message_id and message_id.lstrip("-").isdigit()):
        return None
    return {
        "chat_id": group.telegram_chat_id,
        "message_id": int(message_id),
        "alert_id": row.alert_id,
        "alert_version": row.alert_version,
        "team_id": row.team_id,
        "delivery_id": row.delivery_id,
        "ack_code": alert.ack_code,
        "repeat": bool(row.repeat),
        "sent_at": now,
        "taken_by": None,
        "taken_label": None,
        "taken_at": None,
        "edit_status": None,
        "edit_error": None,
    }
