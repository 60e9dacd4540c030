"""Masking of single values (pure): passport numbers, names, phones, e-mail addresses, dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.pii import mask_date, mask_email, mask_name, mask_passport, mask_phone


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
