"""What a production process needs besides the thing a test checks: SCRAM over TLS to
Kafka (``KAFKA_SECURITY_PROTOCOL=SASL_SSL`` is refused otherwise)."""

from __future__ import annotations

import pytest

KAFKA_PRODUCTION = {
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_USERNAME": "timpora-test",
    "KAFKA_SASL_PASSWORD": "a-scram-password-of-this-deployment",
}


def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``TIMPORA_ENV=production`` with Kafka configured as production requires."""
    monkeypatch.setenv("TIMPORA_ENV", "production")
    for name, value in KAFKA_PRODUCTION.items():
        monkeypatch.setenv(name, value)
