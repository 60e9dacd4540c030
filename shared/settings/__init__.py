"""Validated settings, read from the environment (and a ``.env`` file) at start-up.

Common settings use their public names (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``,
``TIMPORA_*``, :mod:`shared.settings.base`); each service adds its own with a prefix
(``INGEST_``, ``ROUTING_``, ``NOTIFY_``, ``CONSOLE_``, :mod:`shared.settings.services`).
Nothing here connects anywhere: settings are plain values.
"""

from shared.settings.base import (
    DEV_SECRET,
    DEV_SMS_SENDER,
    FOREIGN_VARIABLES,
    PROJECT_ROOT,
    Settings,
)
from shared.settings.services import (
    ConsoleSettings,
    IngestSettings,
    NotifySettings,
    RoutingSettings,
)

__all__ = [
    "DEV_SECRET",
    "DEV_SMS_SENDER",
    "FOREIGN_VARIABLES",
    "PROJECT_ROOT",
    "ConsoleSettings",
    "IngestSettings",
    "NotifySettings",
    "RoutingSettings",
    "Settings",
]
