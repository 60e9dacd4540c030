"""The routing policy file: durations, validation and error messages a person can act on."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from routing_service.policy import Policy, PolicyError, load_policy, parse_duration, parse_policy
from shared.schemas import Category

POLICY_FILE = Path(__file__).resolve().parents[3] / "routing_service" / "config" / "policy.yaml"


def policy(rules: str, head: str = "") -> Policy:
    return parse_policy(f"version: 1\n{head}rules:\n{rules}")


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(minutes=90)),
        (" 15 m ", timedelta(minutes=15)),
        (60, timedelta(minutes=1)),
    ],
)
def test_parse_duration(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "30", "m", "30 minutes", "-5m", "1y", True, None, [1]])
def test_parse_duration_rejects(bad) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


# --------------------------------------------------------------------------- validation


def test_shipped_policy_is_valid() -> None:
    p = load_policy(POLICY_FILE)
    assert p.rules[-1].name == "default"
    assert p.rules[-1].is_catch_all
    assert p.fallback_jurisdiction == "63.10"
    assert p.timezone == "Asia/Makassar"


def test_last_rule_must_be_a_catch_all() -> None:
    with pytest.raises(PolicyError, match="catch-all"):
        policy("  - name: only\n    match: {category: [narcotics]}\n    targets: [kecamatan]\n")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("version: 1\nrulez: []\n", "rulez: unknown key"),
        (
            "version: 1\nrules:\n  - name: d\n    targets: [kabupaten]\n    escalate: 5m\n",
            "escalate",
        ),
        (
            "version: 1\nrules:\n  - name: x\n    match: {categroy: [narcotics]}\n"
            "    targets: [kecamatan]\n  - name: d\n    targets: [kabupaten]\n",
            "categroy: unknown key",
        ),
        ("version: 1\nrules: []\n", "rules"),
        ("version: 2\nrules:\n  - name: d\n    targets: [kabupaten]\n", "version"),
        ("version: 1\nrules:\n  - name: d\n    targets: []\n", "targets"),
        ("version: 1\nrules:\n  - name: d\n    targets: [desa]\n", "targets"),
        ("version: 1\nrules:\n  - name: d\n    targets: [kabupaten, kabupaten]\n", "twice"),
        (
            "version: 1\nrules:\n  - name: d\n    targets: [kabupaten]\n    group_window: soon\n",
            "duration",
        ),
        (
            "version: 1\nrules:\n  - name: d\n    targets: [kabupaten]\n    group_key: '{nope}'\n",
            "unknown placeholder",
        ),
        (
            "version: 1\nrules:\n  - name: d\n    targets: [kabupaten]\n"
            "    group_key: '{report.__class__}'\n",
            "placeholder",
        ),
        (
            "version: 1\ntimezone: Mars/Olympus\nrules:\n  - name: d\n    targets: [kabupaten]\n",
            "zone",
        ),
        (
            "version: 1\nfallback_jurisdiction: '99.99'\nrules:\n  - name: d\n"
            "    targets: [kabupaten]\n",
            "unknown Kemendagri code",
        ),
        (
            "version: 1\nrules:\n  - name: x\n    match: {jurisdiction: ['63.1']}\n"
            "    targets: [kecamatan]\n  - name: d\n    targets: [kabupaten]\n",
            "unknown Kemendagri code",
        ),
        (
            "version: 1\nrules:\n  - name: x\n    match: {nationality: [China]}\n"
            "    targets: [kecamatan]\n  - name: d\n    targets: [kabupaten]\n",
            "alpha-3",
        ),
        (
            "version: 1\nrules:\n  - name: d\n    targets: [kabupaten]\n"
            "  - name: d\n    targets: [kabupaten]\n",
            "unique",
        ),
        (
            "version: 1\nrules:\n  - name: x\n    match: {permit_status: [lapsed]}\n"
            "    targets: [kecamatan]\n  - name: d\n    targets: [kabupaten]\n",
            "permit_status",
        ),
        (
            "version: 1\nrules:\n  - name: x\n    match: {jurisdiction: [63.10]}\n"
            "    targets: [kecamatan]\n  - name: d\n    targets: [kabupaten]\n",
            "in quotes",
        ),
        (
            "version: 1\nfallback_jurisdiction: 63.10\nrules:\n  - name: d\n    targets: [x]\n",
            "quotes",
        ),
        ("rules: [unclosed\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_invalid_policies(yaml_text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(yaml_text)


def test_policy_error_names_the_source(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nrules:\n  - name: x\n    targets: [kecamatan]\n    bogus: 1\n")
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert str(path) in str(err.value)
    assert "rules.0.bogus: unknown key" in str(err.value)


def test_scalar_matchers_and_yaml_times() -> None:
    p = policy(
        "  - name: night\n    match:\n      category: narcotics\n"
        "      time: {start: 22:00, end: 06:00}\n    targets: [kabupaten]\n"
        "  - name: d\n    targets: [kabupaten]\n"
    )
    match = p.rules[0].match
    assert match is not None
    assert match.category == [Category.narcotics]
    assert match.time is not None
    assert (match.time.start, match.time.end) == (time(22, 0), time(6, 0))
