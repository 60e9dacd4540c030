"""Run one service process: logging from settings, then uvicorn on the service's factory."""

from __future__ import annotations

import argparse
import importlib
import sys

import uvicorn

from shared.observability import setup_logging
from shared.settings import (
    ConsoleSettings,
    IngestSettings,
    NotifySettings,
    RoutingSettings,
    Settings,
)

SETTINGS: dict[str, type[Settings]] = {
    "ingest": IngestSettings,
    "routing": RoutingSettings,
    "notify": NotifySettings,
    "console": ConsoleSettings,
}


def serve(factory: str, service: str, env_prefix: str, prog: str | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog=prog or f"python -m {service}_service",
        description=f"Run the Timpora {service} service. Configuration comes from the "
        f"environment: KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL, TIMPORA_* and {env_prefix}* "
        "(see README.md, 'Configuration').",
    )
    parser.add_argument("--host", help=f"HTTP host (default {env_prefix}HTTP_HOST)")
    parser.add_argument("--port", type=int, help=f"HTTP port (default {env_prefix}HTTP_PORT)")
    args = parser.parse_args()
    try:
        settings = SETTINGS[service]()
        setup_logging(settings, service)
        module, _, name = factory.partition(":")
        app = getattr(importlib.import_module(module), name)(settings)
    except ValueError as exc:  # pydantic's ValidationError is one: a configuration error
        sys.exit(f"{service}: refusing to start: {exc}")
    uvicorn.run(
        app,
        host=args.host or settings.http_host,  # type: ignore[attr-defined]
        port=args.port or settings.http_port,  # type: ignore[attr-defined]
        log_config=None,
        access_log=False,
    )
