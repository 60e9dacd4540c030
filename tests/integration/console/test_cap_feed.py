"""The CAP 1.2 feed for other agencies on real PostgreSQL (the console over HTTP): office
A's key reads A's open alerts, each entry a CAP 1.2 alert valid against the OASIS schema
(tests/samples/cap12/CAP-v1.2.xsd), and nothing of office B's; B's feed, or an office
that does not exist, is 404 for A's key, no key or a wrong one 401; a new version of an
alert is an Update referencing the message the agency saw before, a closed one a Cancel
referencing the last version, dropped once CONSOLE_FEED_CANCEL_KEEP_HOURS have passed.
No personal data in any answer."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest
import xmlschema

from console_service.cap_feed import ATOM_NS, CAP_NS
from console_service.feed_keys import new_entry
from notify_service.models import AlertVersionRow
from routing_service.models import AlertRow
from shared.db import make_engine, make_sessionmaker, transaction
from shared.offices import Office, replace_offices
from shared.schemas import utcnow
from tests.integration.console.conftest import PASSPORT_A, Console, routed_alert
from tests.pii_scan import Submitted
from tests.rows import seed_alert

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SCHEMA = xmlschema.XMLSchema(Path(__file__).resolve().parents[2] / "samples/cap12/CAP-v1.2.xsd")
A, B = "key-of-polres-tanbu", "key-of-polresta-banjarmasin"
OFFICES = [
    Office(id="batulicin", name="Kantor Imigrasi Batulicin", home_area=["63.10", "63.02"],
           fallback_team="timpora-63.10"),
    Office(id="banjarmasin", name="Kantor Imigrasi Banjarmasin", home_area=["63.71"],
           fallback_team="timpora-63"),
]  # fmt: skip
ATOM, CAP = f"{{{ATOM_NS}}}", f"{{{CAP_NS}}}"
FEED_A = "/v1/feeds/batulicin/cap.atom"


def entries(response: httpx.Response) -> dict[str, ET.Element]:
    """The feed's CAP alerts by alert id (``incidents``), each validated against the XSD."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    out = {}
    for item in feed.findall(f"{ATOM}entry"):
        content = item.find(f"{ATOM}content")
        assert content is not None
        assert content.get("type") == "application/cap+xml"
        [cap] = list(content)
        SCHEMA.validate(cap)
        alert_id = cap.findtext(f"{CAP}incidents")
        assert alert_id
        assert item.findtext(f"{ATOM}id") == f"urn:timpora:alert:{alert_id}"
        out[alert_id] = cap
    return out


def field(cap: ET.Element, name: str) -> str:
    return cap.findtext(f"{CAP}{name}") or ""


def reference_of(cap: ET.Element) -> str:
    """How a later message names this one in ``references``: sender,identifier,sent."""
    return f"{field(cap, 'sender')},{field(cap, 'identifier')},{field(cap, 'sent')}"


async def change(database_url: str, alert_id: str, **values: object) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        row = await session.get(AlertRow, alert_id)
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
    await engine.dispose()


async def new_version(database_url: str, alert_id: str, version: int, at: datetime) -> None:
    """Routing's next version of the alert (routed at ``at``), and notify's stored copy."""
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        row = await session.get(AlertRow, alert_id)
        assert row is not None
        payload = dict(row.last_payload) | {"version": version, "routed_at": at.isoformat()}
        row.version, row.updated_at, row.last_payload = version, at, payload
        row.occurrence_count += 1
        session.add(
            AlertVersionRow(
                alert_id=alert_id, version=version, reason="update", level=row.level,
                severity=row.severity, jurisdiction_code=row.jurisdiction_code, payload=payload,
            )
        )  # fmt: skip
    await engine.dispose()


async def seed_offices(database_url: str) -> None:
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await replace_offices(session, OFFICES)
    await engine.dispose()


async def test_an_office_feed_for_its_agencies_only(
    console_factory: Callable[..., AbstractAsyncContextManager[Console]],
    database_url: str,
    tmp_path: Path,
) -> None:
    keys = tmp_path / "feed_keys.yaml"
    keys.write_text(
        "subscribers:\n"
        + new_entry("polres-tanbu", "batulicin", A, "Polres Tanah Bumbu")
        + new_entry("polresta-banjarmasin", "banjarmasin", B, "")
    )
    await seed_offices(database_url)
    kotabaru = routed_alert("63.02.01", "X9988776", "Li Wei Chen")
    muted = routed_alert("63.10.04", "M1122334", "Tran Thi Mai")
    old = routed_alert("63.10.01", "Q5566778", "Zhang San Feng")
    for extra in (kotabaru, muted, old):
        await seed_alert(database_url, extra)
    await change(database_url, muted.alert_id, status="muted")
    await change(
        database_url, old.alert_id, status="closed", closed_at=utcnow() - timedelta(hours=30)
    )
    async with console_factory(feed_keys_file=keys) as console:
        first = alert_a = console.alerts["batulicin"]
        feed = entries(await console.client.get(FEED_A, headers={"X-API-Key": A}))
        # A's open alerts, every one; not the muted one, not B's, not the one closed long ago
        assert set(feed) == {alert_a, kotabaru.alert_id}
        v1 = feed[alert_a]
        assert (field(v1, "msgType"), field(v1, "status"), field(v1, "scope")) == (
            "Alert", "Actual", "Restricted",
        )  # fmt: skip
        assert field(v1, "sender") == "batulicin@timpora.local"
        area = v1.find(f"{CAP}info/{CAP}area")
        assert area is not None
        assert area.findtext(f"{CAP}areaDesc", "").startswith("Simpang Empat, ")
        assert area.findtext(f"{CAP}geocode/{CAP}valueName") == "KEMENDAGRI"
        assert area.findtext(f"{CAP}geocode/{CAP}value") == "63.10.06"

        # who may read: A's key A's feed only; the same 404 for B's feed and for no office
        client = console.client
        assert (await client.get(FEED_A)).status_code == 401
        assert (await client.get(FEED_A, headers={"X-API-Key": "guess"})).status_code == 401
        bearer = await client.get(FEED_A, headers={"Authorization": f"Bearer {A}"})
        assert set(entries(bearer)) == set(feed)
        for path, key in (
            ("/v1/feeds/banjarmasin/cap.atom", A),
            ("/v1/feeds/nowhere/cap.atom", A),
            (FEED_A, B),
        ):
            refused = await client.get(path, headers={"X-API-Key": key})
            assert refused.status_code == 404, path
            assert "not_found" in refused.text
        feed_b = entries(
            await client.get("/v1/feeds/banjarmasin/cap.atom", headers={"X-API-Key": B})
        )
        assert set(feed_b) == {console.alerts["banjarmasin"]}

        # a second report updates the alert: an Update naming the message seen before
        at2 = utcnow() + timedelta(seconds=2)
        await new_version(database_url, first, 2, at2)
        v2 = entries(await client.get(FEED_A, headers={"X-API-Key": A}))[first]
        assert (field(v2, "msgType"), field(v2, "references")) == ("Update", reference_of(v1))
        assert field(v2, "identifier").endswith("-v2")
        at3 = at2 + timedelta(seconds=3)
        await new_version(database_url, first, 3, at3)
        v3 = entries(await client.get(FEED_A, headers={"X-API-Key": A}))[first]
        assert (field(v3, "msgType"), field(v3, "references")) == ("Update", reference_of(v2))

        # closed: a Cancel of the last version, then gone once the keep time has passed
        await change(database_url, first, status="closed", closed_at=utcnow())
        now_feed = entries(await client.get(FEED_A, headers={"X-API-Key": A}))
        cancel = now_feed[first]
        assert (field(cancel, "msgType"), field(cancel, "references")) == (
            "Cancel", reference_of(v3),
        )  # fmt: skip
        assert set(now_feed) == {first, kotabaru.alert_id}
        await change(database_url, first, closed_at=utcnow() - timedelta(hours=25))
        later = await client.get(FEED_A, headers={"X-API-Key": A})
        assert set(entries(later)) == {kotabaru.alert_id}

        # no personal data in any answer: names and passports of every seeded report
        submitted = Submitted()
        for routed in (kotabaru, muted, old, routed_alert("63.10.06", PASSPORT_A)):
            submitted.add(routed.model_dump(mode="json"))
        bodies = [r.text for r in (bearer, later)] + [ET.tostring(c, "unicode") for c in (
            v1, v2, v3, cancel, *feed_b.values())]  # fmt: skip
        assert submitted.hits("cap feed", bodies) == []
