"""Signed ack links and ack codes (pure)."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify_service.signing import key_id, make_token, verify_token
from shared.schemas import ACK_ALPHABET, ack_code_for, new_id
from tests.prod_env import production_env

SECRET = "test-secret-for-ack-links"
ALERT = "01JHK3Z8Q4W5E6R7T8Y9U0I1OP"
NOW = 1_767_000_000.0  # a fixed "time.time()"
TTL = timedelta(days=7)
URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _flip(token: str, index: int) -> str:
    """Replace the character at ``index`` by another URL-safe one."""
    old = token[index]
    new = URL_SAFE[(URL_SAFE.index(old) + 32) % 64] if old in URL_SAFE else "A"
    return token[:index] + new + token[index + 1 :]


def test_round_trip() -> None:
    token = make_token(SECRET, ALERT, "m0001", TTL, now=NOW)
    assert verify_token(SECRET, token, now=NOW) == (ALERT, "m0001")
    assert verify_token(SECRET, token, now=NOW + TTL.total_seconds() - 1) == (ALERT, "m0001")


def test_token_is_url_safe_and_short_enough_for_an_sms() -> None:
    token = make_token(SECRET, new_id(), "m0001", TTL, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_.~-]+", token)
    assert len(token) <= 80


def test_ids_that_are_not_url_safe_round_trip() -> None:
    for member in ("budi.rekaan", "camat satui", "m/1?x=2&y", "Siti Contoh é", "~tilde", "a" * 64):
        token = make_token(SECRET, ALERT, member, TTL, now=NOW)
        assert re.fullmatch(r"[A-Za-z0-9_.~-]+", token), member
        assert verify_token(SECRET, token, now=NOW) == (ALERT, member)
    # dots in ids cannot shift a field boundary: each pair verifies to itself only
    one = make_token(SECRET, "a.b", "c", TTL, now=NOW)
    two = make_token(SECRET, "a", "b.c", TTL, now=NOW)
    assert one != two
    assert verify_token(SECRET, one, now=NOW) == ("a.b", "c")
    assert verify_token(SECRET, two, now=NOW) == ("a", "b.c")


def test_default_now_is_the_current_time() -> None:
    token = make_token(SECRET, ALERT, "m0001", timedelta(minutes=5))
    assert verify_token(SECRET, token) == (ALERT, "m0001")
    stale = make_token(SECRET, ALERT, "m0001", timedelta(minutes=1), now=time.time() - 3600)
    assert verify_token(SECRET, stale) is None


def test_expiry() -> None:
    token = make_token(SECRET, ALERT, "m0001", timedelta(hours=1), now=NOW)
    assert verify_token(SECRET, token, now=NOW + 3600) == (ALERT, "m0001")  # last valid second
    assert verify_token(SECRET, token, now=NOW + 3601) is None
    assert verify_token(SECRET, token, now=NOW + 30 * 24 * 3600) is None


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-5)])
def test_a_token_that_is_born_expired_is_refused(ttl: timedelta) -> None:
    with pytest.raises(ValueError, match="ttl"):
        make_token(SECRET, ALERT, "m0001", ttl, now=NOW)


def test_wrong_secret() -> None:
    token = make_token(SECRET, ALERT, "m0001", TTL, now=NOW)
    assert verify_token("another-secret", token, now=NOW) is None
    assert verify_token(SECRET + " ", token, now=NOW) is None
    assert verify_token("", token, now=NOW) is None
    with pytest.raises(ValueError, match="secret"):
        make_token("", ALERT, "m0001", TTL, now=NOW)


def test_any_changed_character_is_refused() -> None:
    token = make_token(SECRET, ALERT, "m0001", TTL, now=NOW)
    for index, char in enumerate(token):
        if char == ".":
            continue
        assert verify_token(SECRET, _flip(token, index), now=NOW) is None, index


def test_parts_cannot_be_swapped_between_tokens() -> None:
    mine = make_token(SECRET, ALERT, "m0001", TTL, now=NOW).split(".")
    other = make_token(SECRET, ALERT, "m0002", timedelta(days=365), now=NOW).split(".")
    assert len(mine) == len(other)
    for i in range(len(mine)):
        if mine[i] == other[i]:
            continue
        forged = [*mine[:i], other[i], *mine[i + 1 :]]
        assert verify_token(SECRET, ".".join(forged), now=NOW) is None, i
    # someone else's link does not name me
    assert verify_token(SECRET, ".".join(other), now=NOW) == (ALERT, "m0002")


def test_tokens_differ_per_member_alert_and_expiry() -> None:
    tokens = {
        make_token(SECRET, ALERT, "m0001", TTL, now=NOW),
        make_token(SECRET, ALERT, "m0002", TTL, now=NOW),
        make_token(SECRET, "01JHK3Z8Q4W5E6R7T8Y9U0I1OQ", "m0001", TTL, now=NOW),
        make_token(SECRET, ALERT, "m0001", TTL, now=NOW + 1),
        make_token(SECRET + "2", ALERT, "m0001", TTL, now=NOW),
    }
    assert len(tokens) == 5


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "...",
        "abc",
        "abc.def",
        "a.b.c",
        "a.b.c.d",
        "a.b.c.d.e",
        "====.====.====.====",
        "~.~.~.~",
        "~!!.m.1.x",
        "%%%%.$$$$.1.1",
        "é.ü.1.1",
        "\x00.\x00.\x00.\x00",
        "🛂.🛂.🛂.🛂",
        f"{ALERT}.m0001.zzzzzzzzzzzzz.AAAAAAAAAAAAAAAAAAAAAA",
        f"{ALERT}.m0001.-1.AAAAAAAAAAAAAAAAAAAAAA",
        "x" * 10_000 + "." + "y" * 10_000,
    ],
)
def test_garbage_is_refused(garbage: str) -> None:
    assert verify_token(SECRET, garbage, now=NOW) is None


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_garbage_never_raises(text: str) -> None:
    assert verify_token(SECRET, text, now=NOW) is None


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=URL_SAFE + "~=", max_size=30), min_size=1, max_size=6))
def test_dotted_garbage_never_raises(parts: list[str]) -> None:
    assert verify_token(SECRET, ".".join(parts), now=NOW) is None


@settings(max_examples=300)
@given(st.text(max_size=300), st.integers(min_value=0, max_value=10_000))
def test_mutated_tokens_never_raise(noise: str, where: int) -> None:
    token = make_token(SECRET, ALERT, "m0001", TTL, now=NOW)
    cut = where % (len(token) + 1)
    mutated = token[:cut] + noise + token[cut:]
    # never an error, and never a different alert or member than was signed
    assert verify_token(SECRET, mutated, now=NOW) in (None, (ALERT, "m0001"))


@settings(max_examples=200)
@given(
    st.from_regex(r"\A[0-9A-HJKMNP-TV-Z]{26}\Z", fullmatch=True),
    st.text(min_size=1, max_size=40),
    st.integers(min_value=60, max_value=90 * 24 * 3600),
)
def test_round_trip_property(alert_id: str, member_id: str, ttl_s: int) -> None:
    token = make_token(SECRET, alert_id, member_id, timedelta(seconds=ttl_s), now=NOW)
    assert verify_token(SECRET, token, now=NOW + ttl_s) == (alert_id, member_id)
    assert verify_token(SECRET, token, now=NOW + ttl_s + 1) is None
    assert verify_token(SECRET + "x", token, now=NOW) is None


# ------------------------------------------------------------------------- ack codes


def test_ack_alphabet_is_unambiguous() -> None:
    assert len(ACK_ALPHABET) == len(set(ACK_ALPHABET)) == 32
    assert not set(ACK_ALPHABET) & set("0O1I")
    assert ACK_ALPHABET.isupper()


def test_ack_code_is_deterministic() -> None:
    assert ack_code_for(ALERT) == ack_code_for(ALERT)
    assert len(ack_code_for(ALERT)) == 5
    assert len(ack_code_for(ALERT, length=6)) == 6
    assert ack_code_for(ALERT, length=6).startswith(ack_code_for(ALERT))
    assert ack_code_for(ALERT) != ack_code_for(ALERT[:-1] + "Q")


def test_ack_codes_spread_over_alerts() -> None:
    codes = {ack_code_for(f"01JHK3Z8Q4W5E6R7T8Y9{i:06d}") for i in range(2000)}
    assert len(codes) >= 1990


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=64))
def test_ack_code_shape(alert_id: str) -> None:
    code = ack_code_for(alert_id)
    assert code == ack_code_for(alert_id)
    assert len(code) == 5
    assert set(code) <= set(ACK_ALPHABET)
    assert not set(code) & set("0O1I")


def test_links_signed_before_a_rotation_keep_working_until_they_expire() -> None:
    """#17 item 11: a key id in every token, so the secret can be rotated without killing
    the links already sent (the previous secret verifies, never signs)."""
    old, new = "old-secret-" + "o" * 30, "new-secret-" + "n" * 30
    sent_before = make_token(old, ALERT, "m1", timedelta(hours=12), now=NOW)
    sent_after = make_token(new, ALERT, "m1", timedelta(hours=12), now=NOW)
    assert key_id(old) != key_id(new)
    assert verify_token([new, old], sent_before, now=NOW + 60) == (ALERT, "m1")
    assert verify_token([new, old], sent_after, now=NOW + 60) == (ALERT, "m1")
    assert verify_token([new], sent_before, now=NOW + 60) is None  # old key retired
    assert verify_token([new, old], sent_before, now=NOW + 13 * 3600) is None  # expired
    # the key id picks the secret; a forged id does not make another secret verify
    payload, mac = sent_before.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[1] = key_id(new)
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=") + "." + mac
    assert verify_token([new, old], forged, now=NOW + 60) is None


def test_tokens_from_before_key_ids_still_verify() -> None:
    """A token without the key-id flag (sent before the upgrade) is checked against
    every secret held."""
    import hashlib
    import hmac as hmac_

    legacy = bytes([1]) + bytes(16) + bytes([2]) + b"m1" + (int(NOW) + 3600).to_bytes(5, "big")
    digest = hmac_.new(b"s" * 40, b"timpora-ack-link-v1|" + legacy, hashlib.sha256).digest()
    b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
    token = f"{b64(legacy)}.{b64(digest[:18])}"
    assert verify_token(["x" * 40, "s" * 40], token, now=NOW) == ("0" * 26, "m1")


def test_settings_hold_the_previous_secrets_for_verification_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.settings import DEV_SECRET, Settings

    monkeypatch.setenv("TIMPORA_SECRET_KEY", "n" * 40)
    monkeypatch.setenv(
        "TIMPORA_PREVIOUS_SECRET_KEYS", " o1o1o1o1o1o1o1o1o1o1 , o2o2o2o2o2o2o2o2o2 "
    )
    assert Settings().verification_secrets == [
        "n" * 40,
        "o1o1o1o1o1o1o1o1o1o1",
        "o2o2o2o2o2o2o2o2o2",
    ]
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_PREVIOUS_SECRET_KEYS", DEV_SECRET)
    with pytest.raises(ValueError, match="development secret"):
        Settings()
