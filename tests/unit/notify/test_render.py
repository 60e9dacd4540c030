"""Message text per channel and language, fitted to SMS segments (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notify_service.render import is_gsm7, render, sms_segments
from notify_service.render.context import CATEGORY
from notify_service.render.gsm7 import GSM7_BASIC, GSM7_EXTENDED
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


# ------------------------------------------------------------------------- segments


@pytest.mark.parametrize(
    ("text", "segments", "encoding"),
    [
        ("", 1, "GSM-7"),
        ("a" * 160, 1, "GSM-7"),
        ("a" * 161, 2, "GSM-7"),
        ("a" * 306, 2, "GSM-7"),
        ("a" * 307, 3, "GSM-7"),
        ("a" * 459, 3, "GSM-7"),
        ("a" * 460, 4, "GSM-7"),
        ("é" * 160, 1, "GSM-7"),  # é, ñ, ü, Ä... are in the basic table
        ("é" * 161, 2, "GSM-7"),
        ("ñÄÖÜ§¿ΔΩ@£$¥" * 10, 1, "GSM-7"),
        ("€" * 80, 1, "GSM-7"),  # extension characters take two septets
        ("€" * 81, 2, "GSM-7"),
        ("[" * 80, 1, "GSM-7"),
        ("]" * 152, 2, "GSM-7"),  # 76 pairs per 153-septet part
        ("]" * 153, 3, "GSM-7"),
        ("a" * 159 + "[", 2, "GSM-7"),
        ("a" * 158 + "{", 1, "GSM-7"),
        ("a" * 156 + "^~", 1, "GSM-7"),
        ("a" * 157 + "^~", 2, "GSM-7"),
        ("\n" * 160, 1, "GSM-7"),
        ("中" * 70, 1, "UCS-2"),
        ("中" * 71, 2, "UCS-2"),
        ("中" * 134, 2, "UCS-2"),
        ("中" * 135, 3, "UCS-2"),
        ("中" * 201, 3, "UCS-2"),
        ("中" * 202, 4, "UCS-2"),
        ("a" * 69 + "中", 1, "UCS-2"),  # one non-GSM character switches the whole message
        ("a" * 70 + "中", 2, "UCS-2"),
        ("a" * 133 + "中", 2, "UCS-2"),
        ("😀" * 35, 1, "UCS-2"),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, 2, "UCS-2"),
        ("ç" * 10, 1, "UCS-2"),  # only the capital Ç is in GSM-7
        ("…", 1, "UCS-2"),
    ],
)
def test_sms_segments(text: str, segments: int, encoding: str) -> None:
    assert sms_segments(text) == (segments, encoding)


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        # 152 + an escape pair would straddle the 153-septet part: the pair moves on
        ("a" * 152 + "€" + "a" * 151, 2),
        ("a" * 152 + "€" + "a" * 152, 3),
        # a surrogate pair (emoji) is never split between two 67-unit parts
        ("😀" * 33 + "a" + "😀" * 33 + "a", 2),
        ("😀" * 67, 3),
    ],
)
def test_pairs_never_straddle_two_parts(text: str, segments: int) -> None:
    assert sms_segments(text)[0] == segments


def test_gsm7_tables() -> None:
    assert len(GSM7_BASIC) == 127  # 128 positions, one is the escape to the extension
    assert set(GSM7_EXTENDED) == set("^{}\\[~]|€\f")
    assert not set(GSM7_BASIC) & set(GSM7_EXTENDED)
    assert is_gsm7("Balas OK 7KQ2M. http://x.id/a/AbC-_09")
    assert is_gsm7("")
    assert not is_gsm7("Balas OK 7KQ2M 🛂")
    assert not is_gsm7("`")  # the backtick is not in GSM-7


@settings(max_examples=300)
@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED), max_size=700))
def test_gsm7_segments_property(text: str) -> None:
    septets = len(text) + sum(c in GSM7_EXTENDED for c in text)
    segments, encoding = sms_segments(text)
    assert encoding == "GSM-7"
    if septets <= 160:
        assert segments == 1
    else:
        # 153 per part, one septet more per part at most (an escape pair moved on)
        assert -(-septets // 153) <= segments <= -(-septets // 152)


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=400).filter(lambda t: not is_gsm7(t)))
def test_ucs2_segments_property(text: str) -> None:
    units = len(text.encode("utf-16-le")) // 2
    segments, encoding = sms_segments(text)
    assert encoding == "UCS-2"
    if units <= 70:
        assert segments == 1
    else:
        # 67 per part, one unit more per part at most (a surrogate pair moved on)
        assert -(-units // 67) <= segments <= -(-units // 66)


# ------------------------------------------------------------------------- SMS fitting

LONG_TEXTS = {
    "ascii": "Lima WNA bekerja di area tambang tanpa izin kerja. " * 100,
    "gsm-extended": "{Laporan} [lokasi] ~ €100 per hari | " * 140,
    "typographic": "Warga melapor “lima WNA” – tanpa izin… " * 130,
    "chinese": "五名外国人在矿区无证工作" * 420,
    "emoji": "🛂🚨 WNA " * 800,
}


@pytest.mark.parametrize("kind", sorted(LONG_TEXTS))
@pytest.mark.parametrize(("max_segments", "link"), [(1, SHORT_LINK), (2, LINK), (3, LINK)])
@pytest.mark.parametrize("member", [MEMBER, MEMBER_EN], ids=["id", "en"])
def test_sms_never_exceeds_the_segment_limit(
    kind: str, max_segments: int, link: str, member: Member
) -> None:
    text = LONG_TEXTS[kind][:5000]
    a = alert(text=text, subjects=50)
    message = render(a, member, "sms", link=link, max_sms_segments=max_segments)
    assert message.segments <= max_segments
    assert (message.segments, message.encoding) == sms_segments(message.text)
    assert f"OK {CODE}" in message.text
    assert link in message.text
    assert PASSPORT not in message.text
    assert "Zhang" not in message.text


def test_sms_keeps_a_short_text_and_the_subjects() -> None:
    message = render(alert(subjects=2), MEMBER, "sms", link=LINK, max_sms_segments=3)
    assert message.segments <= 3
    assert message.encoding == "GSM-7"
    assert "Lima WNA bekerja di area tambang" in message.text
    assert MASKED in message.text
    assert "Z. W. M." in message.text
    assert "X00****01" in message.text
    assert "(2 org)" in message.text  # head count from the subject list
    assert f"OK {CODE}" in message.text
    assert LINK in message.text


def test_sms_shortens_the_text_before_dropping_subjects() -> None:
    text = "Lima WNA bekerja di area tambang batubara tanpa izin kerja sejak minggu lalu. " * 20
    message = render(alert(text=text), MEMBER, "sms", link=LINK, max_sms_segments=2)
    assert message.segments == 2
    assert message.encoding == "GSM-7"  # the ellipsis must not force UCS-2
    assert "Lima WNA bekerja" in message.text  # shortened, not dropped
    assert MASKED in message.text
    assert text.strip() not in message.text


def test_sms_with_typographic_punctuation_stays_gsm7() -> None:
    message = render(alert(text="Tamu “asing” – sudah pergi…"), MEMBER, "sms", link=LINK)
    assert message.encoding == "GSM-7"
    assert "asing" in message.text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(max_size=5000),
    subjects=st.integers(min_value=0, max_value=50),
    max_segments=st.sampled_from([2, 3]),
    language=st.sampled_from(["id", "en"]),
)
def test_sms_bound_and_ack_code_for_any_text(
    text: str, subjects: int, max_segments: int, language: str
) -> None:
    a = alert(text=text or None, subjects=subjects)
    member = MEMBER_EN if language == "en" else MEMBER
    message = render(a, member, "sms", link=LINK, max_sms_segments=max_segments)
    assert message.segments <= max_segments
    assert (message.segments, message.encoding) == sms_segments(message.text)
    assert f"OK {CODE}" in message.text
    assert LINK in message.text
    assert PASSPORT not in message.text


# ------------------------------------------------------------------------- chat


def test_chat_fits_the_limit_and_keeps_code_and_link() -> None:
    a = alert(text="Lima WNA bekerja di area tambang. " * 147, subjects=50)
    for channel in CHAT:
        for member in (MEMBER, MEMBER_EN):
            message = render(a, member, channel, link=LINK)
            assert len(message.text.encode("utf-16-le")) // 2 <= 4096
            assert f"OK {CODE}" in message.text
            assert LINK in message.text
            assert "Lima WNA bekerja di area tambang" in message.text
            assert message.segments == 0


def test_chat_lists_up_to_ten_subjects() -> None:
    message = render(alert(subjects=12), MEMBER, "telegram", link=LINK)
    assert message.text.count("X00****") == 9
    assert message.text.count(MASKED) == 1
    assert "X00****11" not in message.text
    assert "(12 orang)" in message.text


def test_chat_shows_the_time_in_wita() -> None:
    assert "14:30 WITA" in render(alert(), MEMBER, "telegram", link=LINK).text
    a = alert()
    a.report.occurred_at = None
    a.report.received_at = datetime(2026, 1, 10, 23, 45, tzinfo=UTC)  # 07:45 next day WITA
    text = render(a, MEMBER, "telegram", link=LINK).text
    assert "11-01-2026 07:45 WITA" in text


# ------------------------------------------------------------------------- personal data


@pytest.mark.parametrize("channel", ["sms", *CHAT])
@pytest.mark.parametrize("member", [MEMBER, MEMBER_EN], ids=["id", "en"])
def test_masked_passport_only_on_sms_and_chat(channel: str, member: Member) -> None:
    a = alert(subjects=2, text="Paspor E12345678 dipegang Zhang Wei Ming, HP +6281299998888")
    message = render(a, member, channel, link=LINK, max_sms_segments=4)
    assert MASKED in message.text
    for clear in (
        PASSPORT,
        "X00000001",
        "Zhang",
        "Person Number1",
        "1985-03-12",
        "2C11AB4455667",
        "6281299998888",
    ):
        assert clear not in message.text, clear
    assert "Z. W. M." in message.text
    assert f"OK {CODE}" in message.text
    assert LINK in message.text
    assert PASSPORT not in message.subject
    assert "Zhang" not in message.subject


@pytest.mark.parametrize("member", [MEMBER, MEMBER_EN], ids=["id", "en"])
def test_email_carries_full_details(member: Member) -> None:
    a = alert(subjects=2, text="Paspor E12345678 dipegang Zhang Wei Ming")
    message = render(a, member, "email", link=LINK)
    text = message.text
    for clear in (
        "Zhang Wei Ming",
        PASSPORT,
        "X00000001",
        "Person Number1",
        "1985-03-12",
        "2026-01-10",  # permit expiry
        "ITK",
        "2C11AB4455667",
        "PT Tambang Contoh",
        "Paspor E12345678 dipegang Zhang Wei Ming",
        "Tambang batubara PT Contoh",
        "Jl. Tambang Km 12, Desa Sungai Danau",
        "63.10.04",
        a.report_id,
        "polres-tanbu",
        "illegal-work-mining",
        "14:30 WITA",
        f"OK {CODE}",
        LINK,
    ):
        assert clear in text, clear
    assert MASKED not in text
    assert message.segments == 0
    assert CODE in message.subject


# ------------------------------------------------------------------------- language


def test_indonesian_is_the_default() -> None:
    assert MEMBER.language == "id"
    for channel in ("sms", *CHAT):
        text = render(alert(), MEMBER, channel, link=LINK).text
        assert f"Balas OK {CODE}" in text
        assert "Reply" not in text
        assert CATEGORY["id"][Category.illegal_work] in text
    email = render(alert(), MEMBER, "email", link=LINK).text
    assert f'balas "OK {CODE}"' in email
    assert "Konfirmasi" in email
    assert "paspor E12345678" in email


def test_english_for_members_who_read_english() -> None:
    for channel in ("sms", *CHAT):
        text = render(alert(), MEMBER_EN, channel, link=LINK).text
        assert f"Reply OK {CODE}" in text
        assert "Balas" not in text
        assert CATEGORY["en"][Category.illegal_work] in text
    email = render(alert(), MEMBER_EN, "email", link=LINK).text
    assert f'reply "OK {CODE}"' in email
    assert "Acknowledge" in email
    assert "passport E12345678" in email
    subject = render(alert(), MEMBER_EN, "email", link=LINK).subject
    assert CATEGORY["en"][Category.illegal_work] in subject


def test_explicit_language_overrides_and_unknown_falls_back() -> None:
    assert "Reply OK" in render(alert(), MEMBER, "sms", link=LINK, language="en").text
    assert "Balas OK" in render(alert(), MEMBER_EN, "sms", link=LINK, language="id").text
    assert "Reply OK" in render(alert(), MEMBER_EN, "sms", link=LINK, language="fr").text
    assert "Balas OK" in render(alert(), MEMBER, "sms", link=LINK, language=None).text


@pytest.mark.parametrize("category", list(Category))
@pytest.mark.parametrize("severity", list(Severity))
def test_every_category_and_severity_renders(category: Category, severity: Severity) -> None:
    a = alert(category=category, severity=severity)
    for member in (MEMBER, MEMBER_EN):
        name = CATEGORY[member.language][category]
        for channel in ("sms", "telegram", "email"):
            message = render(a, member, channel, link=LINK)
            assert name in message.text
            assert name in message.subject
            assert CODE in message.subject
            assert f"OK {CODE}" in message.text


# ------------------------------------------------------------------------- reasons


def test_escalation_wording() -> None:
    a = alert(
        reason=AlertReason.escalation,
        escalation_step=1,
        level=Level.kabupaten,
        jurisdiction_code="63.10",
        jurisdiction_name="Tanah Bumbu",
    )
    for channel in ("sms", *CHAT):
        assert "ESKALASI" in render(a, MEMBER, channel, link=LINK).text
        assert "ESCALATED" in render(a, MEMBER_EN, channel, link=LINK).text
    assert "DIESKALASI" in render(a, MEMBER, "email", link=LINK).text
    assert "ESCALATED" in render(a, MEMBER_EN, "email", link=LINK).text
    assert "ESKALASI" in render(a, MEMBER, "email", link=LINK).subject
    assert "ESCALATED" in render(a, MEMBER_EN, "email", link=LINK).subject
    plain = alert()
    for member in (MEMBER, MEMBER_EN):
        for channel in ("sms", "telegram", "email"):
            message = render(plain, member, channel, link=LINK)
            for word in ("ESKALASI", "ESCALATED"):
                assert word not in message.text
                assert word not in message.subject


def test_update_wording() -> None:
    a = alert(reason=AlertReason.update, occurrence_count=3, version=3)
    for channel in ("sms", *CHAT):
        assert "Pembaruan ke-3" in render(a, MEMBER, channel, link=LINK).text
        assert "Update #3" in render(a, MEMBER_EN, channel, link=LINK).text
    assert "pembaruan ke-3" in render(a, MEMBER, "email", link=LINK).text
    assert "update #3" in render(a, MEMBER_EN, "email", link=LINK).text
    for channel in ("sms", "telegram", "email"):
        assert "embaruan" not in render(alert(), MEMBER, channel, link=LINK).text
        assert "pdate #" not in render(alert(), MEMBER_EN, channel, link=LINK).text


def test_place_names() -> None:
    text = render(alert(), MEMBER, "telegram", link=LINK).text
    assert "Satui" in text
    assert "Tanah Bumbu" in text
    assert "Kabupaten Tanah Bumbu" not in render(alert(), MEMBER, "sms", link=LINK).text
    bare = alert()
    bare.report.location = Location(kecamatan_code="63.10.04")
    assert "Satui" in render(bare, MEMBER, "sms", link=LINK).text  # the jurisdiction name
    nameless = alert(jurisdiction_name=None)
    nameless.report.location = Location(kecamatan_code="63.10.04")
    assert "63.10.04" in render(nameless, MEMBER, "sms", link=LINK).text


@pytest.mark.parametrize("kind", ["sms", "email", "chat", "subject"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_fast_template_path_renders_what_jinja_renders(kind: str, language: str) -> None:
    from notify_service.render.context import template_context
    from notify_service.render.templates import environment, render_template

    ctx = template_context(alert(subjects=3), language, "https://timpora.example/a/token")
    expected = environment().get_template(f"{kind}.{language}.j2").render(**ctx)
    assert render_template(kind, language, ctx) == expected
