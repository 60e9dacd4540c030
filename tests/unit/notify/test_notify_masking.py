"""shared.pii as notify uses it: value maskers, schema-driven masking, free-text
scrubbing and the log filter."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.pii import (
    PiiLogFilter,
    mask_date,
    mask_email,
    mask_json,
    mask_name,
    mask_passport,
    mask_phone,
    mask_report,
    name_variants,
    scrub_text,
)
from shared.schemas import Member, Model, Pii, Report, Team, pii_paths
from tests.unit.notify.factories import NAME, PASSPORT, member, report, subject, team

# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("A1234589", "A12****89"),  # the example of the product brief
        ("E12345689", "E12****89"),
        ("e 1234 5689", "E12****89"),  # spaces dropped, upper-cased
        ("AB1234567", "AB1****67"),
        ("123456789012345678", "123****78"),  # the star run never tells the length
        ("X123456", "****"),  # too short to show anything
        ("AB1", "****"),
        (None, None),
        ("", ""),
    ],
)
def test_mask_passport(value: str | None, masked: str | None) -> None:
    assert mask_passport(value) == masked


@given(st.from_regex(r"\A[A-Z]{0,2}[0-9]{6,12}[A-Z]?\Z", fullmatch=True))
def test_masked_passport_hides_the_middle(value: str) -> None:
    masked = mask_passport(value)
    assert masked is not None
    assert value not in masked
    assert "****" in masked
    if len(value) >= 8:
        assert masked == value[:3] + "****" + value[-2:]


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (NAME, "Z. W. M."),
        ("maria  santos", "M. S."),
        ("Nguyễn Văn An", "N. V. A."),
        ("O'Brien", "O."),
        ("张伟明", "张."),
        ("-- !!", "****"),
        (None, None),
    ],
)
def test_mask_name_keeps_initials(value: str | None, masked: str | None) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+6281200001234", "+62812****34"),
        ("+62 812-0000-1234", "+62812****34"),
        ("12345678", "****"),
        (None, None),
    ],
)
def test_mask_phone(value: str | None, masked: str | None) -> None:
    assert mask_phone(value) == masked


def test_mask_email_and_date() -> None:
    assert mask_email("camat.satui@example.org") == "c***@example.org"
    assert mask_email("no-address") == "***"
    assert mask_date(date(1985, 3, 2)) == "1985-**-**"
    assert mask_date("1990-06-05") == "1990-**-**"
    assert mask_date(None) is None


# --------------------------------------------------------------------------- documents


def _strings(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def test_mask_report_masks_every_pii_field_and_stays_valid() -> None:
    original = report()
    masked = mask_report(original)
    assert isinstance(masked, Report)
    s = masked.subjects[0]
    assert s.full_name == "Z. W. M."
    assert s.passport_number == "E12****89"
    assert s.permit_number == "2C1****67"
    assert s.date_of_birth is None  # a "1985" cannot live in a date field: dropped
    assert masked.reporter is not None
    assert masked.reporter.name == "B. P."
    assert masked.reporter.phone == "+62812****00"
    # not personal data: untouched
    assert s.nationality == "CHN"
    assert s.employer == "PT Tambang Contoh"
    assert masked.location == original.location
    # the input is not modified
    assert original.subjects[0].passport_number == PASSPORT
    text = masked.model_dump_json()
    for clear in (PASSPORT, NAME, "2C11AB4455667", "Budi Pelapor", "+6281299990000"):
        assert clear not in text


def test_mask_report_scrubs_the_free_text() -> None:
    rep = report(text=f"Tamu {NAME} (paspor {PASSPORT}), kontak 081234567890 / zw@example.cn")
    masked = mask_report(rep)
    assert masked.text is not None
    for clear in (NAME, PASSPORT, "081234567890", "zw@example.cn"):
        assert clear not in masked.text
    assert "Z. W. M." in masked.text
    assert "E12****89" in masked.text


def test_mask_json_is_driven_by_the_schema() -> None:
    """Any field marked ``Pii`` is masked, without this module knowing it."""

    class Witness(Model):
        nickname: str | None = Pii()
        passport_copy: str | None = Pii()
        remark: str | None = Pii()
        city: str | None = None

    assert pii_paths(Witness) == ["nickname", "passport_copy", "remark"]
    data = {"nickname": "Ah Ming", "passport_copy": "G12345678", "remark": "x", "city": "Batulicin"}
    masked = mask_json(data, Witness)
    assert masked == {
        "nickname": "A. M.",
        "passport_copy": "G12****78",
        "remark": "****",  # an unknown kind of personal data is hidden entirely
        "city": "Batulicin",
    }
    assert data["nickname"] == "Ah Ming"  # a copy is masked, not the input


def test_mask_json_recognises_teams_and_members() -> None:
    t = team(member(), member(member_id="kapolsek", name="Budi Rekaan", phone="+6281200000102"))
    masked = mask_json(t.model_dump(mode="json"))
    text = _strings(masked)
    for clear in ("Siti Contoh", "Budi Rekaan", "+6281200000101", "camat.satui@example.org"):
        assert clear not in text
    assert masked["name"] == "Timpora Kecamatan Satui"  # a team's name is not PII
    assert Team.model_validate(masked).members[0].name == "S. C."
    single = mask_json(member().model_dump(mode="json"))
    assert single["phone"] == "+62812****01"
    assert single["whatsapp"] == "+62812****01"
    assert Member.model_validate(single).telegram_chat_id == "700000101"


def test_mask_json_leaves_unknown_documents_alone() -> None:
    assert mask_json({"note": PASSPORT}) == {"note": PASSPORT}
    assert mask_json([PASSPORT]) == [PASSPORT]


# --------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("paspor E12345689 di Satui", "E12345689"),
        ("no. C7654321.", "C7654321"),
        ("passport:p1234567a", "p1234567a"),
        ("hubungi +6281234567890 segera", "+6281234567890"),
        ("hubungi 081234567890", "081234567890"),
        ("email zw.ming@example.cn ya", "zw.ming@example.cn"),
    ],
)
def test_scrub_text_masks_tokens(text: str, gone: str) -> None:
    assert gone not in scrub_text(text)


def test_scrub_text_masks_known_names_and_keeps_the_rest() -> None:
    names = name_variants(NAME)
    assert "Zhang Wei" in names
    assert "Wei Ming" in names
    assert "Zhang" in names
    text = "Zhang Wei terlihat di tambang; ZHANG juga di Satui, kode 63.10.04, 5 orang."
    scrubbed = scrub_text(text, names)
    assert "Zhang" not in scrubbed
    assert "ZHANG" not in scrubbed
    assert "Wei" not in scrubbed
    assert scrubbed == "Z. W. terlihat di tambang; Z. juga di Satui, kode 63.10.04, 5 orang."


def test_scrub_text_leaves_ids_and_codes_alone() -> None:
    text = "alert 01JH8Z3K6Y2QW4E5R6T7Y8U9HA v2 kode 63.10.06.2001 jam 10:00"
    assert scrub_text(text) == text


# --------------------------------------------------------------------------- logging


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, msg, args or None, None)
    record.__dict__.update(extra)
    return record


def test_log_filter_scrubs_message_arguments_and_extras() -> None:
    record = _record("subject %s phone %s", PASSPORT, "+6281234567890", note=f"pp {PASSPORT}")
    assert PiiLogFilter().filter(record) is True
    assert record.getMessage() == "subject E12****89 phone +62812****90"
    assert record.note == "pp E12****89"  # type: ignore[attr-defined]


def test_log_filter_scrubs_exception_text() -> None:
    try:
        raise ValueError(f"bad passport {PASSPORT}")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    PiiLogFilter().filter(record)
    line = logging.Formatter().format(record)
    assert PASSPORT not in line
    assert "E12****89" in line


def test_log_filter_through_a_handler(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("timpora.notify.test")
    caplog.handler.addFilter(PiiLogFilter())
    with caplog.at_level(logging.INFO, logger="timpora.notify.test"):
        logger.info("sms to %s for %s", "+6281200000101", subject().passport_number)
    assert "+6281200000101" not in caplog.text
    assert PASSPORT not in caplog.text
