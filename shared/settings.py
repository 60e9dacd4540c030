"""Validated settings, read from the environment (and a ``.env`` file) at start-up.

Common settings use their public names (``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``,
``TIMPORA_*``); each service adds its own with a prefix (``INGEST_``, ``ROUTING_``,
``NOTIFY_``). Nothing here connects anywhere: settings are plain values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics
from shared.phones import to_e164
from shared.retention import Retention

DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused outside development
DEV_SMS_SENDER = "+6281100000000"  # fictional; refused in production
PROJECT_ROOT = Path(__file__).resolve().parent.parent
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
    topic_partitions: int = Field(6, ge=1, le=1000, validation_alias="TIMPORA_TOPIC_PARTITIONS")
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

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _check_bootstrap(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port], got {server!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

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


class IngestSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="INGEST_")

    http_host: str = "127.0.0.1"
    http_port: int = Field(8081, ge=0, le=65535)
    api_keys_file: Path = PROJECT_ROOT / "config" / "api_keys.yaml"
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    parse_workers: int = Field(
        2, ge=1, le=64, description="Threads that parse bodies, off the event loop"
    )
    rate_limit_per_minute: int = Field(600, ge=1)
    kannel_secret: SecretStr | None = None
    telegram_secret_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_source: str = "whatsapp-batulicin"
    whatsapp_verify_token: SecretStr | None = None

    @model_validator(mode="after")
    def _explicit_key_file(self) -> IngestSettings:
        """Production names its own key file: the repository's holds the README's
        development keys (and an image never carries keys)."""
        development_file = PROJECT_ROOT / "config" / "api_keys.yaml"
        if self.environment == "production" and (
            "api_keys_file" not in self.model_fields_set
            or self.api_keys_file.resolve() == development_file.resolve()
        ):
            raise ValueError(
                "INGEST_API_KEYS_FILE must name this deployment's key file in production "
                "(config/api_keys.yaml holds the development keys)"
            )
        return self


class RoutingSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_")

    http_host: str = "127.0.0.1"
    http_port: int = Field(8082, ge=0, le=65535)
    policy_file: Path = PROJECT_ROOT / "routing_service" / "config" / "policy.yaml"
    escalation_poll_seconds: float = Field(1.0, gt=0)


class NotifySettings(Settings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    http_host: str = "127.0.0.1"
    http_port: int = Field(8083, ge=0, le=65535)
    public_base_url: str = Field(
        "http://127.0.0.1:8084",
        description="The console as members reach it: every message links to its member "
        "page, {public_base_url}/a/<token>",
    )
    link_ttl_hours: float = Field(
        12.0,
        gt=0,
        le=72,
        description="How long a message's link works (also revoked when "
        "the alert is closed or the member leaves the team)",
    )
    step_up_code_minutes: int = Field(
        10, ge=1, le=60, description="Lifetime of the one-time code that opens full details"
    )
    kannel_url: str | None = Field(None, examples=["http://127.0.0.1:13013/cgi-bin/sendsms"])
    kannel_username: str = "timpora"
    kannel_password: SecretStr = SecretStr("")
    sms_sender: str = Field(
        DEV_SMS_SENDER,
        description="The number alerts are sent from (Kannel `from`). A number, not a name: "
        "an alphanumeric sender such as TIMPORA cannot be replied to, and members ack by "
        "replying `OK <kode>`. E.164; Indonesian formats (0811..., 62811...) are normalised",
    )
    kannel_smsc: str | None = Field(None, description="Kannel smsc= (one SMSC of several)")
    kannel_dlr_url: str | None = Field(None, description="Kannel dlr-url for delivery reports")
    kannel_dlr_mask: int = Field(31, ge=0, le=31, description="Kannel dlr-mask")
    http_sms_url: str | None = Field(None, description="Generic HTTP SMS provider (if no Kannel)")
    http_sms_token: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "timpora-alert@example.org"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(False, description="STARTTLS after connecting (port 587)")
    smtp_use_tls: bool = Field(False, description="Implicit TLS from the start (port 465)")
    channel_timeout_seconds: float | None = Field(
        None, gt=0, le=120, description="Per provider request (None: each channel's default)"
    )
    whatsapp_api_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")
    telegram_base_url: str | None = None
    telegram_bot_token: SecretStr | None = None
    whatsapp_base_url: str | None = None
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    webhook_secret: SecretStr | None = None
    inbound_key: SecretStr | None = Field(
        None,
        description="Secret of the Kannel MO URL: the password of its Basic auth "
        "(http://kannel:<key>@host/...) or, leaking into proxy logs, ?key=",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        description="Telegram's X-Telegram-Bot-Api-Secret-Token (setWebhook secret_token); "
        "required in production with a bot, and not the Kannel key (development: that key)",
    )
    whatsapp_app_secret: SecretStr | None = Field(
        None, description="Meta app secret: checks X-Hub-Signature-256 of WhatsApp replies"
    )
    whatsapp_verify_token: SecretStr | None = Field(
        None, description="hub.verify_token Meta sends when the reply webhook is registered"
    )
    ack_notices: bool = Field(
        True,
        description="Tell an alert's other recipients who acknowledged or closed it "
        "(templates notice.{id,en}.j2)",
    )
    max_sms_segments: int = Field(2, ge=1, le=10)
    max_attempts: int = Field(4, ge=1, le=20)
    retry_base_seconds: float = Field(2.0, gt=0)
    provider_rate_per_second: float = Field(50.0, gt=0)
    max_in_flight: int = Field(32, ge=1, le=1000, description="Concurrent sends per channel")
    stale_sending_seconds: float = Field(
        90.0,
        ge=15.0,
        description="A delivery 'sending' this long belongs to a stopped process: repeated "
        "([ULANG], high/critical) or marked uncertain. Keep it above the 15 s send timeout "
        "plus the ~56 s a live process retries recording an outcome while the database "
        "is away, or a live send may be repeated",
    )
    directory_cache_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="How long a team (members, roster) is cached: a directory or roster "
        "edit applies to the next alert within this time",
    )
    batch_alerts: int = Field(
        100,
        ge=1,
        le=5000,
        description="Alerts per consumed batch: claimed, sent, recorded, then committed "
        "(smaller batches record sooner; larger ones spend less per alert)",
    )

    @field_validator("sms_sender")
    @classmethod
    def _check_sms_sender(cls, value: str) -> str:
        e164 = to_e164(value)
        if e164 is None:
            raise ValueError(
                f"NOTIFY_SMS_SENDER must be a phone number members can reply to, got {value!r} "
                "(an alphanumeric sender cannot receive the OK <kode> replies)"
            )
        return e164

    @model_validator(mode="after")
    def _email_tls(self) -> NotifySettings:
        """E-mail carries the full alert: TLS is required in production, a password is
        never sent over a clear connection, and one TLS mode at a time."""
        if self.smtp_starttls and self.smtp_use_tls:
            raise ValueError("NOTIFY_SMTP_STARTTLS and NOTIFY_SMTP_USE_TLS: choose one")
        tls = self.smtp_starttls or self.smtp_use_tls
        if self.smtp_username and not tls:
            raise ValueError("NOTIFY_SMTP_USERNAME needs TLS (NOTIFY_SMTP_STARTTLS or _USE_TLS)")
        if self.environment == "production" and self.smtp_host and not tls:
            raise ValueError("NOTIFY_SMTP_HOST needs TLS in production (STARTTLS or USE_TLS)")
        return self

    @model_validator(mode="after")
    def _separate_inbound_secrets(self) -> NotifySettings:
        """One secret per inbound channel in production: the Kannel key travels in URLs
        (proxy and gateway logs), so it must not also open the Telegram webhook."""
        if self.environment != "production" or self.telegram_bot_token is None:
            return self
        telegram = self.telegram_webhook_secret
        kannel = self.inbound_key
        if telegram is None or (
            kannel is not None and telegram.get_secret_value() == kannel.get_secret_value()
        ):
            raise ValueError(
                "NOTIFY_TELEGRAM_WEBHOOK_SECRET must be set in production, different from "
                "NOTIFY_INBOUND_KEY"
            )
        return self

    @property
    def telegram_secret(self) -> SecretStr | None:
        """What the Telegram webhook checks; outside production it falls back to the Kannel
        key (a chat id is no secret: in production only Telegram's own secret opens it)."""
        if self.environment == "production":
            return self.telegram_webhook_secret
        return self.telegram_webhook_secret or self.inbound_key

    @model_validator(mode="after")
    def _refuse_dev_sender(self) -> NotifySettings:
        if self.environment == "production" and self.sms_sender == DEV_SMS_SENDER:
            raise ValueError(
                "NOTIFY_SMS_SENDER must be set in production (the SMS gateway's number)"
            )
        return self


class ConsoleSettings(Settings):
    """The operator console (``python -m console_service.web``)."""

    model_config = SettingsConfigDict(env_prefix="CONSOLE_")

    http_host: str = "127.0.0.1"
    http_port: int = Field(8084, ge=0, le=65535)
    session_secret: SecretStr = Field(
        SecretStr(DEV_SECRET),
        description="Signs the session cookie; must be set (and differ from "
        "TIMPORA_SECRET_KEY) in production",
    )
    cookie_secure: bool | None = Field(
        None, description="Secure flag on cookies (None: on in production, off elsewhere)"
    )
    session_idle_minutes: int = Field(60, ge=5, le=24 * 60)
    session_max_hours: int = Field(12, ge=1, le=24 * 7)
    lockout_failures: int = Field(5, ge=3, le=20, description="Failed logins before lockout")
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_seconds: float = Field(3.0, ge=1.0, le=60.0, description="Live lists poll this")
    login_attempts_per_minute: int = Field(
        20, ge=1, le=1000, description="Login attempts per client address (then 429)"
    )
    step_up_codes_per_hour: int = Field(
        5, ge=1, le=50, description="One-time codes a member may ask for an hour"
    )
    step_up_attempts: int = Field(5, ge=1, le=10, description="Tries per one-time code")
    purge_every_hours: float = Field(
        24.0,
        ge=0,
        description="The console erases expired personal data this often (timpora purge); "
        "0: never (then run timpora purge from cron)",
    )
    sources_file: Path = Field(
        PROJECT_ROOT / "config" / "api_keys.yaml",
        description="The sources' key file (ingest's): which office's area each source "
        "serves, so a dead letter is shown to that office only",
    )

    @property
    def secure_cookies(self) -> bool:
        return (
            self.environment == "production" if self.cookie_secure is None else self.cookie_secure
        )

    @model_validator(mode="after")
    def _refuse_dev_session_secret(self) -> ConsoleSettings:
        secret = self.session_secret.get_secret_value()
        if self.environment == "production" and (
            secret == DEV_SECRET or secret == self.secret_key.get_secret_value() or len(secret) < 32
        ):
            raise ValueError(
                "CONSOLE_SESSION_SECRET must be set in production: 32+ characters, not "
                "TIMPORA_SECRET_KEY"
            )
        if self.environment == "production" and self.cookie_secure is False:
            raise ValueError("CONSOLE_COOKIE_SECURE=false is refused in production")
        return self
