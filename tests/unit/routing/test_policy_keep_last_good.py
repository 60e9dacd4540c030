"""A policy edit never stops routing: a refused file keeps the last good policy in force.

``reload_policy`` is the decision (pure: state and file text in, state out) that
``RoutingDeps.policy`` runs each time it looks at the file; the second half drives
``RoutingDeps`` itself for the log lines, the metrics and the start-up refusal.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from routing_service import deps as deps_module
from routing_service.deps import RoutingDeps
from routing_service.policy import PolicyError
from routing_service.policy_reload import PolicyState, reload_policy
from shared.settings import RoutingSettings

GOOD = "version: 1\nrules:\n  - name: default\n    targets: [kabupaten]\n"
OTHER = "version: 1\nrules:\n  - name: everything\n    targets: [kecamatan]\n"
BAD_YAML = "version: 1\nrules: [unclosed\n"
BAD_KEY = "version: 1\nrules:\n  - name: default\n    targets: [kabupaten]\n    bogus: 1\n"
BAD_CODE = (
    "version: 1\nrules:\n  - name: x\n    match: {jurisdiction: ['99.99']}\n"
    "    targets: [kecamatan]\n  - name: default\n    targets: [kabupaten]\n"
)


def good_state() -> PolicyState:
    return reload_policy(PolicyState(), GOOD, source="p.yaml")


def test_a_valid_file_is_taken() -> None:
    state = good_state()
    assert state.policy is not None
    assert [r.name for r in state.policy.rules] == ["default"]
    assert state.refused is None
    assert len(state.digest) == 64


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (BAD_YAML, "p.yaml: not valid YAML"),
        (BAD_KEY, "rules.0.bogus: unknown key"),
        (BAD_CODE, "unknown Kemendagri code '99.99'"),
        ("", "expected a mapping"),
    ],
)
def test_an_invalid_file_is_refused_and_the_last_good_policy_stays(text: str, reason: str) -> None:
    good = good_state()
    state = reload_policy(good, text, source="p.yaml")
    assert state.policy is good.policy
    assert state.digest == good.digest
    assert state.refused is not None
    assert reason in state.refused


def test_the_same_refused_file_again_is_not_parsed_or_reported_again() -> None:
    refused = reload_policy(good_state(), BAD_KEY, source="p.yaml")
    assert reload_policy(refused, BAD_KEY, source="p.yaml") is refused
    other = reload_policy(refused, BAD_YAML, source="p.yaml")  # another bad version
    assert other is not refused
    assert other.refused is not None
    assert "not valid YAML" in other.refused


def test_an_unreadable_file_is_refused_too() -> None:
    good = good_state()
    state = reload_policy(good, FileNotFoundError(2, "No such file or directory"), source="p.yaml")
    assert state.policy is good.policy
    assert state.refused == "p.yaml: cannot be read: No such file or directory"
    assert (
        reload_policy(state, FileNotFoundError(2, "No such file or directory"), source="p.yaml")
        is state
    )


def test_a_fixed_file_is_taken_and_the_refusal_clears() -> None:
    good = good_state()
    refused = reload_policy(good, BAD_KEY, source="p.yaml")
    fixed = reload_policy(refused, OTHER, source="p.yaml")
    assert fixed.policy is not None
    assert [r.name for r in fixed.policy.rules] == ["everything"]
    assert (fixed.refused, fixed.refused_digest) == (None, "")


def test_the_good_file_put_back_clears_the_refusal_without_a_reparse() -> None:
    good = good_state()
    back = reload_policy(reload_policy(good, BAD_KEY, source="p.yaml"), GOOD, source="p.yaml")
    assert back.policy is good.policy
    assert back == good
    assert reload_policy(good, GOOD, source="p.yaml") is good  # unchanged: the same state


def test_without_a_last_good_policy_the_file_is_refused_with_nothing_in_force() -> None:
    state = reload_policy(PolicyState(), BAD_KEY, source="p.yaml")
    assert state.policy is None
    assert state.refused is not None


# --------------------------------------------------------------------------- RoutingDeps


def metric(name: str, labels: dict[str, str] | None = None) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.fixture
def policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(deps_module, "POLICY_CHECK_S", 0.0)  # look at the file every time
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    return path


def routing_deps(path: Path) -> RoutingDeps:
    return RoutingDeps(runtime=None, settings=RoutingSettings(policy_file=path))  # type: ignore[arg-type]


def test_deps_log_one_error_per_refused_version_and_export_the_state(
    policy_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    deps = routing_deps(policy_file)
    first = deps.policy()
    assert deps.policy_refused() is None
    assert metric("timpora_policy_valid") == 1.0
    digest = hashlib.sha256(GOOD.encode()).hexdigest()
    assert metric("timpora_policy_info", {"sha256": digest, "rules": "1"}) == 1.0

    caplog.clear()
    policy_file.write_text(BAD_KEY)
    for _ in range(5):  # five batches, one log line
        assert deps.policy() is first
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert str(policy_file) in errors[0].getMessage()
    assert "rules.0.bogus: unknown key" in errors[0].getMessage()
    assert metric("timpora_policy_valid") == 0.0
    refused = deps.policy_refused()
    assert refused is not None
    assert "rules.0.bogus: unknown key" in refused

    policy_file.write_text(OTHER)
    assert [r.name for r in deps.policy().rules] == ["everything"]
    assert deps.policy_refused() is None
    assert metric("timpora_policy_valid") == 1.0
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


def test_deps_refuse_to_start_without_a_valid_policy(
    policy_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy_file.write_text(BAD_YAML)
    with pytest.raises(PolicyError, match="refusing to start") as err:
        routing_deps(policy_file).policy()
    assert str(policy_file) in str(err.value)
    assert "not valid YAML" in str(err.value)
    assert any("refusing to start" in r.getMessage() for r in caplog.records)
