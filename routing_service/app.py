"""The routing service: reports → jurisdiction → policy → routed alerts; escalation; acks.

Run: ``python -m routing_service`` (or ``uvicorn --factory routing_service.app:create_app``).
"""

from __future__ import annotations

from fastapi import FastAPI
from faststream import FastStream

from routing_service import handlers
from routing_service.deps import RoutingDeps
from shared.kafka import asyncapi_app
from shared.runtime import Runtime, http_app
from shared.settings import RoutingSettings


def create_app(settings: RoutingSettings | None = None, deps: RoutingDeps | None = None) -> FastAPI:
    """The service; ``deps`` replaces what it is built from (tests pass their own)."""
    if deps is None:
        settings = settings or RoutingSettings()
        deps = RoutingDeps(Runtime.build(settings, client_id="timpora-routing"), settings)
    runtime = deps.runtime
    deps.policy()  # no valid policy file at start-up: PolicyError, the service does not start
    runtime.degraded_checks["policy"] = deps.policy_refused  # later bad edits are refused
    handlers.register(deps)
    runtime.background.append(lambda: handlers.escalation_loop(deps))
    runtime.background.append(deps.watch_policy)
    return http_app(
        runtime,
        deps,
        title="Timpora routing",
        description="Routes normalised reports to teams by jurisdiction and policy; "
        "escalates unacknowledged alerts.",
        routers=(),
    )


def asyncapi() -> FastStream:
    """``faststream docs gen --factory routing_service.app:asyncapi`` (no connection made)."""
    from shared import topics
    from shared.schemas import AlertRouted, ReportRejected

    return asyncapi_app(
        create_app(), {topics.ALERTS_ROUTED: AlertRouted, topics.REPORTS_REJECTED: ReportRejected}
    )
