"""The settings every process shares (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``,
``TIMPORA_*``): the base of each service's settings (:mod:`shared.settings.services`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics
from shared.jurisdiction.decree import load_regions_file
from shared.retention import Retention

DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused outside development
DEV_SMS_SENDER = "+6281100000000"  # fictional; refused in production
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Variables other software sets that happen to carry a service's prefix: systemd gives a
# Type=notify service NOTIFY_SOCKET.
FOREIGN_VARIABLES = frozenset({"NOTIFY_SOCKET"})


class Settings(BaseSettings):
    """Settings every service shares."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, validate_default=True
    )

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
        description="Comma-separated host:port list of Kafka brokers",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        validation_alias="KAFKA_SECURITY_PROTOCOL",
        description="How clients reach the brokers: SASL_SSL (SCRAM over TLS) is required in "
        "production; PLAINTEXT is the local development broker",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(
        None,
        validation_alias="KAFKA_SASL_USERNAME",
        description="The SCRAM user this process authenticates as (its ACLs: timpora kafka acls)",
    )
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias="KAFKA_SASL_PASSWORD")
    kafka_ssl_cafile: Path | None = Field(
        None,
        validation_alias="KAFKA_SSL_CAFILE",
        description="PEM file of the CA that signed the brokers' certificates (unset: the "
        "system's CAs); host names are always checked",
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./timpora.db",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy async URL: SQLite embedded by default, PostgreSQL in production",
    )
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="TIMPORA_ENV"
    )
    topic_prefix: str = Field(
        "",
        validation_alias="TIMPORA_TOPIC_PREFIX",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prefix for every topic name (isolates tests and environments)",
    )
    topic_partitions: int = Field(
        6,
        ge=1,
        le=1000,
        validation_alias="TIMPORA_TOPIC_PARTITIONS",
        description="Partitions of the topics created: the most instances of one service "
        "that share a topic's work (a consumer group gives each partition to one member)",
    )
    topic_replication: int = Field(
        1,
        ge=1,
        le=7,
        validation_alias="TIMPORA_TOPIC_REPLICATION",
        description="Replication factor of the topics created (3 on a three-broker "
        "cluster); existing topics keep theirs",
    )
    topic_min_isr: int | None = Field(
        None,
        ge=1,
        le=7,
        validation_alias="TIMPORA_TOPIC_MIN_ISR",
        description="min.insync.replicas set on every topic (created or existing): with "
        "acks=all a write is acknowledged once this many replicas hold it (2 of 3); unset: "
        "the broker's default",
    )
    migrate_at_start: bool = Field(
        True,
        validation_alias="TIMPORA_MIGRATE_AT_START",
        description="Each service upgrades the database schema when it starts; false: a "
        "one-shot `timpora db upgrade` does it and a service whose schema is behind refuses "
        "to start (several instances never race to migrate)",
    )
    regions_file: Path | None = Field(
        None,
        validation_alias="TIMPORA_REGIONS_FILE",
        description="A newer region dataset (a decree's new, renamed and abolished codes) "
        "applied over the shipped one, the same file for every process; checked at start: "
        "a process refuses a file it cannot use, with each reason (docs/regions.md)",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET),
        validation_alias="TIMPORA_SECRET_KEY",
        description="Signs ack links; must be set outside development",
    )
    previous_secret_keys: SecretStr = Field(
        SecretStr(""),
        validation_alias="TIMPORA_PREVIOUS_SECRET_KEYS",
        description="Comma-separated secrets links were signed with before a rotation: still "
        "accepted (keep them until NOTIFY_LINK_TTL_HOURS after the rotation), never used to sign",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="TIMPORA_LOG_LEVEL"
    )
    log_json: bool = Field(False, validation_alias="TIMPORA_LOG_JSON")
    instance_id: str | None = Field(
        None,
        validation_alias="TIMPORA_INSTANCE_ID",
        description="Static group membership id; avoids a rebalance on every restart",
    )

    # Consumers let the broker hold a fetch up to 50 ms to gather 64 KiB: at moderate
    # rates batches of one or two records cost a transaction, a produce and a commit
    # each. Measured (bench, 200 reports/s): ~30 % less CPU across the services and the
    # broker, for ~50 ms more median latency at 100 reports/s.
    fetch_max_wait_ms: int = Field(
        50,
        ge=0,
        le=10_000,
        validation_alias="TIMPORA_FETCH_MAX_WAIT_MS",
        description="How long the broker may hold a fetch to fill TIMPORA_FETCH_MIN_BYTES",
    )
    fetch_min_bytes: int = Field(
        64 * 1024,
        ge=1,
        le=16 * 1024 * 1024,
        validation_alias="TIMPORA_FETCH_MIN_BYTES",
        description="Bytes a fetch waits for (up to TIMPORA_FETCH_MAX_WAIT_MS)",
    )

    # The services allocate many short-lived objects per record (pydantic models, dicts,
    # rows): with CPython's default gen-0 threshold (700) a batch of 500 reports triggers
    # dozens of collections that rescan every surviving object. Start-up objects are
    # frozen out of collection and gen 0 runs every 10,000 allocations. Measured (bench,
    # webhook job, N=10,000, A/B back to back): 655 -> 773 reports/s, routing CPU -23 %,
    # notify -20 %, peak RSS unchanged.
    gc_threshold: str = Field(
        "10000,20,20",
        validation_alias="TIMPORA_GC_THRESHOLD",
        pattern=r"^(\d+,\d+,\d+)?$",
        description="gc.set_threshold for the service process; empty keeps CPython's default",
    )

    retention_closed_days: int = Field(
        180,
        ge=1,
        validation_alias="TIMPORA_RETENTION_CLOSED_DAYS",
        description="Personal data of an ended alert (closed, muted, inhibited, digested) is "
        "erased this many days after it ended (timpora purge)",
    )
    retention_idle_days: int = Field(
        365,
        ge=1,
        validation_alias="TIMPORA_RETENTION_IDLE_DAYS",
        description="... and of any other alert after this many days without a change",
    )
    audit_retention_days: int = Field(
        730,
        ge=1,
        validation_alias="TIMPORA_AUDIT_RETENTION_DAYS",
        description="The console's audit log (ids, no personal data); at least as long as "
        "the personal data it mentions",
    )

    deadletter_retention_days: int = Field(
        30,
        ge=1,
        le=3650,
        validation_alias="TIMPORA_DEADLETTER_RETENTION_DAYS",
        description="How long reports.rejected keeps dead letters (the failing records of a "
        "batch, with their personal data); applied to the topic at start-up",
    )

    def topic_retention(self) -> dict[str, int]:
        """Topic retentions the settings decide (``topics.ensure_topics`` applies them)."""
        return {topics.REPORTS_REJECTED: self.deadletter_retention_days * topics.DAY_MS}

    # Read with the service's prefix (INGEST_INTERNAL_PORT, NOTIFY_INTERNAL_PORT, ...).
    internal_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="A second port that alone serves /metrics and the API docs (/docs, "
        "/redoc, /openapi.json), for scrapers and operators inside the network; unset: the "
        "HTTP port serves them",
    )

    @property
    def verification_secrets(self) -> list[str]:
        """The signing secret, then the previous ones: what a link is checked against."""
        previous = self.previous_secret_keys.get_secret_value().split(",")
        return [self.secret_key.get_secret_value(), *(p.strip() for p in previous if p.strip())]

    @property
    def retention(self) -> Retention:
        return Retention(
            self.retention_closed_days, self.retention_idle_days, self.audit_retention_days
        )

    @field_validator("regions_file")
    @classmethod
    def _regions_file_usable(cls, path: Path | None) -> Path | None:
        if path is not None:
            load_regions_file(path)  # ValueError naming every problem of the file
        return path

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _check_bootstrap(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port], got {server!r}")
        return value

    @model_validator(mode="after")
    def _check_kafka_security(self) -> Settings:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        if self.environment == "production" and self.kafka_security_protocol != "SASL_SSL":
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL must be SASL_SSL in production (SCRAM over TLS): "
                "an unauthenticated client could write reports and read personal data"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @model_validator(mode="after")
    def _check_min_isr(self) -> Settings:
        if self.topic_min_isr is not None and self.topic_min_isr > self.topic_replication:
            raise ValueError(
                f"TIMPORA_TOPIC_MIN_ISR={self.topic_min_isr} exceeds "
                f"TIMPORA_TOPIC_REPLICATION={self.topic_replication}: no write could be "
                "acknowledged"
            )
        return self

    @model_validator(mode="after")
    def _check_retention(self) -> Settings:
        self.retention  # noqa: B018 - Retention refuses an audit log shorter than the data
        return self

    @model_validator(mode="after")
    def _refuse_dev_secret(self) -> Settings:
        if self.environment == "production" and DEV_SECRET in self.verification_secrets:
            raise ValueError(
                "TIMPORA_SECRET_KEY must be set in production (and the development secret "
                "is not a previous key either)"
            )
        return self

    @model_validator(mode="after")
    def _no_unknown_variables(self) -> Settings:
        """A variable with the service's prefix that names no setting is a typo (or a
        setting that does not exist): refused at start-up rather than silently ignored."""
        prefix = str(self.model_config.get("env_prefix") or "").upper()
        if not prefix:
            return self
        known = {f"{prefix}{name}".upper() for name in type(self).model_fields} | FOREIGN_VARIABLES
        unknown = sorted(
            k for k in os.environ if k.upper().startswith(prefix) and k.upper() not in known
        )
        if unknown:
            raise ValueError(
                f"unknown settings {', '.join(unknown)} (README.md, 'Configuration', lists them)"
            )
        return self

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def group(self, name: str) -> str:
        """Consumer group ids share the topic prefix so isolated runs never collide."""
        return f"{self.topic_prefix}{name}"
