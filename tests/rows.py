"""Database rows the tests insert directly (the delivery log)."""

from __future__ import annotations


def delivery_row(delivery_id: str, member: str, **values: object) -> dict[str, object]:
    """A ``deliveries`` row of alert A1 v1, claimed (``sending``) by SMS; ``values`` override."""
    return {
        "delivery_id": delivery_id,
        "alert_id": "A1",
        "alert_version": 1,
        "report_id": "R1",
        "team_id": "T1",
        "member_id": member,
        "channel": "sms",
        "ack_code": "K1",
        "status": "sending",
        "alert": {"alert_id": "A1", "nested": [1, {"x": "é"}]},
        **values,
    }
