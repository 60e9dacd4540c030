"""The routing policy is hot-reloaded when its file changes, looked at once a second."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from routing_service import deps as deps_module
from routing_service.deps import RoutingDeps
from shared.settings import RoutingSettings

POLICY = Path(__file__).resolve().parents[3] / "routing_service" / "config" / "policy.yaml"


def test_a_changed_policy_file_is_picked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.read_text())
    deps = RoutingDeps(runtime=None, settings=RoutingSettings(policy_file=str(path)))  # type: ignore[arg-type]
    first = deps.policy()
    assert deps.policy() is first  # unchanged file: the same object, no re-parse
    path.write_text(POLICY.read_text().replace("rules:", "# edited\nrules:", 1))
    os.utime(path, (1, 1))  # a different mtime, whatever the clock's resolution
    assert deps.policy() is first  # not looked at again within the second
    monkeypatch.setattr(deps_module, "POLICY_CHECK_S", 0.0)
    assert deps.policy() is not first
