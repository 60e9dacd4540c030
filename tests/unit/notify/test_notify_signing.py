"""Signed ack tokens (HMAC, expiry, tamper) and short ack codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notify_service.signing import (
    ACK_ALPHABET,
    ack_code_for,
    ack_url,
    is_ack_code,
    make_token,
    verify_token,
)
from shared.schemas import ack_code_for as schema_ack_code_for
from shared.schemas import new_id

SECRET = "test-secret-not-for-production"
NOW = 1_768_183_200.0  # 2026-01-12 02:00 UTC
WEEK = timedelta(days=7)
ALERT = "01JH8Z3K6Y2QW4E5R6T7Y8U9HA"  # not a valid ULID (U): carried as text


def test_round_trip() -> None:
    token = make_token(SECRET, ALERT, "camat", WEEK, now=NOW)
    assert verify_token(SECRET, token, now=NOW) == (ALERT, "camat")
    assert verify_token(SECRET, token, now=NOW + WEEK.total_seconds()) == (ALERT, "camat")


def test_token_is_url_safe_and_short_enough_for_an_sms() -> None:
    ulid = new_id()
    token = make_token(SECRET, ulid, "camat", WEEK, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{24}", token)
    assert len(token) <= 64  # a ULID alert id is packed into its 16 bytes
    assert verify_token(SECRET, token, now=NOW) == (ulid, "camat")
    assert ack_url("https://timpora.example.go.id/", token) == (
        f"https://timpora.example.go.id/a/{token}"
    )


def test_expired_token_is_refused() -> None:
    token = make_token(SECRET, ALERT, "camat", timedelta(hours=1), now=NOW)
    assert verify_token(SECRET, token, now=NOW + 3600) is not None
    assert verify_token(SECRET, token, now=NOW + 3601) is None


def test_wrong_secret_is_refused() -> None:
    token = make_token(SECRET, ALERT, "camat", WEEK, now=NOW)
    assert verify_token("another-secret", token, now=NOW) is None
    assert verify_token("", token, now=NOW) is None


def _flip(text: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return text[:index] + alphabet[(alphabet.index(text[index]) + 32) % 64] + text[index + 1 :]


def test_every_character_is_covered_by_the_mac() -> None:
    token = make_token(SECRET, ALERT, "camat", WEEK, now=NOW)
    for index in range(len(token)):
        if token[index] != ".":
            assert verify_token(SECRET, _flip(token, index), now=NOW) is None, index


def test_payload_and_mac_of_different_tokens_do_not_mix() -> None:
    mine = make_token(SECRET, ALERT, "camat", WEEK, now=NOW).split(".")
    other = make_token(SECRET, ALERT, "kapolsek", WEEK * 2, now=NOW).split(".")
    assert verify_token(SECRET, f"{other[0]}.{mine[1]}", now=NOW) is None
    assert verify_token(SECRET, f"{mine[0]}.{other[1]}", now=NOW) is None
    assert verify_token(SECRET, f"{mine[0]}.{mine[1]}.extra", now=NOW) is None
    assert verify_token(SECRET, mine[0], now=NOW) is None


def test_a_non_canonical_spelling_is_refused() -> None:
    token = make_token(SECRET, "a", "b", WEEK, now=NOW)
    payload, mac = token.split(".")
    # the last character of an unpadded payload carries padding bits: setting one
    # decodes to the same bytes, but only the canonical spelling is valid
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = payload[:-1] + alphabet[alphabet.index(payload[-1]) + 1]
    assert verify_token(SECRET, f"{twin}.{mac}", now=NOW) is None
    assert verify_token(SECRET, token, now=NOW) == ("a", "b")


@pytest.mark.parametrize(
    "bad", ["", ".", "..", "a.b", "x" * 2000, "====.====", "é.ü", "🛂.🛂", "AQ.\x00", "A.A"]
)
def test_malformed_tokens_are_refused(bad: str) -> None:
    assert verify_token(SECRET, bad, now=NOW) is None


@given(
    alert_id=st.text(min_size=1, max_size=40) | st.just("01JH8Z3K6Y2QW4E5R6T7Y8U9HA"),
    member_id=st.text(min_size=0, max_size=40),
)
def test_any_ids_round_trip(alert_id: str, member_id: str) -> None:
    try:
        alert_id.encode()
        member_id.encode()
    except UnicodeEncodeError:
        return  # lone surrogates are not valid ids anywhere
    token = make_token(SECRET, alert_id, member_id, WEEK, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{24}", token)
    assert verify_token(SECRET, token, now=NOW) == (alert_id, member_id)


def test_ids_with_dots_cannot_be_confused() -> None:
    a = make_token(SECRET, "a.b", "c", WEEK, now=NOW)
    b = make_token(SECRET, "a", "b.c", WEEK, now=NOW)
    assert a != b
    assert verify_token(SECRET, a, now=NOW) == ("a.b", "c")
    assert verify_token(SECRET, b, now=NOW) == ("a", "b.c")


def test_make_token_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="secret"):
        make_token("", ALERT, "camat", WEEK)
    with pytest.raises(ValueError, match="ttl"):
        make_token(SECRET, ALERT, "camat", timedelta(0))


def test_default_clock_is_now() -> None:
    token = make_token(SECRET, ALERT, "camat", timedelta(minutes=5))
    assert verify_token(SECRET, token) == (ALERT, "camat")


# --------------------------------------------------------------------------- ack codes


def test_ack_alphabet_has_no_ambiguous_characters() -> None:
    assert not set("0O1I") & set(ACK_ALPHABET)
    assert len(set(ACK_ALPHABET)) == len(ACK_ALPHABET) == 32


@given(st.text(min_size=1, max_size=40), st.integers(min_value=4, max_value=6))
def test_ack_codes_are_short_deterministic_and_unambiguous(alert_id: str, length: int) -> None:
    try:
        alert_id.encode()
    except UnicodeEncodeError:
        return
    code = ack_code_for(alert_id, length)
    assert len(code) == length
    assert set(code) <= set(ACK_ALPHABET)
    assert code == ack_code_for(alert_id, length)
    assert is_ack_code(code)
    assert is_ack_code(code.lower())


def test_ack_code_matches_the_one_routing_stamps() -> None:
    for _ in range(20):
        alert_id = new_id()
        assert ack_code_for(alert_id) == schema_ack_code_for(alert_id)
        assert len(ack_code_for(alert_id)) == 5


def test_ack_codes_spread() -> None:
    codes = {ack_code_for(new_id(), 4) for _ in range(2000)}
    assert len(codes) > 1900  # 32^4 = 1M codes: few collisions among 2000 alerts


@pytest.mark.parametrize("length", [3, 7])
def test_ack_code_length_is_bounded(length: int) -> None:
    with pytest.raises(ValueError, match="4-6"):
        ack_code_for(ALERT, length)


@pytest.mark.parametrize("text", ["7KQ2", "7kq2m", " 7KQ2M ", "ABCDEF"])
def test_is_ack_code_accepts(text: str) -> None:
    assert is_ack_code(text)


@pytest.mark.parametrize("text", ["7KQ", "7KQ2MXY", "0KQ2", "IKQ2", "7K-2", ""])
def test_is_ack_code_refuses(text: str) -> None:
    assert not is_ack_code(text)
