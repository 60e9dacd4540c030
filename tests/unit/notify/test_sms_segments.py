"""GSM 03.38 detection and SMS segment counting, with known cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify_service.render.gsm7 import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    gsm7_friendly,
    is_gsm7,
    sms_length,
    sms_segments,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (1, "GSM-7")),
        ("a" * 160, (1, "GSM-7")),
        ("a" * 161, (2, "GSM-7")),
        ("a" * 306, (2, "GSM-7")),  # 2 x 153
        ("a" * 307, (3, "GSM-7")),
        ("a" * 459, (3, "GSM-7")),
        ("a" * 460, (4, "GSM-7")),
        ("€" * 80, (1, "GSM-7")),  # extension characters take two septets: 160
        ("€" * 81, (2, "GSM-7")),  # 162 septets
        ("a" * 159 + "[", (2, "GSM-7")),  # 161 septets
        ("ж" * 70, (1, "UCS-2")),
        ("ж" * 71, (2, "UCS-2")),
        ("ж" * 134, (2, "UCS-2")),  # 2 x 67
        ("ж" * 135, (3, "UCS-2")),
        ("a" * 69 + "é", (1, "GSM-7")),  # é is in the GSM alphabet
        ("a" * 69 + "ê", (1, "UCS-2")),  # ê is not: the whole message is UCS-2
        ("a" * 70 + "ê", (2, "UCS-2")),
        ("😀" * 35, (1, "UCS-2")),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, (2, "UCS-2")),
    ],
)
def test_known_segment_counts(text: str, expected: tuple[int, str]) -> None:
    assert sms_segments(text) == expected


def test_an_escape_pair_never_straddles_two_parts() -> None:
    # 306 septets would be two parts of 153, but the euro sign (ESC + e) cannot be split
    # between parts 1 and 2: it moves to part 2, and part 3 takes the last 'a'.
    text = "a" * 152 + "€" + "a" * 152
    assert sms_length(text) == 306
    assert sms_segments(text) == (3, "GSM-7")
    assert sms_segments("a" * 151 + "€" + "a" * 153) == (2, "GSM-7")


def test_a_surrogate_pair_never_straddles_two_parts() -> None:
    text = "ж" * 66 + "😀" + "ж" * 66  # 134 units: 2 x 67 only if the emoji were split
    assert sms_length(text) == 134
    assert sms_segments(text) == (3, "UCS-2")


def test_gsm7_alphabet() -> None:
    assert len(GSM7_BASIC) == 127  # 128 minus the escape code
    assert frozenset("^{}\\[~]|€\f") == GSM7_EXTENDED
    assert is_gsm7("Balas OK 7KQ2M utk konfirmasi. https://x.id/a/t_k-n?a=1&b=2")
    assert is_gsm7("Café @ £5 ¿Qué? Ñoño Ø")
    assert not is_gsm7("Nguyễn")
    assert not is_gsm7("ú")  # GSM has ù, not ú
    assert not is_gsm7("张伟明")
    assert not is_gsm7("it’s")  # a typographic apostrophe


@pytest.mark.parametrize(
    ("text", "friendly"),
    [
        ("it’s “fine” — ok…", 'it\'s "fine" - ok...'),
        ("Nguyễn Văn", "Nguyen Van"),
        ("tab\there", "tab here"),
        ("张伟明", "张伟明"),  # nothing GSM-7 looks like it: kept (the SMS goes UCS-2)
        ("€ [1]", "€ [1]"),
    ],
)
def test_gsm7_friendly(text: str, friendly: str) -> None:
    assert gsm7_friendly(text) == friendly


@given(st.text(max_size=600))
def test_segments_are_consistent_with_the_length(text: str) -> None:
    segments, encoding = sms_segments(text)
    length = sms_length(text)
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    assert encoding == ("GSM-7" if is_gsm7(text) else "UCS-2")
    if length <= single:
        assert segments == 1
    else:
        # never fewer than the naive count, at most one more per pair that moved
        assert -(-length // part) <= segments <= -(-length // (part - 1))


@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENDED), max_size=600))
def test_gsm7_text_is_counted_in_septets(text: str) -> None:
    assert sms_segments(text)[1] == "GSM-7"
    assert sms_length(text) == len(text) + sum(c in GSM7_EXTENDED for c in text)


@given(st.text(max_size=300))
def test_friendly_text_keeps_gsm7_when_it_can(text: str) -> None:
    friendly = gsm7_friendly(text)
    if is_gsm7(text):
        assert friendly == text
    assert sms_length(gsm7_friendly(friendly)) == sms_length(friendly)


def _reference_segments(text: str) -> int:
    """Character-by-character packing, the obvious (slow) way."""
    gsm = is_gsm7(text)
    units = [2 if (c in GSM7_EXTENDED if gsm else ord(c) > 0xFFFF) else 1 for c in text]
    single, part = (160, 153) if gsm else (70, 67)
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for u in units:
        if used + u > part:
            segments, used = segments + 1, 0
        used += u
    return segments


@given(
    st.text(alphabet=st.sampled_from(["a", "€", "[", " ", "é"]), max_size=1200)
    | st.text(alphabet=st.sampled_from(["ж", "😀", "a", "中"]), max_size=600)
    | st.text(max_size=800)
)
def test_segment_packing_matches_a_character_by_character_reference(text: str) -> None:
    assert sms_segments(text)[0] == _reference_segments(text)
