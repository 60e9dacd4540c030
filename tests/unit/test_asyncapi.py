"""Each service's AsyncAPI document builds (without a broker) and names its topics."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kafkautil import DEV_SOURCES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("service", "topics"),
    [
        (
            "ingest",  # a raw topic per source of the (development) key file
            {f"reports.raw.{s}" for s in DEV_SOURCES} | {"reports.normalized", "reports.rejected"},
        ),
        ("routing", {"reports.normalized", "alerts.acks", "alerts.routed", "reports.rejected"}),
        (
            "notify",
            {
                "alerts.routed",
                "deliveries.events",
                "alerts.acks",
                "members.stepup",
                "reports.rejected",
            },
        ),
    ],
)
def test_asyncapi_document(service: str, topics: set[str], tmp_path: Path) -> None:
    out = tmp_path / f"{service}.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "faststream",
            "docs",
            "gen",
            "--factory",
            f"{service}_service.app:asyncapi",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    channels = json.loads(out.read_text())["channels"]
    assert {name.split(":")[0] for name in channels} == topics
