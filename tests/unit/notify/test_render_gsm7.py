"""The GSM-7 alphabet and SMS segment counting, as the renderer uses them (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_service.render import is_gsm7, sms_segments
from notify_service.render.gsm7 import GSM7_BASIC, GSM7_EXTENDED


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
