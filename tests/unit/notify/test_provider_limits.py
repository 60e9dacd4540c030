"""Provider send limits: the pure decision (start times, 429 blocks, which buckets), on
plain numbers, and the limiter wired to the per-process store (SQLite's fallback)."""

from __future__ import annotations

import asyncio
import random
import time
from bisect import bisect_left
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from notify_service.limiter import LocalBuckets, ProviderLimiter, rules_from
from notify_service.limits import (
    DEFAULT_BLOCK_S,
    MAX_BLOCK_S,
    Ask,
    ChannelRules,
    Rule,
    blocked,
    buckets_of,
    chat_key,
    is_group_chat,
    reserve,
)
from notify_service.plan import Outcome, next_step
from shared.schemas import DeliveryStatus
from shared.settings import NotifySettings

NOW = 1_000.0
FAR = 10**9  # a deadline nobody reaches


def ask(*buckets: tuple[str, float], deadline: float = FAR) -> Ask:
    return Ask(tuple(buckets), deadline)


def max_in_window(starts: list[float], window: float) -> int:
    """The most starts in any half-open window ``[t, t + window)``."""
    starts = sorted(starts)
    return max(bisect_left(starts, t + window) - i for i, t in enumerate(starts))


def test_rule_spacing_leaves_the_margin() -> None:
    assert Rule(30).spacing(0.05) == pytest.approx(1.05 / 30)
    assert Rule(20, 60).spacing(0.05) == pytest.approx(60.05 / 20)


def test_a_free_bucket_goes_now_and_the_next_send_is_spaced() -> None:
    spacing = 0.1
    result = reserve({}, [ask(("a", spacing))] * 3, NOW, horizon=0.25)
    assert [(v.kind, v.at) for v in result.verdicts] == [
        ("go", NOW),
        ("go", pytest.approx(NOW + 0.1)),
        ("go", pytest.approx(NOW + 0.2)),
    ]
    assert result.next_free == {"a": pytest.approx(NOW + 0.3)}


def test_beyond_the_horizon_asks_again_and_beyond_the_deadline_leaves() -> None:
    state = {"a": NOW + 2.0}  # busy for two more seconds
    result = reserve(state, [ask(("a", 1.0)), ask(("a", 1.0), deadline=NOW + 1.0)], NOW, 0.25)
    wait, later = result.verdicts
    assert (wait.kind, wait.at) == ("wait", NOW + 2.0 - 0.125)  # asks again just in time
    assert (later.kind, later.at) == ("later", NOW + 2.0)  # rescheduled for its turn
    assert result.next_free == {}  # nothing was taken


def test_a_past_next_free_does_not_allow_a_burst() -> None:
    result = reserve({"a": NOW - 60}, [ask(("a", 0.5))] * 2, NOW, 0.25)
    assert [v.kind for v in result.verdicts] == ["go", "wait"]


def test_a_send_to_a_free_chat_is_not_queued_behind_a_busy_chat() -> None:
    account, busy, free = ("bot", 0.01), ("chat:busy", 1.0), ("chat:free", 1.0)
    state = {"chat:busy": NOW + 0.2}
    result = reserve(state, [ask(account, busy), ask(account, free)], NOW, 0.25)
    first, second = result.verdicts
    assert (second.kind, second.at) == ("go", NOW)  # the free chat first
    assert (first.kind, first.at) == ("go", NOW + 0.2)
    assert result.next_free["bot"] == pytest.approx(NOW + 0.21)
    assert result.next_free["chat:busy"] == pytest.approx(NOW + 1.2)


@pytest.mark.parametrize("rule", [Rule(30), Rule(1), Rule(20, 60), Rule(7, 2)])
def test_any_window_holds_the_limit_for_instances_asking_at_random(rule: Rule) -> None:
    """Three instances share one bucket, each asking at random times with random batches
    and starting a random 0-margin late: no window of the rule holds more than its count."""
    margin, horizon = 0.05, 0.25
    spacing = rule.spacing(margin)
    rng = random.Random(7)
    state: dict[str, float] = {}
    starts: list[float] = []
    now, end = 0.0, rule.per_seconds * 6
    pending = [0, 0, 0]
    while now < end:
        now += rng.uniform(0, spacing)
        who = rng.randrange(3)
        pending[who] += rng.randint(1, 5)
        result = reserve(state, [ask(("k", spacing))] * pending[who], now, horizon)
        state.update(result.next_free)
        go = [v.at for v in result.verdicts if v.kind == "go"]
        pending[who] -= len(go)
        starts += [t + rng.uniform(0, margin) for t in go]
    assert len(starts) >= rule.count * 4  # the limit was really reached (6 windows)
    assert max_in_window(starts, rule.per_seconds) <= rule.count


def test_a_429_blocks_every_bucket_of_the_send_until_its_time() -> None:
    state = {"bot": NOW + 0.5, "chat": NOW + 30.0}
    assert blocked(state, ["bot", "chat", "new"], NOW, 3.0) == {
        "bot": NOW + 3.0,
        "chat": NOW + 30.0,  # never earlier than it was
        "new": NOW + 3.0,
    }
    assert blocked({}, ["bot"], NOW, None) == {"bot": NOW + DEFAULT_BLOCK_S}
    assert blocked({}, ["bot"], NOW, 10**7) == {"bot": NOW + MAX_BLOCK_S}
    result = reserve(blocked(state, ["bot"], NOW, 3.0), [ask(("bot", 0.01))], NOW, 0.25)
    assert result.verdicts[0].kind == "wait"  # every instance waits for the block


RULES = {
    "telegram": ChannelRules("abc", Rule(30), private_chat=Rule(1), group_chat=Rule(20, 60)),
    "sms": ChannelRules("kannel-smsc1", Rule(50)),
}


def test_telegram_sends_draw_on_the_bot_and_the_chat() -> None:
    private = buckets_of("telegram", "700000102", RULES, 0.05, "secret")
    group = buckets_of("telegram", "-1001234567890", RULES, 0.05, "secret")
    assert next(k for k, _ in private) == next(k for k, _ in group) == "telegram:abc"
    assert private[1][1] == pytest.approx(1.05)  # 1 per second in a private chat
    assert group[1][1] == pytest.approx(60.05 / 20)  # 20 per minute in a group
    assert "700000102" not in private[1][0]  # a keyed digest, not the chat id
    assert private[1][0].endswith(chat_key("secret", "700000102"))
    assert chat_key("other", "700000102") != chat_key("secret", "700000102")
    assert buckets_of("sms", "+6281200000101", RULES, 0.05, "s") == (
        ("sms:kannel-smsc1", pytest.approx(1.05 / 50)),
    )
    assert buckets_of("email", "a@example.org", RULES, 0.05, "s") == ()
    assert is_group_chat("@kanal")
    assert is_group_chat(" -42")
    assert not is_group_chat("42")


def test_rules_from_settings_name_accounts_without_secrets() -> None:
    settings = NotifySettings(
        telegram_bot_token=SecretStr("123456:SECRET-TOKEN"),
        whatsapp_phone_number_id="109876",
        kannel_url="http://kannel:13013/cgi-bin/sendsms",
        telegram_chat_rate_per_second=2,
    )
    rules = rules_from(settings, ["telegram", "whatsapp", "sms", "email"])
    assert "SECRET" not in rules["telegram"].account_id
    assert rules["telegram"].account == Rule(30)
    assert rules["telegram"].private_chat == Rule(2)
    assert rules["telegram"].group_chat == Rule(20, 60)
    assert rules["whatsapp"] == ChannelRules("109876", Rule(80))
    assert rules["sms"].account_id == "kannel-kannel:13013"
    assert set(rules) == {"telegram", "whatsapp", "sms", "email"}


def test_a_throttled_attempt_is_retried_whatever_the_attempts() -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    throttled = Outcome(DeliveryStatus.failed, retry_after=3.0, throttled=True)
    status, at = next_step(throttled, attempts=4, max_attempts=4, base_s=2.0, now=now)
    assert status == "retrying"
    assert at is not None
    assert now + timedelta(seconds=3) <= at <= now + timedelta(seconds=3.3)
    failed = Outcome(DeliveryStatus.failed, retry_after=3.0)
    assert next_step(failed, attempts=4, max_attempts=4, base_s=2.0, now=now)[0] == "gave_up"


async def test_the_limiter_paces_concurrent_sends_and_honours_a_block() -> None:
    """The limiter on the per-process store: 12 sends at 20/s in one process are given
    starts 1/20 s apart and none starts early (batched: fewer store round trips than
    sends); after a 429 nothing starts before its Retry-After; a turn beyond max_wait is
    handed back as seconds, nothing taken."""
    rules = {"sms": ChannelRules("gw", Rule(20))}
    store = LocalBuckets()
    limiter = ProviderLimiter(store, rules, secret="s", margin=0.0, max_wait=1.0)
    began, first = time.monotonic(), store.clock()
    assert (
        await asyncio.gather(*(limiter.acquire("sms", "+62811") for _ in range(12))) == [None] * 12
    )
    assert time.monotonic() - began >= 11 * 0.05 - 0.005  # the twelfth waited its turn
    assert 12 * 0.05 <= store.next_free["sms:gw"] - first < 12 * 0.05 + 0.5  # 1/20 s apart
    assert limiter.round_trips < 12
    await limiter.throttled("sms", "+62811", 0.5)
    blocked_at = time.monotonic()
    assert await limiter.acquire("sms", "+62811") is None
    assert time.monotonic() - blocked_at >= 0.5 - 0.01
    await limiter.throttled("sms", "+62811", 5.0)
    wait = await limiter.acquire("sms", "+62811")
    assert wait is not None
    assert 4.5 < wait <= 5.0
