"""Fixtures for the ingest parser tests: a Kantor Imigrasi Batulicin source context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from ingest_service.formats import Parsed, SourceContext
from shared.schemas import Report

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# Kantor Imigrasi Batulicin covers Tanah Bumbu (63.10) and Kotabaru (63.02).
HOME_AREA = ("63.10", "63.02")
RECEIVED = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)  # 10:00 WITA


@pytest.fixture
def ctx() -> SourceContext:
    return SourceContext(source="kanim-batulicin", home_area=HOME_AREA, received_at=RECEIVED)


@pytest.fixture
def sample() -> object:
    def read(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()

    return read


@pytest.fixture
def regions() -> ModuleType:
    """The real place resolver (these tests need it; no skipping)."""
    import shared.jurisdiction

    return shared.jurisdiction


def only_report(parsed: list[Parsed]) -> Report:
    assert len(parsed) == 1, parsed
    assert parsed[0].report is not None, parsed[0].reasons
    return parsed[0].report


def codes(parsed: Parsed) -> list[str]:
    return [r.code for r in parsed.reasons]
