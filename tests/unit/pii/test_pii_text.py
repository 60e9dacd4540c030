"""Scrubbing of free text (pure): tokens that look like personal data, known names and documents."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.pii import scrub_report_text, scrub_text
from tests.unit.pii.factories import full_report


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


# ------------------------------------------------------------------------- properties

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


# ------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("clear", "masked"),
    [
        ("C01X00T47", "C01****47"),
        ("c01x00t47", "C01****47"),
        ("E 1234 5678", "E12****78"),
        ("6310-0412-3456-0001", "631****01"),
        ("0812-3456-7890", "081234****90"),
        ("+62 812 3456 7890", "+62812****90"),
        ("0812 3456 7890", "081234****90"),
        ("(0518) 21234", "051821****34"),
        ("021-5551234", "021555****34"),
        ("62812345678", "628123****78"),
        ("+86 138 0013 8000", "+86138****00"),
    ],
)
def test_scrub_text_masks_every_common_shape(clear: str, masked: str) -> None:
    scrubbed = scrub_text(f"ada {clear} di Satui")
    assert clear not in scrubbed
    assert scrubbed == f"ada {masked} di Satui"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WNA bernama Li Wei di Satui", "WNA bernama L. W. di Satui"),
        ("BERNAMA LI WEI KERJA DI TAMBANG", "BERNAMA L. W. KERJA DI TAMBANG"),
        ("tamu a.n. Zhang Wei Ming", "tamu a.n. Z. W. M."),
        ("rumah Bpk. Ahmad bin Yusuf", "rumah Bpk. A. B. Y."),
        ("Ibu Kota Nusantara dan Pak Camat", "Ibu Kota Nusantara dan Pak Camat"),
        ("Pakistan, Satui, Angsana, Kotabaru", "Pakistan, Satui, Angsana, Kotabaru"),
    ],
)
def test_names_after_a_cue(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_short_name_words_match_as_written_only() -> None:
    report = full_report()
    report.subjects[1].full_name = "Ada Li"
    report.text = "ada dua tamu; Ada Li dan LI datang"
    assert scrub_report_text(report) == "ada dua tamu; A. L. dan L. datang"
