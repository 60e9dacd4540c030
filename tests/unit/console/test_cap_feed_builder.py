"""The CAP 1.2 feed's pure builder (console_service/cap_feed.py): every field of a
message, the Alert -> Update -> Cancel sequence, what the feed lists, validity against the
OASIS CAP 1.2 schema (tests/samples/cap12/CAP-v1.2.xsd), ingest reading it back, and no
personal data; the feed keys and their production rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from pydantic import ValidationError

from console_service.cap_feed import (
    ATOM_NS,
    CAP_NS,
    CAP_SEVERITY,
    RESTRICTION,
    FeedAlert,
    FeedHeader,
    atom_feed,
    cap_alert,
    listed,
)
from console_service.feed_keys import DEV_FEED_KEYS, FeedKeyRegistry, new_entry, parse
from console_service.web.feed_store import _facts
from ingest_service.formats import SourceContext
from ingest_service.formats.cap import parse_cap
from routing_service.models import AlertRow
from shared.schemas import Category, Reporter, Severity
from shared.settings import ConsoleSettings
from tests.integration.console.conftest import routed_alert
from tests.pii_scan import Submitted
from tests.prod_env import production_env

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "samples" / "cap12" / "CAP-v1.2.xsd"
CAP = f"{{{CAP_NS}}}"
T0 = datetime(2025, 3, 1, 2, 0, 0, 250_000, tzinfo=UTC)
SENDER = "batulicin@timpora.local"
HEADER = FeedHeader("batulicin", "Kantor Imigrasi Batulicin", SENDER, "http://c/v1/feeds/x")


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(SCHEMA_FILE)


def alert(**values: object) -> FeedAlert:
    fields: dict[str, object] = {
        "alert_id": "01JNAQ7Z4F8W5V2K9T4M6R1B0D",
        "version": 1,
        "status": "open",
        "category": Category.overstay,
        "severity": Severity.medium,
        "level": "kecamatan",
        "jurisdiction_code": "63.10.04",
        "place_code": "63.10.04",
        "area_desc": "Satui, Kabupaten Tanah Bumbu, Kalimantan Selatan",
        "created_at": T0,
        "updated_at": T0,
        "people": 2,
        "nationalities": ("VNM", "CHN"),
    }
    return FeedAlert(**(fields | values))  # type: ignore[arg-type]


def text(element: ET.Element, path: str) -> str | None:
    return element.findtext(path.replace("cap:", CAP))


def test_a_first_version_is_an_alert_with_every_field(schema: xmlschema.XMLSchema) -> None:
    doc = cap_alert(alert(), sender=SENDER, sender_name="Kantor Imigrasi Batulicin")
    schema.validate(doc)
    assert text(doc, "cap:identifier") == "timpora-01JNAQ7Z4F8W5V2K9T4M6R1B0D-v1"
    assert text(doc, "cap:sender") == SENDER
    assert text(doc, "cap:sent") == "2025-03-01T02:00:00-00:00"  # UTC as CAP writes it
    assert text(doc, "cap:status") == "Actual"
    assert text(doc, "cap:msgType") == "Alert"
    assert text(doc, "cap:scope") == "Restricted"
    assert text(doc, "cap:restriction") == RESTRICTION
    assert doc.find(f"{CAP}references") is None
    assert text(doc, "cap:incidents") == "01JNAQ7Z4F8W5V2K9T4M6R1B0D"
    info = doc.find(f"{CAP}info")
    assert info is not None
    assert text(info, "cap:language") == "id-ID"
    assert text(info, "cap:category") == "Security"
    assert text(info, "cap:event") == "WNA overstay"
    assert (text(info, "cap:urgency"), text(info, "cap:severity")) == ("Expected", "Moderate")
    assert text(info, "cap:certainty") == "Likely"
    assert text(info, "cap:senderName") == "Kantor Imigrasi Batulicin"
    assert text(info, "cap:headline") == "WNA overstay: 2 WNA (VNM, CHN) di Satui"
    description = text(info, "cap:description") or ""
    assert "Satui, Kabupaten Tanah Bumbu" in description
    assert "2 orang asing, kewarganegaraan VNM, CHN" in description
    assert "belum diterima tim" in description
    assert text(info, "cap:area/cap:areaDesc") == (
        "Satui, Kabupaten Tanah Bumbu, Kalimantan Selatan"
    )
    assert text(info, "cap:area/cap:geocode/cap:valueName") == "KEMENDAGRI"
    assert text(info, "cap:area/cap:geocode/cap:value") == "63.10.04"


@pytest.mark.parametrize(
    ("ours", "cap"),
    [
        (Severity.critical, ("Extreme", "Immediate", "Observed")),
        (Severity.high, ("Severe", "Expected", "Likely")),
        (Severity.medium, ("Moderate", "Expected", "Likely")),
        (Severity.low, ("Minor", "Expected", "Possible")),
        (Severity.info, ("Unknown", "Unknown", "Possible")),
    ],
)
def test_severity_maps_to_caps_and_ingest_reads_it_back(
    ours: Severity, cap: tuple[str, str, str], schema: xmlschema.XMLSchema
) -> None:
    assert CAP_SEVERITY[ours] == cap
    doc = cap_alert(alert(severity=ours), sender=SENDER, sender_name="K")
    schema.validate(doc)
    info = doc.find(f"{CAP}info")
    assert info is not None
    got = (text(info, "cap:severity"), text(info, "cap:urgency"), text(info, "cap:certainty"))
    assert got == cap
    ctx = SourceContext(source="mitra", home_area=(), received_at=T0)
    [parsed] = parse_cap(ET.tostring(doc), ctx)
    assert parsed.report is not None, parsed.reasons
    assert parsed.report.severity == ours
    assert parsed.report.location.kecamatan_code == "63.10.04"
    assert parsed.report.upstream_ref == "timpora-01JNAQ7Z4F8W5V2K9T4M6R1B0D-v1"


def test_versions_update_with_references_then_cancel(schema: xmlschema.XMLSchema) -> None:
    v2_at, v3_at, closed = T0 + timedelta(minutes=5), T0 + timedelta(minutes=9), T0 + timedelta(1)
    v2 = cap_alert(alert(version=2, routed_at={2: v2_at}), sender=SENDER, sender_name="K")
    v3 = cap_alert(alert(version=3, routed_at={2: v2_at, 3: v3_at}), sender=SENDER, sender_name="K")
    cancel = cap_alert(
        alert(version=3, status="closed", closed_at=closed, routed_at={3: v3_at}),
        sender=SENDER,
        sender_name="K",
    )
    for doc in (v2, v3, cancel):
        schema.validate(doc)
    base = "timpora-01JNAQ7Z4F8W5V2K9T4M6R1B0D"
    assert (text(v2, "cap:msgType"), text(v2, "cap:identifier")) == ("Update", f"{base}-v2")
    assert text(v2, "cap:sent") == "2025-03-01T02:05:00-00:00"
    assert text(v2, "cap:references") == f"{SENDER},{base}-v1,2025-03-01T02:00:00-00:00"
    assert text(v3, "cap:references") == f"{SENDER},{base}-v2,2025-03-01T02:05:00-00:00"
    assert text(cancel, "cap:msgType") == "Cancel"
    assert text(cancel, "cap:identifier") == f"{base}-v3-cancel"
    assert text(cancel, "cap:sent") == "2025-03-02T02:00:00-00:00"
    assert text(cancel, "cap:references") == f"{SENDER},{base}-v3,2025-03-01T02:09:00-00:00"
    assert (text(cancel, "cap:info/cap:headline") or "").startswith("DITUTUP: ")


def test_an_update_whose_previous_version_is_unknown_references_the_first() -> None:
    doc = cap_alert(alert(version=4, routed_at={4: T0 + timedelta(1)}), sender="s", sender_name="K")
    assert text(doc, "cap:references") == (
        "s,timpora-01JNAQ7Z4F8W5V2K9T4M6R1B0D-v1,2025-03-01T02:00:00-00:00"
    )


def test_what_the_feed_lists() -> None:
    now, keep = T0 + timedelta(hours=30), timedelta(hours=24)
    assert listed(alert(status="open"), now, keep)
    assert listed(alert(status="acked", acked_at=T0), now, keep)
    assert listed(alert(status="closed", closed_at=now - timedelta(hours=23)), now, keep)
    assert not listed(alert(status="closed", closed_at=now - timedelta(hours=25)), now, keep)
    for status in ("muted", "inhibited", "digest", "digested"):
        assert not listed(alert(status=status), now, keep)


def test_the_atom_feed_holds_one_valid_cap_entry_per_listed_alert(
    schema: xmlschema.XMLSchema,
) -> None:
    alerts = [
        alert(alert_id="A1"),
        alert(alert_id="A2", version=2, routed_at={2: T0 + timedelta(minutes=1)}),
        alert(alert_id="A3", status="muted"),
        alert(alert_id="A4", status="closed", closed_at=T0 + timedelta(minutes=2)),
    ]
    feed = ET.fromstring(atom_feed(HEADER, alerts, now=T0 + timedelta(hours=1)))
    atom = f"{{{ATOM_NS}}}"
    assert feed.tag == f"{atom}feed"
    assert feed.findtext(f"{atom}id") == "urn:timpora:feed:batulicin:cap"
    assert feed.findtext(f"{atom}updated") == "2025-03-01T02:02:00Z"
    assert feed.find(f"{atom}link").attrib == {"rel": "self", "href": HEADER.self_url}  # type: ignore[union-attr]
    entries = feed.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}id") for e in entries] == [
        "urn:timpora:alert:A4",  # the latest change first
        "urn:timpora:alert:A2",
        "urn:timpora:alert:A1",
    ]
    types = []
    for item in entries:
        content = item.find(f"{atom}content")
        assert content is not None
        assert content.get("type") == "application/cap+xml"
        [doc] = list(content)
        schema.validate(doc)
        types.append(text(doc, "cap:msgType"))
    assert types == ["Cancel", "Update", "Alert"]


def test_no_personal_data_reaches_the_feed(schema: xmlschema.XMLSchema) -> None:
    routed = routed_alert("63.10.04", "C7654321", "Nguyen Van An")
    report = routed.report.model_copy(
        update={"reporter": Reporter(name="Siti Rahmawati", phone="+6281234567890")}
    )
    subject = report.subjects[0].model_copy(update={"date_of_birth": date(1990, 4, 17)})
    report = report.model_copy(update={"subjects": [subject]})
    payload = routed.model_copy(update={"report": report}).model_dump(mode="json")
    row = AlertRow(
        alert_id=routed.alert_id, team_id=routed.team_id, group_key="P:C7654321|63.10.04",
        level="kecamatan", jurisdiction_code="63.10.04", place_code="63.10.04",
        ack_code="K7Q2", version=1, occurrence_count=1, report_ids=routed.report_ids,
        matched_rules=["default"], severity="medium", category="overstay", status="open",
        window_ends_at=T0, created_at=T0, updated_at=T0, last_payload=payload,
        close_note="Nguyen Van An sudah dideportasi",
    )  # fmt: skip
    facts = _facts(row, {})
    assert (facts.people, facts.nationalities) == (1, ("VNM",))
    body = atom_feed(HEADER, [facts], now=T0).decode()
    for doc in ET.fromstring(body).iter(f"{CAP}alert"):
        schema.validate(doc)
    submitted = Submitted()
    submitted.add(payload)
    assert submitted.passports
    assert submitted.names
    assert submitted.hits("feed", [body]) == []
    for clear in ("Siti", "6281234567890", "1990", "K7Q2", "C7654321", "Nguyen", "paspor"):
        assert clear.lower() not in body.lower(), clear


def test_feed_keys_authenticate_and_development_keys_are_refused_in_production(
    tmp_path: Path,
) -> None:
    repository = Path(__file__).resolve().parents[3] / "config" / "feed_keys.yaml"
    registry = FeedKeyRegistry.from_file(repository)
    polres = registry.authenticate(DEV_FEED_KEYS[0])
    assert polres is not None
    assert polres.office == "batulicin"
    assert registry.authenticate("dev-feed-nobody") is None
    assert registry.authenticate(None) is None
    with pytest.raises(ValueError, match="development feed keys"):
        FeedKeyRegistry.from_file(repository, production=True)
    own = tmp_path / "feeds.yaml"
    own.write_text("subscribers:\n" + new_entry("polda-kalsel", "batulicin", "s3cret", "Polda"))
    [key] = parse(own.read_text())
    assert (key.subscriber, key.office, key.description) == ("polda-kalsel", "batulicin", "Polda")
    assert "s3cret" not in own.read_text()
    assert FeedKeyRegistry.from_file(own, production=True).authenticate("s3cret") == key
    with pytest.raises(ValueError, match="listed twice"):
        parse(own.read_text() + new_entry("polda-kalsel", "batulicin", "other", ""))
    with pytest.raises(ValidationError):
        new_entry("Polda Kalsel", "batulicin", "k", "")


def test_production_reads_only_an_explicit_feed_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("TIMPORA_SECRET_KEY", "p" * 40)
    monkeypatch.setenv("CONSOLE_SESSION_SECRET", "s" * 40)
    assert ConsoleSettings().feed_keys is None  # not named: nobody reads a feed
    own = tmp_path / "feeds.yaml"
    monkeypatch.setenv("CONSOLE_FEED_KEYS_FILE", str(own))
    assert ConsoleSettings().feed_keys == own
    repository = Path(__file__).resolve().parents[3] / "config" / "feed_keys.yaml"
    monkeypatch.setenv("CONSOLE_FEED_KEYS_FILE", str(repository))
    with pytest.raises(ValidationError, match="development keys"):
        ConsoleSettings()
    monkeypatch.setenv("TIMPORA_ENV", "test")
    assert ConsoleSettings().feed_keys == repository
