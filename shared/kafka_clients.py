"""How every Kafka client of the system connects: one place for authentication and TLS.

Services (FastStream), the admin calls at start-up, the operator's CLI and the bench all
build their clients from these options, so a deployment that turns on SASL/SCRAM over TLS
(``KAFKA_SECURITY_PROTOCOL=SASL_SSL``) has no client left talking in clear.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from shared.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """Certificates and host names checked, against ``KAFKA_SSL_CAFILE`` or the system CAs."""
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol == "SASL_SSL":
        options["ssl_context"] = ssl_context(settings)
    if settings.kafka_security_protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": password.get_secret_value() if password else None,
        }
    return options


def broker_security(settings: Settings) -> BaseSecurity | None:
    """The same, in the form FastStream's ``KafkaBroker(security=...)`` takes."""
    if not settings.kafka_security_protocol.startswith("SASL_"):
        return None
    scram = SASLScram512 if settings.kafka_sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    tls = settings.kafka_security_protocol == "SASL_SSL"
    password = settings.kafka_sasl_password
    return scram(
        settings.kafka_sasl_username or "",
        password.get_secret_value() if password else "",
        ssl_context=ssl_context(settings) if tls else None,
        use_ssl=tls,
    )
