"""A bad policy edit mid-run through TestKafkaBroker: routing keeps the last good policy,
/ready says degraded (HTTP 200) and /metrics says invalid; a fixed file is taken."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker

from routing_service import deps as deps_module
from routing_service.app import create_app
from routing_service.deps import RoutingDeps
from routing_service.policy import PolicyError
from shared import topics
from shared.db import transaction
from shared.directory import replace_directory
from shared.runtime import Runtime
from shared.schemas import AlertRouted
from shared.settings import RoutingSettings, Settings
from tests.component.test_routing_handlers import MINING, TEAMS, normalised

Capture = Callable[[KafkaBroker, Settings, str], list[ConsumerRecord]]
GOOD = """version: 1
rules:
  - name: mining
    match: {category: [illegal_work]}
    targets: [kecamatan, kabupaten]
  - name: default
    targets: [kabupaten]
"""
# An edit that renames the rule and misspells a target level: refused as a whole.
BAD = GOOD.replace("name: mining", "name: mining-v2").replace(
    "kecamatan, kabupaten", "kecamatan, kabupatn"
)
FIXED = GOOD.replace("name: mining", "name: mining-v2")


@pytest.fixture
async def deps(
    settings_values: dict[str, Any],
    make_runtime: Callable[[Settings, str], Runtime],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> RoutingDeps:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(GOOD)
    monkeypatch.setattr(deps_module, "POLICY_CHECK_S", 0.0)  # look at the file every time
    settings = RoutingSettings(**settings_values, policy_file=policy_file)
    assert settings.policy_file == policy_file  # the test edits its own copy only
    deps = RoutingDeps(make_runtime(settings, "timpora-routing"), settings)
    async with transaction(deps.runtime.sessions) as session:
        await replace_directory(session, TEAMS)

    async def up() -> dict[str, bool]:  # no real broker here: only the policy may degrade
        return {"kafka": True, "database": True, "consumers_assigned": True}

    monkeypatch.setattr(deps.runtime, "ready", up)
    return deps


async def test_a_bad_edit_keeps_the_last_good_policy_and_ready_says_degraded(
    deps: RoutingDeps, capture: Capture
) -> None:
    app = create_app(deps=deps)
    routed = capture(deps.broker, deps.settings, topics.ALERTS_ROUTED)
    topic = deps.settings.topic(topics.REPORTS_NORMALIZED)
    policy_file = Path(deps.settings.policy_file)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://routing")

    async def route_one() -> set[tuple[str, tuple[str, ...]]]:
        before = len(routed)
        await broker.publish(normalised(MINING).model_dump_json().encode(), topic)
        alerts = [AlertRouted.model_validate_json(r.value) for r in routed[before:]]
        return {(a.team_id, tuple(a.matched_rules)) for a in alerts}

    old_rule = {
        ("timpora-63.10.04", ("mining",)),
        ("timpora-63.10", ("mining",)),
    }
    async with TestKafkaBroker(deps.broker) as broker:
        assert await route_one() == old_rule
        assert (await http.get("/ready")).json()["status"] == "ok"

        policy_file.write_text(BAD)  # a typo mid-run
        assert await route_one() == old_rule  # still routed, with the last good policy
        ready = await http.get("/ready")
        assert ready.status_code == 200  # degraded, not down: the orchestrator keeps it
        body = ready.json()
        assert (body["ready"], body["status"]) == (True, "degraded")
        why = body["degraded"]["policy"]
        assert str(policy_file) in why
        assert "rules.0.targets.1" in why
        assert "timpora_policy_valid 0.0" in (await http.get("/metrics")).text

        policy_file.write_text(FIXED)  # the fix is taken, the state clears
        fixed_rule = ("mining-v2",)
        assert await route_one() == {
            ("timpora-63.10.04", fixed_rule),
            ("timpora-63.10", fixed_rule),
        }
        body = (await http.get("/ready")).json()
        assert (body["status"], body["degraded"]) == ("ok", {})
        assert "timpora_policy_valid 1.0" in (await http.get("/metrics")).text
    await http.aclose()


async def test_an_invalid_policy_at_start_up_stops_the_service(deps: RoutingDeps) -> None:
    Path(deps.settings.policy_file).write_text(BAD)  # no last good policy to keep
    with pytest.raises(PolicyError, match="refusing to start") as err:
        create_app(deps=deps)
    assert "rules.0.targets.1" in str(err.value)
