"""The logging filter ``PiiLogFilter``: messages, arguments, extras and exceptions scrubbed."""

from __future__ import annotations

import logging
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.pii import PASSPORT_TOKEN, PiiLogFilter


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


def test_log_filter_masks_the_names_a_record_marks() -> None:
    record = _record("guest %s from %s", "Zhang Wei", "Satui")
    record.pii = {"full_name": "Zhang Wei Ming", "phone": "+6281299998888"}
    record.detail = "ZHANG called from +6281299998888"
    PiiLogFilter().filter(record)
    assert record.getMessage() == "guest Z. W. from Satui"
    assert record.pii == {"full_name": "Z. W. M.", "phone": "+62812****88"}
    assert record.detail == "Z. called from +62812****88"
