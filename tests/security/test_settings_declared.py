"""The attack (#17 item 4): e-mail carries the whole alert, yet STARTTLS and implicit TLS
could not be switched on (the channel code read settings the settings class did not
declare, so ``NOTIFY_SMTP_STARTTLS=true`` was silently ignored), a typo in a variable
went unnoticed, and a password could be sent over a clear connection. Now every setting
the code reads is a declared field, an unknown ``NOTIFY_*``/``INGEST_*``/``ROUTING_*``
variable stops the service at start-up, production requires TLS for e-mail, and nobody
logs in without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from notify_service.channels import build_channels
from shared.settings import IngestSettings, NotifySettings, RoutingSettings
from tests.prod_env import production_env

ROOT = Path(__file__).resolve().parents[2]


def test_the_tls_settings_reach_the_email_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SMTP_HOST", "mail.example.go.id")
    monkeypatch.setenv("NOTIFY_SMTP_PORT", "587")
    monkeypatch.setenv("NOTIFY_SMTP_STARTTLS", "true")
    monkeypatch.setenv("NOTIFY_SMTP_USERNAME", "timpora")
    monkeypatch.setenv("NOTIFY_SMTP_PASSWORD", "pw")
    email = build_channels(NotifySettings())["email"]
    assert (email.starttls, email.use_tls, email.port) == (True, False, 587)  # type: ignore[attr-defined]
    monkeypatch.delenv("NOTIFY_SMTP_STARTTLS")
    monkeypatch.setenv("NOTIFY_SMTP_USE_TLS", "true")
    assert build_channels(NotifySettings())["email"].use_tls  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", [NotifySettings, IngestSettings, RoutingSettings])
def test_a_misspelt_variable_stops_the_service(
    monkeypatch: pytest.MonkeyPatch, cls: type[NotifySettings]
) -> None:
    prefix = str(cls.model_config["env_prefix"])
    monkeypatch.setenv(f"{prefix}SMTP_STARTTSL", "true")
    with pytest.raises(ValidationError, match=f"unknown settings {prefix}SMTP_STARTTSL"):
        cls()
    monkeypatch.delenv(f"{prefix}SMTP_STARTTSL")
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")  # systemd's, not ours
    cls()


def test_no_login_without_tls_and_production_needs_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SMTP_HOST", "mail.example.go.id")
    monkeypatch.setenv("NOTIFY_SMTP_USERNAME", "timpora")
    with pytest.raises(ValidationError, match="NOTIFY_SMTP_USERNAME needs TLS"):
        NotifySettings()
    monkeypatch.delenv("NOTIFY_SMTP_USERNAME")
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "a-real-secret-of-this-deployment")
    monkeypatch.setenv("NOTIFY_SMS_SENDER", "+6281234567890")
    with pytest.raises(ValidationError, match="NOTIFY_SMTP_HOST needs TLS in production"):
        NotifySettings()
    monkeypatch.setenv("NOTIFY_SMTP_STARTTLS", "true")
    assert NotifySettings().smtp_starttls
    monkeypatch.setenv("NOTIFY_SMTP_USE_TLS", "true")
    with pytest.raises(ValidationError, match="choose one"):
        NotifySettings()


def test_the_process_says_why_it_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    run = subprocess.run(
        [sys.executable, "-m", "notify_service"],
        cwd=ROOT, env=env | {"NOTIFY_SMTP_STARTTSL": "true"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert "notify: refusing to start" in run.stderr
    assert "NOTIFY_SMTP_STARTTSL" in run.stderr
    assert "Traceback" not in run.stderr
