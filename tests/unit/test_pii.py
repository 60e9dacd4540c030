"""Masking of personal data (pure): field maskers, schema-driven ``mask_json``, log filter."""

from __future__ import annotations

import copy
import json
import logging
import sys
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.pii import (
    PASSPORT_TOKEN,
    PiiLogFilter,
    mask_date,
    mask_email,
    mask_json,
    mask_name,
    mask_passport,
    mask_phone,
    mask_report,
    scrub_report_text,
    scrub_text,
)
from shared.schemas import (
    AlertReason,
    AlertRouted,
    Category,
    Level,
    Location,
    Member,
    Reason,
    Report,
    Reporter,
    ReportRejected,
    Severity,
    Subject,
    Team,
    ack_code_for,
    pii_paths,
)

# ------------------------------------------------------------------------- field maskers


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("A1234589", "A12****89"),
        ("E12345678", "E12****78"),
        ("AB1234567", "AB1****67"),
        ("123456789", "123****89"),
        ("X1234567", "X12****67"),  # 8 characters: the shortest partly shown
        ("X123456", "****"),  # shorter: everything hidden
        ("X1234", "****"),
        ("AB1", "****"),
        ("e 1234 5678", "E12****78"),  # spaces dropped, upper-cased
        ("e12345678", "E12****78"),
        ("  c\t12345678 ", "C12****78"),
        ("123456789012345678", "123****78"),  # the star run never tells the length
    ],
)
def test_mask_passport(value: str, masked: str) -> None:
    assert mask_passport(value) == masked


@pytest.mark.parametrize("value", [None, ""])
def test_mask_passport_empty_passes_through(value: str | None) -> None:
    assert mask_passport(value) == value


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("Zhang Wei Ming", "Z. W. M."),
        ("maria santos", "M. S."),
        ("  LI   WEI ", "L. W."),
        ("Nguyễn Văn An", "N. V. A."),
        ("Madonna", "M."),
        ("O'Brien (Sean)", "O. S."),
        (None, None),
        ("", ""),
    ],
)
def test_mask_name_keeps_initials(value: str | None, masked: str | None) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize("value", ["   ", "-- ..."])
def test_mask_name_without_letters_is_hidden(value: str) -> None:
    masked = mask_name(value)
    assert masked
    assert set(masked) == {"*"}


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+6281200001234", "+62812****34"),
        ("081200001234", "081200****34"),
        ("+62 812-0000-1234", "+62812****34"),  # separators do not matter
        ("+62812345", "+62812****45"),  # 9 characters: still partly shown
        (None, None),
        ("", ""),
    ],
)
def test_mask_phone(value: str | None, masked: str | None) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize("value", ["12345678", "0518", "+62"])
def test_short_phone_numbers_are_hidden(value: str) -> None:
    masked = mask_phone(value)
    assert masked
    assert set(masked) == {"*"}


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("camat.satui@example.org", "c***@example.org"),
        ("x@example.org", "x***@example.org"),
        (None, None),
        ("", ""),
    ],
)
def test_mask_email(value: str | None, masked: str | None) -> None:
    assert mask_email(value) == masked


@pytest.mark.parametrize("value", ["not-an-address", "nobody@", "@example.org"])
def test_odd_emails_show_no_user(value: str) -> None:
    masked = mask_email(value)
    assert masked
    assert masked.split("@")[0].strip("*") == ""


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("1985-03-12", "1985-**-**"),
        (date(1990, 6, 5), "1990-**-**"),
        (None, None),
    ],
)
def test_mask_date_keeps_the_year(value: Any, masked: Any) -> None:
    assert mask_date(value) == masked


def test_mask_date_without_a_year_is_hidden() -> None:
    masked = mask_date("12/03/85")
    assert masked
    assert "03" not in masked
    assert "85" not in masked


# ------------------------------------------------------------------------- mask_json

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


def _at_path(obj: Any, path: str) -> list[Any]:
    """Every value at a ``pii_paths`` path (lists marked with ``[]``)."""
    nodes = [obj]
    for part in path.split("."):
        key = part.removesuffix("[]")
        nxt: list[Any] = []
        for node in nodes:
            if not isinstance(node, dict) or node.get(key) is None:
                continue
            nxt += node[key] if part.endswith("[]") else [node[key]]
        nodes = nxt
    return nodes


def test_pii_paths_cover_the_schema() -> None:
    assert set(pii_paths(Report)) == {
        "subjects[].full_name",
        "subjects[].passport_number",
        "subjects[].date_of_birth",
        "subjects[].permit_number",
        "reporter.name",
        "reporter.phone",
        "reporter.email",
    }
    assert pii_paths(AlertRouted) == [f"report.{p}" for p in pii_paths(Report)]
    assert set(pii_paths(Team)) == {
        "members[].name",
        "members[].phone",
        "members[].email",
        "members[].whatsapp",
    }


@pytest.mark.parametrize("kind", ["report", "alert"])
def test_mask_json_masks_every_pii_path(kind: str) -> None:
    model = full_report() if kind == "report" else full_alert()
    clear = model.model_dump(mode="json")
    masked = mask_json(copy.deepcopy(clear))
    paths = pii_paths(type(model))
    assert paths
    for path in paths:
        before, after = _at_path(clear, path), _at_path(masked, path)
        assert before, f"the fixture leaves {path} empty"
        assert len(after) == len(before)
        for b, a in zip(before, after, strict=True):
            assert a != b, f"{path} not masked"
    text = json.dumps(masked, ensure_ascii=False)
    for value in clear_values():
        assert value not in text, f"{value!r} survived masking"
    for passport in CLEAR["passport_number"]:
        assert mask_passport(passport) in text
    for dob in CLEAR["date_of_birth"]:
        assert dob[:4] in text  # the year of birth stays
    # everything that is not personal data is left alone
    report_part = masked if kind == "report" else masked["report"]
    assert report_part["subjects"][0]["nationality"] == "CHN"
    assert report_part["subjects"][0]["employer"] == "PT Tambang Contoh"
    assert report_part["reporter"]["organisation"] == "Hotel Ebony"
    clear_report = clear if kind == "report" else clear["report"]
    assert report_part["report_id"] == clear_report["report_id"]
    assert report_part["location"] == clear_report["location"]
    if kind == "alert":
        assert masked["alert_id"] == clear["alert_id"]
        assert masked["ack_code"] == clear["ack_code"]


def test_mask_json_leaves_its_input_alone_and_accepts_missing_parts() -> None:
    alert = full_alert().model_dump(mode="json")
    alert["report"]["reporter"] = None
    alert["report"]["subjects"][1]["passport_number"] = None
    before = copy.deepcopy(alert)
    masked = mask_json(alert)
    assert masked["report"]["reporter"] is None
    assert masked["report"]["subjects"][1]["passport_number"] is None
    assert masked["report"]["subjects"][0]["passport_number"] == "E12****78"
    assert alert == before  # a masked copy: the decoded message itself is untouched
    assert mask_json([1, 2]) == [1, 2]
    assert mask_json("E12345678") == "E12345678"
    assert mask_json({"unrelated": "E12345678"}) == {"unrelated": "E12345678"}


def test_mask_json_with_explicit_paths() -> None:
    obj = {"members": [{"name": "Siti Contoh", "phone": "+6281200000101"}]}
    masked = mask_json(obj, ["members[].name", "members[].phone"])
    assert masked == {"members": [{"name": "S. C.", "phone": "+62812****01"}]}


def test_mask_json_masks_a_team_directory_entry() -> None:
    team = Team(
        team_id="timpora-63.10.04",
        name="Timpora Kecamatan Satui",
        level=Level.kecamatan,
        jurisdiction_code="63.10.04",
        members=[
            Member(
                member_id="m0010",
                name="Siti Contoh",
                phone="+6281200000101",
                email="camat.satui@example.org",
                whatsapp="+6281200000102",
                telegram_chat_id="700000101",
            )
        ],
    )
    masked = mask_json(team.model_dump(mode="json"), pii_paths(Team))
    member = masked["members"][0]
    assert member["name"] == "S. C."
    assert member["phone"] == "+62812****01"
    assert member["whatsapp"] == "+62812****02"
    assert member["email"] == "c***@example.org"
    assert member["member_id"] == "m0010"
    assert masked["name"] == "Timpora Kecamatan Satui"  # a team name is no personal data


def test_mask_json_hides_original_bytes_of_a_rejection() -> None:
    rejection = ReportRejected(
        source="apoa-tanbu",
        reasons=[Reason(code="invalid_field", message="bad")],
        original_b64="eyJwYXNzcG9ydCI6ICJFMTIzNDU2NzgifQ==",
    )
    masked = mask_json(rejection.model_dump(mode="json"))
    assert masked["original_b64"] == "<original bytes hidden>"
    assert masked["source"] == "apoa-tanbu"
    assert masked["reasons"] == [
        {"code": "invalid_field", "message": "bad", "path": None, "index": None}
    ]


def test_mask_report_returns_a_valid_masked_report() -> None:
    report = full_report()
    report.text = "Paspor E12345678 atas nama Zhang Wei Ming, HP +6281200009876"
    masked = mask_report(report)
    assert isinstance(masked, Report)
    assert masked.report_id == report.report_id
    assert [s.passport_number for s in masked.subjects] == ["E12****78", "C76****21"]
    assert [s.full_name for s in masked.subjects] == ["Z. W. M.", "N. V. A."]
    assert [s.permit_number for s in masked.subjects] == ["2C1****67", "ITA****77"]
    # a date field cannot hold "1985-**-**": the masked report has no date of birth
    assert [s.date_of_birth for s in masked.subjects] == [None, None]
    assert masked.reporter is not None
    assert masked.reporter.phone == "+62812****76"
    assert masked.reporter.email == "f***@example.org"
    assert masked.reporter.name == "R. H. E."
    dumped = masked.model_dump_json()
    for value in [*clear_values(), "Zhang", "6281200009876"]:
        assert value not in dumped, value
    assert report.subjects[0].passport_number == "E12345678"  # the input is untouched


# ------------------------------------------------------------------------- free text


def test_scrub_text_masks_tokens_that_look_like_personal_data() -> None:
    text = (
        "WNA dengan paspor e12345678 dan AB1234567, HP +6281299998888 / 081299997777, "
        "surel li.wei@example.cn, laporan 01JHK3Z8Q4W5E6R7T8Y9U0I1OP kode 63.10.04"
    )
    scrubbed = scrub_text(text)
    for clear in ("e12345678", "AB1234567", "6281299998888", "081299997777", "li.wei@"):
        assert clear not in scrubbed, clear
    assert "E12****78" in scrubbed
    assert "AB1****67" in scrubbed
    assert "l***@example.cn" in scrubbed
    # ids, codes and ordinary words are not personal data
    assert "01JHK3Z8Q4W5E6R7T8Y9U0I1OP" in scrubbed
    assert "63.10.04" in scrubbed
    assert scrubbed.startswith("WNA dengan paspor ")
    assert scrub_text("") == ""
    assert scrub_text(None) == ""


def test_scrub_text_masks_known_names_and_documents() -> None:
    scrubbed = scrub_text(
        "Tamu ZHANG WEI ming memakai izin 2C11AB4455667",
        names=["Zhang Wei Ming"],
        documents=["2C11AB4455667"],
    )
    assert "ZHANG" not in scrubbed
    assert "2C11AB4455667" not in scrubbed
    assert "Z. W. M." in scrubbed
    assert "2C1****67" in scrubbed


def test_scrub_report_text_uses_the_reports_subjects() -> None:
    report = full_report()
    report.text = (
        "Nguyen Van An tinggal bersama Zhang Wei. Zhang bekerja di tambang; izin ITAS998877"
    )
    scrubbed = scrub_report_text(report)
    for clear in ("Nguyen", "Zhang", "ITAS998877"):
        assert clear not in scrubbed, clear
    assert "bekerja di tambang" in scrubbed


# ------------------------------------------------------------------------- log filter


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("timpora.test", logging.INFO, __file__, 1, msg, args, None)


@pytest.mark.parametrize(
    ("message", "args", "expected"),
    [
        ("subject E12345678 seen", (), "subject E12****78 seen"),
        ("subject %s seen", ("E12345678",), "subject E12****78 seen"),
        ("subject %s seen", ("e12345678",), "subject E12****78 seen"),
        ("passports %s and %s", ("AB1234567", "C7654321"), "passports AB1****67 and C76****21"),
        ("numeric %s", ("123456789",), "numeric 123****89"),
        ("numeric with letter %s", ("12345678X",), "numeric with letter 123****8X"),
        ("%(p)s in a mapping", ({"p": "E12345678"},), "E12****78 in a mapping"),
        ("sms from %s", ("+6281299998888",), "sms from +62812****88"),
        ("mail to %s", ("camat.satui@example.org",), "mail to c***@example.org"),
    ],
)
def test_log_filter_scrubs_personal_data(message: str, args: tuple, expected: str) -> None:
    record = _record(message, *args)
    assert PiiLogFilter().filter(record) is True
    assert record.getMessage() == expected
    assert not record.args


def test_log_filter_leaves_other_lines_alone() -> None:
    record = _record("alert %s v%d -> member %s by %s", "01JALERT00000", 2, "m0001", "sms")
    assert PiiLogFilter().filter(record) is True
    assert record.args == ("01JALERT00000", 2, "m0001", "sms")
    assert record.getMessage() == "alert 01JALERT00000 v2 -> member m0001 by sms"


def test_log_filter_scrubs_extras_and_exceptions() -> None:
    try:
        raise ValueError("bad passport E12345678")
    except ValueError:
        record = logging.LogRecord(
            "timpora.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    record.passport = "E12345678"
    record.alert_id = "01JALERT00000"
    PiiLogFilter().filter(record)
    assert record.passport == "E12****78"
    assert record.alert_id == "01JALERT00000"
    formatted = logging.Formatter("%(message)s %(passport)s").format(record)
    assert "E12345678" not in formatted
    assert "bad passport E12****78" in formatted


def test_log_filter_on_a_real_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("timpora.test.pii")
    handler_filter = PiiLogFilter()
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="timpora.test.pii"):
            logger.info("report for %s at %s", "E12345678", "Satui")
    finally:
        logger.removeFilter(handler_filter)
    assert "E12345678" not in caplog.text
    assert "report for E12****78 at Satui" in caplog.text


# ------------------------------------------------------------------------- properties

passport_like = st.from_regex(r"\A[A-Za-z]{0,2}[0-9]{5,12}[A-Za-z]?\Z", fullmatch=True)
spaced = st.builds(
    lambda s, cut: s[:cut] + " " + s[cut:], passport_like, st.integers(min_value=0, max_value=14)
)


@settings(max_examples=300)
@given(st.one_of(passport_like, spaced))
def test_masked_passport_never_holds_the_full_value(value: str) -> None:
    masked = mask_passport(value)
    assert masked is not None
    normalized = "".join(value.split()).upper()
    assert normalized not in masked
    assert value not in masked
    assert "*" in masked


@settings(max_examples=300)
@given(
    st.from_regex(r"\A([A-Z]{1,2}[0-9]{6,9}|[0-9]{8,9}[A-Z]?)\Z", fullmatch=True),
    st.sampled_from(["checked %s.", "%s", "subject (%s) at Satui", "paspor:%s;"]),
)
def test_log_filter_never_lets_a_passport_through(passport: str, template: str) -> None:
    record = _record(template, passport)
    PiiLogFilter().filter(record)
    line = record.getMessage()
    assert passport not in line
    assert "****" in line
    assert line.startswith(template.split("%s")[0])


@settings(max_examples=200)
@given(st.text())
def test_log_filter_never_raises(text: str) -> None:
    record = _record("free text: %s", text)
    assert PiiLogFilter().filter(record) is True
    assert PASSPORT_TOKEN.search(record.getMessage()) is None


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"\A[A-Z][0-9]{7,8}\Z", fullmatch=True),
            st.from_regex(r"\A[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8}){1,2}\Z", fullmatch=True),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    )
)
def test_mask_json_never_lets_a_subject_passport_through(people: list[tuple[str, str]]) -> None:
    report = Report(
        source="apoa-tanbu",
        subjects=[Subject(full_name=name, passport_number=pp) for pp, name in people],
    )
    text = json.dumps(mask_json(report.model_dump(mode="json")))
    for passport, name in people:
        assert passport not in text
        assert name not in text


_PIECES = [*"aAiIİıßSsKkÅåΩω ", "Zhang", "Wei", "İlker", "STRASSE", "straße"]
_TRICKY = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(_TRICKY, max_size=4),
    text=_TRICKY.map(lambda t: t * 2),
)
def test_only_names_present_are_compiled_and_the_result_is_unchanged(
    names: list[str], text: str
) -> None:
    """The presence pre-check never skips a name the full alternation would mask."""
    import re

    from shared import pii

    words = sorted({n.strip() for n in names if len(n.strip()) >= 3}, key=len, reverse=True)
    expected = text
    if words:
        expected = pii._compile_known(tuple(words)).sub(
            lambda m: pii.mask_name(m.group(0)) or pii.STARS, text
        )
    got = text
    if pattern := pii._known_pattern(names, text):
        got = pattern.sub(lambda m: pii.mask_name(m.group(0)) or pii.STARS, text)
    assert got == expected, re.escape(text)
