"""Each service's own settings, read with its prefix (``INGEST_``, ``ROUTING_``,
``NOTIFY_``, ``CONSOLE_``) on top of the shared ones (:class:`Settings`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.phones import to_e164
from shared.settings.base import DEV_SECRET, DEV_SMS_SENDER, PROJECT_ROOT, Settings


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
    parse_budget_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Seconds of parsing per body: items not reached by then are rejected "
        "(parse_budget_exceeded, kept in the dead letter for a replay)",
    )
    sender_rate_limit_per_minute: int = Field(
        10,
        ge=1,
        description="Reports per minute one sender (phone, chat user) may send over a public "
        "channel (SMS, Telegram, WhatsApp); more are rejected (sender_rate_limited)",
    )
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
    directory_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="How often routing reads the teams per jurisdiction and the office "
        "records again (a change in either applies within this time)",
    )


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
    kannel_smsc: str | None = Field(
        None, description="Kannel smsc= on every sendsms: the SMSC to route through (of several)"
    )
    kannel_dlr_url: str | None = Field(
        None,
        examples=["http://notify:8083/v1/webhooks/kannel/dlr"],
        description="Notify's DLR endpoint as Kannel reaches it: each SMS asks Kannel to "
        "report to it (dlr-url with the delivery id, %d and %T; NOTIFY_INBOUND_KEY as the "
        "Basic auth password). A URL holding {delivery_key} is used as written instead",
    )
    kannel_dlr_mask: int = Field(
        31,
        ge=0,
        le=31,
        description="Kannel dlr-mask: the reports asked for (1 delivered, 2 undelivered, "
        "4 queued, 8 SMSC submit, 16 SMSC reject; 19 = only the final ones)",
    )
    receipt_timeout_seconds: dict[str, float] = Field(
        {"sms": 900.0, "whatsapp": 900.0},
        description="Per channel with provider reports (sms via Kannel with a dlr-url, "
        "whatsapp with the app secret), JSON: a delivery sent this long ago without a "
        "delivered/failed report becomes 'unconfirmed' (0: never); a late report still "
        "applies",
    )
    http_sms_url: str | None = Field(None, description="Generic HTTP SMS provider (if no Kannel)")
    http_sms_token: SecretStr | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "timpora-alert@example.org"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(
        False,
        description="STARTTLS after connecting (port 587); a server that does not offer it "
        "is refused, never a plain-text fallback",
    )
    smtp_use_tls: bool = Field(False, description="Implicit TLS from the start (port 465)")
    smtp_cafile: FilePath | None = Field(
        None,
        description="CA certificates (PEM) that sign the mail server's certificate, trusted "
        "instead of the system's (a relay with its own CA). The certificate and its host "
        "name are always verified",
        examples=["/etc/timpora/mail-ca.pem"],
    )
    channel_timeout_seconds: float | None = Field(
        None, gt=0, le=120, description="Per provider request (None: each channel's default)"
    )
    whatsapp_api_version: str = Field("v21.0", pattern=r"^v\d+\.\d+$")
    telegram_base_url: str | None = None
    telegram_bot_token: SecretStr | None = None
    whatsapp_base_url: str | None = None
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_template_alert: str = Field(
        "timpora_peringatan",
        pattern=r"^[a-z0-9_]{1,512}$",
        description="Name of the approved alert template (docs/whatsapp-templates.md), sent "
        "to members outside WhatsApp's 24-hour window, in their language (id, en)",
    )
    whatsapp_template_code: str = Field(
        "timpora_kode",
        pattern=r"^[a-z0-9_]{0,512}$",
        description="Name of the approved authentication template for the member page's "
        "one-time codes outside the 24-hour window (docs/whatsapp-templates.md); empty: "
        "none registered, such codes go by the member's next phone or chat channel",
    )
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
    provider_rate_per_second: float = Field(
        50.0,
        gt=0,
        description="Sends per second per provider account for SMS (per SMSC or HTTP "
        "gateway), email (per SMTP host) and webhooks, shared by every notify instance",
    )
    telegram_rate_per_second: float = Field(
        30.0, gt=0, description="Telegram sends per second per bot (Bot API: about 30)"
    )
    telegram_chat_rate_per_second: float = Field(
        1.0, gt=0, description="Telegram sends per second to one private chat (Bot API: 1)"
    )
    telegram_group_rate_per_minute: float = Field(
        20.0, gt=0, description="Telegram sends per minute to one group (Bot API: 20)"
    )
    whatsapp_rate_per_second: float = Field(
        80.0,
        gt=0,
        description="WhatsApp sends per second per business phone number (Cloud API: 80)",
    )
    rate_margin_seconds: float = Field(
        0.05,
        ge=0,
        le=5,
        description="Slack for network and scheduling jitter: N sends per W seconds are "
        "spaced (W + margin) / N apart",
    )
    rate_horizon_seconds: float = Field(
        0.25,
        gt=0,
        le=5,
        description="How far ahead an instance reserves send times from the shared buckets",
    )
    rate_max_wait_seconds: float = Field(
        10.0,
        ge=0,
        le=60,
        description="A send whose turn is further away goes back to the retry loop for "
        "then (not counted as an attempt)",
    )
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
        if self.smtp_cafile and not tls:
            raise ValueError("NOTIFY_SMTP_CAFILE needs TLS (NOTIFY_SMTP_STARTTLS or _USE_TLS)")
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

    @field_validator("receipt_timeout_seconds")
    @classmethod
    def _check_receipt_timeouts(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - {"sms", "whatsapp"})
        if unknown or any(seconds < 0 for seconds in value.values()):
            raise ValueError(
                "NOTIFY_RECEIPT_TIMEOUT_SECONDS: seconds >= 0 for sms and/or whatsapp "
                f"(the channels whose providers report deliveries), got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _dlr_needs_key(self) -> NotifySettings:
        """Kannel's delivery reports come back authenticated by the inbound key."""
        url = self.kannel_dlr_url
        if url and "{delivery_key}" not in url and self.inbound_key is None:
            raise ValueError(
                "NOTIFY_KANNEL_DLR_URL needs NOTIFY_INBOUND_KEY: Kannel's reports are "
                "authenticated with it"
            )
        return self

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

    feed_keys_file: Path = Field(
        PROJECT_ROOT / "config" / "feed_keys.yaml",
        description="Keys (SHA-256) of the agencies reading offices' CAP feeds, each bound "
        "to one office (docs/cap-feed.md); production: only when set, never the repository's",
    )
    feed_cancel_keep_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 30,
        description="A closed alert stays in the CAP feed (as a Cancel) this long after closing",
    )
    feed_sender_domain: str = Field(
        "timpora.local",
        pattern=r"^[A-Za-z0-9.-]{1,100}$",
        description="The CAP feed's sender is <office id>@<this>",
    )

    @property
    def feed_keys(self) -> Path | None:
        """The feed key file in force: in production only an explicit one (none: the
        feed answers 401 to everyone)."""
        if self.environment == "production" and "feed_keys_file" not in self.model_fields_set:
            return None
        return self.feed_keys_file

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
        development_feed_keys = PROJECT_ROOT / "config" / "feed_keys.yaml"
        if (
            self.environment == "production"
            and "feed_keys_file" in self.model_fields_set
            and self.feed_keys_file.resolve() == development_feed_keys.resolve()
        ):
            raise ValueError(
                "CONSOLE_FEED_KEYS_FILE: config/feed_keys.yaml holds development keys; "
                "name this deployment's own file in production"
            )
        return self
