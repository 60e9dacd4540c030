"""Retention (pure): when an alert's personal data is due for erasure, and what erasing
an alert leaves (``shared.retention``, ``shared.pii.erase_alert``)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.pii import erase_alert
from shared.retention import ENDED, Retention, erase_due, last_change
from shared.schemas import AlertRouted, Attachment
from tests.unit.pii.factories import clear_values, full_alert

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
POLICY = Retention(closed_days=180, idle_days=365, audit_days=730)


@pytest.mark.parametrize("status", sorted(ENDED))
def test_an_ended_alert_is_erased_after_the_closed_retention(status: str) -> None:
    assert erase_due(status, NOW - timedelta(days=180), NOW, POLICY)
    assert not erase_due(status, NOW - timedelta(days=179, hours=23), NOW, POLICY)


@pytest.mark.parametrize("status", ["open", "acked", "digest"])
def test_an_alert_nobody_ended_is_erased_after_the_idle_retention(status: str) -> None:
    assert not erase_due(status, NOW - timedelta(days=364), NOW, POLICY)
    assert erase_due(status, NOW - timedelta(days=365), NOW, POLICY)


def test_the_clock_starts_at_the_latest_change() -> None:
    updated = NOW - timedelta(days=400)
    closed = NOW - timedelta(days=10)  # closed long after its last update
    assert last_change(updated, None, closed) == closed
    assert not erase_due("closed", last_change(updated, None, closed), NOW, POLICY)
    assert last_change(updated) == updated


def test_the_audit_log_outlives_the_data_it_mentions() -> None:
    with pytest.raises(ValueError, match="audit log"):
        Retention(closed_days=180, idle_days=365, audit_days=300)
    with pytest.raises(ValueError, match="at least a day"):
        Retention(closed_days=0)
    assert POLICY.audit_before(NOW) == NOW - timedelta(days=730)
    # the query's bound never leaves a due alert out
    assert POLICY.candidates_before(NOW) == NOW - timedelta(days=180)


def test_erasing_an_alert_removes_every_personal_value_and_keeps_the_facts() -> None:
    alert = full_alert()
    report = alert.report.model_copy(
        update={
            "text": "Tamu atas nama Zhang Wei Ming, paspor E12345678",
            "attachments": [Attachment(url="https://x.example/paspor-E12345678.jpg", name="p")],
            "location": alert.report.location.model_copy(update={"address": "Jl. Contoh 5"}),
        }
    )
    dumped = alert.model_copy(update={"report": report}).model_dump(mode="json")
    before = copy.deepcopy(dumped)
    erased = erase_alert(dumped)
    assert dumped == before  # the input is not changed
    text = json.dumps(erased)
    for value in [*clear_values(), "Jl. Contoh 5", "paspor-E12345678"]:
        assert value not in text, value
    again = AlertRouted.model_validate(erased)  # still a valid alert
    assert (again.alert_id, again.jurisdiction_code, again.severity) == (
        alert.alert_id,
        alert.jurisdiction_code,
        alert.severity,
    )
    assert [s.nationality for s in again.report.subjects] == ["CHN", "VNM"]
    assert again.report.location.kecamatan_code == "63.10.01"
    assert again.report.reporter is not None
    assert again.report.reporter.organisation == "Hotel Ebony"
    assert erase_alert(erased) == erased  # erasing twice changes nothing
