"""Plain builders for the PII tests: a report and an alert with every personal field set."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Level,
    Location,
    Report,
    Reporter,
    Severity,
    Subject,
    ack_code_for,
)

CLEAR = {
    "full_name": ["Zhang Wei Ming", "Nguyen Van An"],
    "passport_number": ["E12345678", "C7654321"],
    "date_of_birth": ["1985-03-12", "1990-06-05"],
    "permit_number": ["2C11AB4455667", "ITAS998877"],
    "reporter.name": "Resepsionis Hotel Ebony",
    "reporter.phone": "+6281200009876",
    "reporter.email": "frontdesk.ebony@example.org",
}


def full_report() -> Report:
    """A report with every PII field of the schema set (two subjects)."""
    return Report(
        source="apoa-tanbu",
        received_at=datetime(2026, 1, 12, 2, 0, tzinfo=UTC),
        category=Category.overstay,
        severity=Severity.medium,
        location=Location(kecamatan_code="63.10.01", kecamatan_name="Batu Licin"),
        subjects=[
            Subject(
                full_name=CLEAR["full_name"][i],
                nationality="CHN" if i == 0 else "VNM",
                passport_number=CLEAR["passport_number"][i],
                date_of_birth=date.fromisoformat(CLEAR["date_of_birth"][i]),
                permit_number=CLEAR["permit_number"][i],
                employer="PT Tambang Contoh",
            )
            for i in range(2)
        ],
        reporter=Reporter(
            name=CLEAR["reporter.name"],
            phone=CLEAR["reporter.phone"],
            email=CLEAR["reporter.email"],
            organisation="Hotel Ebony",
        ),
        text="Dua tamu WNA menginap melewati izin tinggal",
    )


def full_alert() -> AlertRouted:
    report = full_report()
    return AlertRouted(
        alert_id="01JALERT0000000000000000AA",
        report_id=report.report_id,
        team_id="timpora-63.10.01",
        level=Level.kecamatan,
        jurisdiction_code="63.10.01",
        matched_rules=["overstay"],
        reason=AlertReason.new,
        category=report.category,
        severity=report.severity,
        ack_code=ack_code_for("01JALERT0000000000000000AA"),
        report=report,
    )


def clear_values() -> list[str]:
    out: list[str] = []
    for value in CLEAR.values():
        out += value if isinstance(value, list) else [value]
    return out
