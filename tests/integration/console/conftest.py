"""The console on real PostgreSQL and Kafka, driven over HTTP (httpx on the ASGI app);
two offices, each with alerts of its own area."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx
import pytest

from console_service.web.app import create_app
from console_service.web.identity import add_user
from shared.db import make_engine, make_sessionmaker, transaction
from shared.schemas import AlertRouted, Location, PlaceResolution, Report, Subject, new_id
from shared.settings import ConsoleSettings, Settings
from tests.rows import seed_alert

PASSWORD = "correct horse battery"
USERS = {  # username: (role, office, scopes)
    "ops-a": ("operator", "batulicin", ["63.10", "63.02"]),
    "view-a": ("viewer", "batulicin", ["63.10", "63.02"]),
    "ops-b": ("operator", "banjarmasin", ["63.71"]),
}
PASSPORT_A = "C7654321"


@dataclass
class Console:
    client: httpx.AsyncClient
    settings: ConsoleSettings
    database_url: str
    alerts: dict[str, str]  # office → alert id of an open alert in its area

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
        return await self.client.post(
            "/login", data={"username": username, "password": password, "csrf": csrf}
        )

    async def csrf(self) -> str:
        page = await self.client.get("/")
        return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]


def routed_alert(code: str, passport: str, name: str = "Nguyen Van An") -> AlertRouted:
    report = Report(
        source="kanim-batulicin",
        category="overstay",
        severity="medium",
        location=Location(kecamatan_code=code),
        resolution=PlaceResolution(code=code, routing_code=code, confidence=1.0, method="code"),
        subjects=[Subject(full_name=name, nationality="VNM", passport_number=passport)],
        text=f"Orang asing {name} paspor {passport} melewati izin tinggal.",
    )
    return AlertRouted(
        alert_id=new_id(),
        report_id=report.report_id,
        report_ids=[report.report_id],
        team_id=f"timpora-{code}",
        level="kecamatan",
        jurisdiction_code=code,
        matched_rules=["default"],
        reason="new",
        category="overstay",
        severity="medium",
        ack_code="K7Q2",
        report=report,
    )


@pytest.fixture
def console_factory(
    kafka_settings: Settings, database_url: str
) -> Callable[..., AbstractAsyncContextManager[Console]]:
    """Start the console app (settings ``overrides`` by field name) with the users and
    alerts above; ``async with console_factory() as c``."""

    @contextlib.asynccontextmanager
    async def start(**overrides: object) -> AsyncIterator[Console]:
        settings = ConsoleSettings(
            KAFKA_BOOTSTRAP_SERVERS=kafka_settings.kafka_bootstrap_servers,
            TIMPORA_TOPIC_PREFIX=kafka_settings.topic_prefix,
            DATABASE_URL=database_url,
            TIMPORA_ENV="test",
            **overrides,
        )
        engine = make_engine(database_url)
        async with transaction(make_sessionmaker(engine)) as session:
            for username, (role, office, scopes) in USERS.items():
                await add_user(
                    session=session,
                    username=username,
                    password=PASSWORD,
                    role=role,
                    office=office,
                    scopes=scopes,
                )
        await engine.dispose()
        alerts = {
            "batulicin": routed_alert("63.10.06", PASSPORT_A),
            "banjarmasin": routed_alert("63.71.01", "E12345678", "Wang Lei"),
        }
        for alert in alerts.values():
            await seed_alert(database_url, alert)
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://console"
            ) as client,
        ):
            yield Console(
                client, settings, database_url, {k: a.alert_id for k, a in alerts.items()}
            )

    return start


@pytest.fixture
async def console(
    console_factory: Callable[..., AbstractAsyncContextManager[Console]],
) -> AsyncIterator[Console]:
    async with console_factory() as c:
        yield c
