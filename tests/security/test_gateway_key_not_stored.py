"""The attack (#17 item 6, credentials): Kannel authenticates with ``key=`` in its MO URL,
and the whole query string used to be kept as the report's original bytes, so every dead
letter of an unreadable SMS carried the gateway key for the topic's retention (30 days),
readable by anyone with `timpora deadletters`. Ingest runs on real Kafka; we read the
dead letter it wrote."""

from __future__ import annotations

import base64

import httpx
import pytest

from ingest_service.formats.kannel import without_credentials
from shared import topics
from shared.schemas import ReportRejected
from shared.settings import Settings
from tests.integration.ingest.test_ingest_service import client
from tests.kafkautil import consume

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
__all__ = ["client"]  # the ingest fixture
KEY = "dev-key-kannel"


async def test_a_dead_lettered_sms_does_not_keep_the_gateway_key(
    client: httpx.AsyncClient, kafka_settings: Settings
) -> None:
    sms = await client.get(
        "/v1/webhooks/kannel", params={"key": KEY, "from": "+6281200009999", "text": ""}
    )
    assert sms.status_code == 422, sms.text  # nothing to route: a dead letter
    [record] = await consume(kafka_settings, topics.REPORTS_REJECTED, 1)
    assert KEY.encode() not in record.value
    rejected = ReportRejected.model_validate_json(record.value)
    original = base64.b64decode(rejected.original_b64 or "")
    assert b"from=%2B6281200009999" in original  # the rest is kept for the operator
    assert b"key" not in original


def test_only_the_credential_fields_are_dropped() -> None:
    raw = b"key=s3cret&from=%2B62812&text=LAPOR+SATUI&Password=x&keyword=lapor"
    assert without_credentials(raw) == b"from=%2B62812&text=LAPOR+SATUI&keyword=lapor"
    assert without_credentials(b"/cgi?key=s3cret&text=a") == b"text=a"
