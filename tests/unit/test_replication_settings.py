"""Settings for a cluster of several brokers and instances: topic replication and min ISR,
which topic configs an existing topic must change, and when a service refuses a schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.db import schema_verdict
from shared.settings import Settings
from shared.topics import TOPICS, drift, topic_configs


def test_replication_and_min_isr_are_settings() -> None:
    settings = Settings(TIMPORA_TOPIC_REPLICATION=3, TIMPORA_TOPIC_MIN_ISR=2)
    assert (settings.topic_replication, settings.topic_min_isr) == (3, 2)
    assert (Settings().topic_replication, Settings().topic_min_isr) == (1, None)


def test_a_min_isr_above_the_replication_is_refused() -> None:
    with pytest.raises(ValidationError, match="TIMPORA_TOPIC_MIN_ISR=3 exceeds"):
        Settings(TIMPORA_TOPIC_REPLICATION=2, TIMPORA_TOPIC_MIN_ISR=3)


def test_topic_configs_carry_min_isr_only_when_asked() -> None:
    spec = TOPICS[0]
    assert topic_configs(spec, None, None) == {"retention.ms": str(spec.retention_ms)}
    assert topic_configs(spec, None, 2)["min.insync.replicas"] == "2"


def test_only_topics_whose_configs_differ_are_altered() -> None:
    wanted = {
        "a": {"retention.ms": "1", "min.insync.replicas": "2"},
        "b": {"retention.ms": "1", "min.insync.replicas": "2"},
        "c": {"retention.ms": "1"},
    }
    current = {
        "a": {"retention.ms": "1", "min.insync.replicas": "2"},  # as wanted (a default too)
        "b": {"retention.ms": "1", "min.insync.replicas": "1"},
    }  # c: not described
    assert drift(wanted, current) == {"b": wanted["b"], "c": wanted["c"]}


def test_a_service_refuses_a_schema_behind_its_release() -> None:
    known = {"0001", "0002", "0003"}
    assert schema_verdict({"0003"}, {"0003"}, known) is None
    assert schema_verdict({"0004"}, {"0003"}, known) is None  # newer: a rolling upgrade
    behind = schema_verdict({"0002"}, {"0003"}, known)
    assert behind is not None
    assert "timpora db upgrade" in behind
    assert "0002" in behind
    empty = schema_verdict(set(), {"0003"}, known)
    assert empty is not None
    assert "no schema" in empty
