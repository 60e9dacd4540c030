"""Shared inputs of the render tests (``test_render_*.py``).

Two alert builders meet there: :mod:`tests.unit.notify.factories` (imported by name) and
the one here, used as ``cases.alert``: its link is signed as notify signs it, it takes the
free text and the number of subjects, and its members (``MEMBER``, ``MEMBER_EN``) read
Indonesian or English.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from notify_service.signing import make_token
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Level,
    Location,
    Member,
    PermitType,
    Report,
    Severity,
    Subject,
    ack_code_for,
)

ALERT_ID = "01JHK3Z8Q4W5E6R7T8Y9U0I1OP"
CODE = ack_code_for(ALERT_ID)
# A link as notify builds it: the public base URL and a signed token.
LINK = "http://127.0.0.1:8083/a/" + make_token(
    "dev-only-insecure-secret-change-me", ALERT_ID, "m0001", timedelta(days=7)
)
SHORT_LINK = "https://t.id/a/x7K"
PASSPORT = "E12345678"
MASKED = "E12****78"
MEMBER = Member(member_id="m0001", name="Siti Contoh", phone="+6281200000101")
MEMBER_EN = MEMBER.model_copy(update={"language": "en"})
CHAT = ("telegram", "whatsapp")


def subject(i: int = 0) -> Subject:
    return Subject(
        full_name="Zhang Wei Ming" if i == 0 else f"Person Number{i}",
        nationality="CHN",
        passport_number=PASSPORT if i == 0 else f"X{i:08d}",
        date_of_birth=date(1985, 3, 12),
        permit_type=PermitType.itk,
        permit_number="2C11AB4455667",
        permit_expiry=date(2026, 1, 10),
        employer="PT Tambang Contoh",
    )


def alert(
    *, text: str | None = "Lima WNA bekerja di area tambang", subjects: int = 1, **overrides: object
) -> AlertRouted:
    report = Report(
        source="polres-tanbu",
        occurred_at=datetime(2026, 1, 10, 6, 30, tzinfo=UTC),  # 14:30 WITA
        category=Category.illegal_work,
        severity=Severity.high,
        location=Location(
            kecamatan_code="63.10.04",
            kecamatan_name="Satui",
            kabupaten_code="63.10",
            kabupaten_name="Kabupaten Tanah Bumbu",
            place_name="Tambang batubara PT Contoh",
            address="Jl. Tambang Km 12, Desa Sungai Danau",
        ),
        subjects=[subject(i) for i in range(subjects)],
        subject_count=5 if subjects <= 1 else None,
        text=text,
    )
    fields: dict[str, object] = {
        "alert_id": ALERT_ID,
        "report_id": report.report_id,
        "team_id": "timpora-63.10.04",
        "team_name": "Timpora Kecamatan Satui",
        "level": Level.kecamatan,
        "jurisdiction_code": "63.10.04",
        "jurisdiction_name": "Satui",
        "matched_rules": ["illegal-work-mining"],
        "reason": AlertReason.new,
        "category": Category.illegal_work,
        "severity": Severity.high,
        "ack_code": CODE,
        "report": report,
    }
    return AlertRouted(**(fields | overrides))


CHANNELS = ("sms", "email", "telegram", "whatsapp")

_BASIC = list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ .,;:-0123456789é")
GSM_TEXT = st.one_of(  # mostly basic GSM-7 (the arithmetic), sometimes with escape pairs
    st.text(alphabet=st.sampled_from(_BASIC), max_size=700),
    st.text(alphabet=st.sampled_from(_BASIC + list("[]{}€^~|\\")), max_size=700),
)
