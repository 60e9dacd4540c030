"""GET /v1/reports/{report_id} in the console's OpenAPI document: a real response schema
with descriptions, 401 and 404 documented; and the refusals that need no database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ulid import ULID

from console_service.status_schema import ReportStatus
from console_service.web.app import create_app
from shared import report_ids
from shared.settings import ConsoleSettings

PATH = "/v1/reports/{report_id}"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(ConsoleSettings())  # builds, connects to nothing


def test_the_operation_and_its_answers_are_documented(app: FastAPI) -> None:
    doc: dict[str, Any] = app.openapi()
    operation = doc["paths"][PATH]["get"]
    assert operation["operationId"] == "report_status"
    assert {"200", "401", "404"} <= set(operation["responses"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/ReportStatus"}
    for code in ("401", "404"):
        body = operation["responses"][code]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ErrorBody"}
        assert operation["responses"][code]["description"]
    headers = {p["name"].lower() for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"x-api-key", "authorization"}
    schemas = doc["components"]["schemas"]
    status = schemas["ReportStatus"]
    assert set(status["properties"]["state"]["enum"]) == {
        "accepted", "rejected", "ignored", "held", "routed", "delivered", "acknowledged", "closed",
    }  # fmt: skip
    for name in ("ReportStatus", "AlertStatus", "Deliveries", "Acknowledged", "Team"):
        for prop, spec in schemas[name]["properties"].items():
            described = "description" in spec or "$ref" in spec or "anyOf" in spec
            assert described, f"{name}.{prop} has no description"
    assert schemas["Deliveries"]["properties"]["delivered"]["examples"] == [2]
    [example] = status["examples"]
    assert ReportStatus.model_validate(example).state == "acknowledged"  # a valid example
    # nothing in the contract names a person
    every = " ".join(prop for schema in schemas.values() for prop in schema.get("properties", {}))
    for personal in ("member", "phone", "name_of", "passport", "full_name", "reporter"):
        assert personal not in every


async def test_refusals_without_a_database(app: FastAPI) -> None:
    key = report_ids.derive_key(ConsoleSettings().secret_key.get_secret_value())
    theirs = report_ids.issue(str(ULID()), "polres-tanbu", key)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        missing = await client.get(f"/v1/reports/{theirs}")
        assert missing.status_code == 401
        assert missing.json()["error"] == "unauthorized"
        wrong = await client.get(f"/v1/reports/{theirs}", headers={"X-API-Key": "nope"})
        assert wrong.status_code == 401
        apoa = {"X-API-Key": "dev-key-apoa"}
        answers = [
            await client.get(f"/v1/reports/{rid}", headers=apoa)
            for rid in (theirs, str(ULID()), "not-an-id", "0" * 40)
        ]
        assert {a.status_code for a in answers} == {404}
        assert len({a.text for a in answers}) == 1  # another source's id reads as unknown
        bearer = await client.get(
            f"/v1/reports/{theirs}", headers={"Authorization": "Bearer dev-key-apoa"}
        )
        assert (bearer.status_code, bearer.text) == (404, answers[0].text)
