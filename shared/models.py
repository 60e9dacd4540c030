"""Imports every module that defines tables, so Alembic sees the whole schema."""

import importlib

MODEL_MODULES = (
    "shared.directory",
    "ingest_service.models",
    "routing_service.models",
    "notify_service.models",
)


def load_all() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
