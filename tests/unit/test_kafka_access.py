"""#17 item 9, the decisions: how clients connect (SASL/SCRAM over TLS, required in
production), which ACLs a deployment needs, and that the source of raw input is its topic."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from console_service.kafka_ops import replay_target
from shared import kafka_acls, topics
from shared.kafka_acls import Acl, required_acls
from shared.kafka_clients import broker_security, client_options
from shared.schemas import Reason, ReportRejected, SourceFormat
from shared.settings import Settings
from tests.prod_env import KAFKA_PRODUCTION, production_env

SCRAM = KAFKA_PRODUCTION


def test_production_refuses_kafka_without_scram_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMPORA_ENV", "production")
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "a-real-secret-of-this-deployment")
    for protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
        monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", protocol)
        monkeypatch.setenv("KAFKA_SASL_USERNAME", "u")
        monkeypatch.setenv("KAFKA_SASL_PASSWORD", "p")
        with pytest.raises(ValidationError, match="must be SASL_SSL in production"):
            Settings()
    production_env(monkeypatch)
    assert Settings().kafka_security_protocol == "SASL_SSL"


def test_sasl_needs_a_user_and_a_password() -> None:
    with pytest.raises(ValidationError, match="needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        Settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_USERNAME="u")


def test_every_client_gets_the_same_scram_and_tls_options(tmp_path: Path) -> None:
    plain = client_options(Settings())
    assert plain == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}
    assert broker_security(Settings()) is None

    settings = Settings(**SCRAM)  # type: ignore[arg-type]
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        KAFKA_PRODUCTION["KAFKA_SASL_USERNAME"],
        KAFKA_PRODUCTION["KAFKA_SASL_PASSWORD"],
    )
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    security = broker_security(settings)
    assert security is not None
    assert security.use_ssl
    assert type(security).__name__ == "SASLScram512"
    assert KAFKA_PRODUCTION["KAFKA_SASL_PASSWORD"] not in repr(settings)  # a SecretStr


def test_a_source_may_write_its_own_raw_topic_and_nothing_else() -> None:
    acls = required_acls(
        prefix="prod.", sources={"apoa-kalsel": "apoa", "telegram-batulicin": None}
    )
    apoa = {a for a in acls if a.principal == "User:apoa"}
    assert apoa == {
        Acl("User:apoa", "TOPIC", "prod.reports.raw.apoa-kalsel", "LITERAL", "WRITE"),
        Acl("User:apoa", "TOPIC", "prod.reports.raw.apoa-kalsel", "LITERAL", "DESCRIBE"),
    }
    # a source without a principal has a topic (for replays) that no source may write
    writers = {a.principal for a in acls if a.name.endswith("raw.telegram-batulicin")}
    assert "User:apoa" not in writers
    ingest = {
        (a.resource, a.name, a.operation) for a in acls if a.principal == "User:timpora-ingest"
    }
    assert ("TOPIC", "prod.reports.raw.", "READ") in ingest
    assert ("GROUP", "prod.ingest", "READ") in ingest
    assert ("TOPIC", "prod.alerts.routed", "WRITE") not in ingest


def test_without_a_prefix_everything_is_the_wildcard() -> None:
    console = [a for a in required_acls(prefix="", sources={}) if a.principal.endswith("console")]
    assert Acl("User:timpora-console", "TOPIC", "*", "LITERAL", "READ") in console
    assert all(a.name for a in console)  # Kafka refuses an empty prefixed pattern


def _service_io(service: str) -> tuple[set[str], set[str], set[str]]:
    """What a service really subscribes to (topics, groups) and publishes."""
    import importlib

    app_module = importlib.import_module(f"{service}_service.app")
    broker = app_module.asyncapi().broker
    reads = {t for s in broker.subscribers for t in s.topic_names}
    groups = {s.group_id for s in broker.subscribers}
    writes = {p.topic for p in broker.publishers}
    return reads, groups, writes


@pytest.mark.parametrize("service", ["ingest", "routing", "notify"])
def test_the_acls_cover_what_each_service_really_reads_and_writes(service: str) -> None:
    """The ACL table is beside the handlers, not derived from them: it must not drift."""
    reads, groups, writes = _service_io(service)
    access = kafka_acls.SERVICES[service]

    def covers(allowed: tuple[str, ...], topic: str) -> bool:
        raw = kafka_acls.RAW in allowed and topics.raw_source(topic) is not None
        return raw or topic in allowed

    assert all(covers(access.reads, t) for t in reads), (reads, access.reads)
    assert all(covers(access.writes, t) for t in writes), (writes, access.writes)
    assert groups == set(access.groups)


def test_replay_goes_back_to_the_sources_own_topic() -> None:
    def dead(**fields: object) -> ReportRejected:
        base: dict[str, object] = {
            "source": "apoa-kalsel",
            "source_format": SourceFormat.lodging,
            "reasons": [Reason(code="invalid_json", message="x")],
            "headers": {"format": "lodging", "source": "polres-tanbu"},
        }
        return ReportRejected(**(base | fields))

    for original in (None, "reports.raw", "reports.raw.apoa-kalsel"):
        target, headers = replay_target(dead(original_topic=original), None)
        assert target == "reports.raw.apoa-kalsel"
        assert headers == [("format", b"lodging")]  # never a source header
    target, headers = replay_target(dead(original_topic=topics.ALERTS_ROUTED), None)
    assert (target, headers) == (topics.ALERTS_ROUTED, [("format", b"lodging")])


def test_the_source_of_a_raw_topic() -> None:
    assert topics.raw_source("t1.reports.raw.apoa-kalsel", "t1.") == "apoa-kalsel"
    assert topics.raw_source("reports.raw.apoa-kalsel", "t1.") is None
    assert topics.raw_source("t1.reports.raw.", "t1.") is None
    assert topics.raw_source("t1.reports.normalized", "t1.") is None
