"""Plain builders for notify unit tests (no fixtures: those live in conftest files)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Channel,
    Level,
    Location,
    Member,
    Report,
    Reporter,
    Severity,
    Subject,
    Team,
    ack_code_for,
)

ALERT_ID = "01JH8Z3K6Y2QW4E5R6T7Y8U9HA"
RECEIVED = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)  # 10:00 WITA
PASSPORT = "E12345689"
NAME = "Zhang Wei Ming"
LINK = (
    "https://timpora.example.go.id/a/01JH8Z3K6Y2QW4E5R6T7Y8U9HA.camat.tpl05p.ODMsJdpoN8UiQqESzLMS4A"
)
SHORT_LINK = "https://tpr.id/a/01JH8Z3K6Y2QW4E5R6T7Y8U9HA.camat.tpl05p.ODMsJdpoN8UiQqESzLMS4A"


def subject(**overrides: Any) -> Subject:
    values: dict[str, Any] = {
        "full_name": NAME,
        "nationality": "CHN",
        "passport_number": PASSPORT,
        "date_of_birth": date(1985, 3, 2),
        "sex": "M",
        "permit_type": "ITAS",
        "permit_number": "2C11AB4455667",
        "permit_expiry": date(2026, 6, 30),
        "employer": "PT Tambang Contoh",
    }
    return Subject(**(values | overrides))


def report(**overrides: Any) -> Report:
    values: dict[str, Any] = {
        "source": "kanim-batulicin",
        "category": Category.illegal_work,
        "severity": Severity.high,
        "received_at": RECEIVED,
        "location": Location(
            provinsi_code="63",
            kabupaten_code="63.10",
            kecamatan_code="63.10.04",
            kabupaten_name="Tanah Bumbu",
            kecamatan_name="Satui",
            place_name="Tambang PT Contoh",
        ),
        "subjects": [subject()],
        "subject_count": 5,
        "reporter": Reporter(name="Budi Pelapor", phone="+6281299990000", organisation="Desa"),
        "text": "5 WNA bekerja di tambang batu bara tanpa izin kerja.",
    }
    return Report(**(values | overrides))


def alert(**overrides: Any) -> AlertRouted:
    rep = overrides.pop("report", None) or report()
    values: dict[str, Any] = {
        "alert_id": ALERT_ID,
        "report_id": rep.report_id,
        "team_id": "timpora-63.10.04",
        "team_name": "Timpora Kecamatan Satui",
        "level": Level.kecamatan,
        "jurisdiction_code": "63.10.04",
        "jurisdiction_name": "Satui",
        "matched_rules": ["illegal-work"],
        "reason": AlertReason.new,
        "category": rep.category,
        "severity": rep.severity,
        "ack_code": ack_code_for(ALERT_ID),
        "report": rep,
    }
    return AlertRouted(**(values | overrides))


def member(**overrides: Any) -> Member:
    values: dict[str, Any] = {
        "member_id": "camat",
        "name": "Siti Contoh",
        "phone": "+6281200000101",
        "email": "camat.satui@example.org",
        "telegram_chat_id": "700000101",
        "whatsapp": "+6281200000101",
        "channels": [Channel.sms, Channel.email],
    }
    return Member(**(values | overrides))


def team(*members: Member) -> Team:
    return Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=list(members),
    )
