"""The CLI's help: every command group and its options are explained."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from console_service.cli import app

from .conftest import invoke

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_help_explains_every_command() -> None:
    runner = CliRunner()
    root = invoke(runner, "--help")
    for command in (
        "topics",
        "deadletters",
        "teams",
        "route",
        "silences",
        "db",
        "lag",
        "tail",
        "deliveries",
    ):
        assert command in root.output
    assert "Timpora Alert Router" in root.output

    expected = {
        "topics": ["create", "list", "Kafka topics"],
        "deadletters": ["list", "show", "replay", "reports.rejected"],
        "teams": ["import", "export", "YAML"],
        "route": ["explain"],
        "silences": ["add", "list", "expire"],
        "db": ["upgrade", "Alembic"],
    }
    for sub, words in expected.items():
        result = invoke(runner, sub, "--help")
        for word in words:
            assert word in result.output, (sub, word)

    tail = invoke(runner, "tail", "--help")
    assert "masked" in tail.output
    assert "--json" in tail.output
    add = invoke(runner, "silences", "add", "--help")
    for option in ("--comment", "--hours", "--jurisdiction", "--team", "--category"):
        assert option in add.output


def test_no_arguments_shows_help() -> None:
    result = CliRunner().invoke(app, [])
    assert "Usage" in result.output
    assert "teams" in result.output
