"""Run one service process: logging from settings, then uvicorn on the service's factory."""

from __future__ import annotations

import argparse
import importlib
import socket
import sys

import uvicorn

from shared.jurisdiction import use_regions_file
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
        use_regions_file(settings.regions_file)
        module, _, name = factory.partition(":")
        app = getattr(importlib.import_module(module), name)(settings)
    except ValueError as exc:  # pydantic's ValidationError is one: a configuration error
        sys.exit(f"{service}: refusing to start: {exc}")
    host = args.host or settings.http_host  # type: ignore[attr-defined]
    port = args.port or settings.http_port  # type: ignore[attr-defined]
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    sockets = [_bind(host, port)]
    if settings.internal_port is not None:  # /metrics and the docs only there
        sockets.append(_bind(host, settings.internal_port))
    uvicorn.Server(config).run(sockets=sockets)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
