"""Configuration contracts: settings validation and docker-compose's environment."""

import os
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from shared.settings import (
    ConsoleSettings,
    IngestSettings,
    NotifySettings,
    RoutingSettings,
    Settings,
)
from tests.prod_env import production_env

ROOT = Path(__file__).resolve().parents[2]
DEV_KEY_FILE = ROOT / "config" / "api_keys.yaml"


def _known_env_names() -> set[str]:
    names: set[str] = set()
    for cls in (Settings, IngestSettings, NotifySettings, RoutingSettings, ConsoleSettings):
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            names.add(alias.upper() if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def _ours(service: dict) -> bool:  # type: ignore[type-arg]
    """A service of this project's image (not Kafka's or PostgreSQL's)."""
    return "build" in service


APPS = ("ingest", "routing", "notify", "console")


def _instances(compose: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """Every instance of the four services: compose name -> service (ingest-1 -> ingest)."""
    return {n: n.rsplit("-", 1)[0] for n in compose["services"] if n.rsplit("-", 1)[0] in APPS}


def test_compose_sets_only_known_settings() -> None:
    compose = _compose()
    known = _known_env_names()
    for name, service in compose["services"].items():
        if not _ours(service):
            continue
        unknown = set(service.get("environment", {})) - known
        assert not unknown, f"{name} sets unknown settings {unknown}"


def test_compose_services_wait_for_healthy_dependencies() -> None:
    compose = _compose()
    instances = _instances(compose)
    assert sorted(instances.values()) == sorted(APPS * 2)  # two of each
    for name in instances:
        deps = compose["services"][name]["depends_on"]
        # the schema (migrate) and the topics and ACLs (kafka-setup) are done once, first
        assert deps == {
            "migrate": {"condition": "service_completed_successfully"},
            "kafka-setup": {"condition": "service_completed_successfully"},
            "postgres": {"condition": "service_healthy"},
        }, name
    setup = compose["services"]["kafka-setup"]["depends_on"]
    assert setup == {f"kafka-{n}": {"condition": "service_healthy"} for n in (1, 2, 3)}
    assert compose["services"]["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"}
    }


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("KAFKA_BOOTSTRAP_SERVERS", "no-port"),
        ("DATABASE_URL", "mysql://x"),
        ("TIMPORA_TOPIC_PREFIX", "bad prefix!"),
        ("TIMPORA_GC_THRESHOLD", "10000"),
    ],
)
def test_invalid_settings_fail_fast(monkeypatch: pytest.MonkeyPatch, env: str, value: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ValidationError):
        Settings()


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    monkeypatch.delenv("TIMPORA_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="TIMPORA_SECRET_KEY"):
        Settings()


def test_service_prefix_and_shared_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("INGEST_HTTP_PORT", "9999")
    settings = IngestSettings()
    assert settings.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert settings.http_port == 9999


def test_gc_tuning_sets_the_threshold_and_empty_keeps_the_default() -> None:
    import gc

    from shared.runtime import tune_gc

    before = gc.get_threshold()
    try:
        tune_gc("")
        assert gc.get_threshold() == before
        tune_gc(Settings().gc_threshold)
        assert gc.get_threshold() == (10000, 20, 20)
    finally:
        gc.set_threshold(*before)


def test_production_ingest_needs_its_own_key_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "s3cret-for-this-deployment")
    with pytest.raises(ValidationError, match="INGEST_API_KEYS_FILE must name"):
        IngestSettings()
    monkeypatch.setenv("INGEST_API_KEYS_FILE", str(DEV_KEY_FILE))
    with pytest.raises(ValidationError, match="INGEST_API_KEYS_FILE must name"):
        IngestSettings()
    own = tmp_path / "keys.yaml"
    own.write_text("sources: []\n")
    monkeypatch.setenv("INGEST_API_KEYS_FILE", str(own))
    assert IngestSettings().api_keys_file == own
    monkeypatch.setenv("TIMPORA_ENV", "development")
    monkeypatch.delenv("INGEST_API_KEYS_FILE")
    assert IngestSettings().api_keys_file == DEV_KEY_FILE  # development: the README's keys


def test_the_development_key_list_is_the_shipped_key_file() -> None:
    from shared.sources import DEV_KEY_HASHES, KeyRegistry

    shipped = KeyRegistry.from_file(DEV_KEY_FILE)
    assert {s.key_sha256 for s in shipped._by_hash.values()} == DEV_KEY_HASHES
    with pytest.raises(ValueError, match="development API keys"):
        KeyRegistry.from_file(DEV_KEY_FILE, production=True)


def test_compose_production_settings_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose gives each service is accepted in production (required values given)."""
    import re

    compose = _compose()
    required = {
        "TIMPORA_SECRET_KEY": "a-real-secret-of-this-deployment",
        "NOTIFY_SMS_SENDER": "+6281234567890",
        "CONSOLE_SESSION_SECRET": "another-real-secret-of-this-deployment",
        **{f"KAFKA_{s}_PASSWORD": f"scram-{s}" for s in ("INGEST", "ROUTING", "NOTIFY", "CONSOLE")},
    }
    classes = {
        "ingest": IngestSettings,
        "routing": RoutingSettings,
        "notify": NotifySettings,
        "console": ConsoleSettings,
    }
    users = {"kafka-setup": "admin", "migrate": "timpora-console"}
    required["KAFKA_ADMIN_PASSWORD"] = "scram-admin"
    checked = []
    for name, service in compose["services"].items():
        if not _ours(service):
            continue
        kind = name.rsplit("-", 1)[0]
        cls = classes.get(kind, Settings)
        prefixes = ("INGEST_", "ROUTING_", "NOTIFY_", "CONSOLE_", "TIMPORA_", "KAFKA_")
        for key in [k for k in os.environ if k.startswith(prefixes)]:
            monkeypatch.delenv(key)
        for key, value in service["environment"].items():
            found = re.fullmatch(r"\$\{(\w+):([?-])(.*)\}", str(value))
            if found:
                value = required[found[1]] if found[2] == "?" else found[3]
            monkeypatch.setenv(key, str(value))
        settings = cls()
        assert settings.environment == "production", name
        assert settings.kafka_security_protocol == "SASL_SSL", name
        assert settings.kafka_sasl_username == users.get(name, f"timpora-{kind}"), name
        assert not settings.migrate_at_start, name  # the migrate service does it, once
        checked.append(name)
    assert len(checked) == 2 + 4 * 2  # kafka-setup, migrate, two instances of each service


def test_production_console_refuses_weak_session_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "a-real-secret-of-this-deployment-123")
    for secret in (None, "short", "a-real-secret-of-this-deployment-123"):  # dev, short, reused
        if secret is None:
            monkeypatch.delenv("CONSOLE_SESSION_SECRET", raising=False)
        else:
            monkeypatch.setenv("CONSOLE_SESSION_SECRET", secret)
        with pytest.raises(ValidationError, match="CONSOLE_SESSION_SECRET"):
            ConsoleSettings()
    monkeypatch.setenv("CONSOLE_SESSION_SECRET", "x" * 40)
    assert ConsoleSettings().secure_cookies  # Secure cookies in production
    monkeypatch.setenv("CONSOLE_COOKIE_SECURE", "false")
    with pytest.raises(ValidationError, match="CONSOLE_COOKIE_SECURE"):
        ConsoleSettings()
