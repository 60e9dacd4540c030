"""The member page over the whole pipeline (real Kafka and PostgreSQL, fake providers):
a report → the Camat's SMS with its link → the page, masked → a one-time code that notify
sends to the Camat's own phone (counted at the fake Kannel) → full details, once, audited;
closing the alert or leaving the team revokes the link."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from console_service.web.models import AuditEntry
from devtools.base import Received
from notify_service.signing import verify_token
from shared import topics
from shared.db import make_engine, make_sessionmaker, transaction
from shared.directory import all_teams, replace_directory
from shared.kafka import Outgoing, dumps, make_broker, publish_all
from shared.schemas import Member, StepUpRequested
from shared.settings import NotifySettings, Settings
from tests.e2e.conftest import Scan
from tests.kafkautil import wait_for
from tests.member_page import REQUEST_ID, MemberPages, member_pages, token_in

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
KANIM = {"X-API-Key": "dev-key-kanim"}
PASSPORT = "E12345678"
CAMAT_PHONE = "+6281200000021"  # m0021, Camat of Simpang Empat (SMS first)
TEAM = "timpora-63.10.06"
CODE = re.compile(r"Kode (\d{6}) untuk melihat data lengkap")


def report() -> dict[str, object]:
    return {
        "category": "overstay",
        "severity": "medium",
        "location": {"kecamatan_code": "63.10.06"},
        "subjects": [
            {"full_name": "Wang Lei Ming", "nationality": "CHN", "passport_number": PASSPORT}
        ],
    }


def codes(sms: list[Received]) -> list[str]:
    return [m[1] for r in sms if r.to == CAMAT_PHONE and (m := CODE.search(r.text))]


async def audit_of(database_url: str, member_id: str) -> list[tuple[str, str | None]]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.username == f"member:{member_id}")
            .order_by(AuditEntry.id)
        )
        out = [(r.action, r.target) for r in rows]
    await engine.dispose()
    return out


async def ask_code(member: MemberPages, token: str) -> str:
    asked = await member.post(token, "code")
    assert asked.status_code == 200, asked.text
    found = REQUEST_ID.search(asked.text)
    assert found
    return found[1]


async def test_the_link_shows_the_alert_masked_and_full_details_after_a_code_to_the_members_phone(
    pipeline_factory,  # type: ignore[no-untyped-def]
    no_passport_in_logs: Scan,
) -> None:
    scan = no_passport_in_logs
    async with asynccontextmanager(pipeline_factory)() as p, member_pages() as member:
        accepted = await p.ingest.post("/v1/reports", json=report(), headers=KANIM)
        assert accepted.status_code == 202, accepted.text
        sms = lambda: p.sinks.by_channel("sms")  # noqa: E731
        await wait_for(lambda: arrived(lambda: any(r.to == CAMAT_PHONE for r in sms())))
        alert_sms = next(r for r in sms() if r.to == CAMAT_PHONE)
        token = token_in(alert_sms.text)

        page = await member.open(token)
        assert page.status_code == 200
        assert PASSPORT not in page.text
        assert "Wang Lei Ming" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        forged = await member.client.post(f"/a/{token}/code", data={"csrf": "guess"})
        assert forged.status_code == 403  # no code without the page's CSRF token

        request_id = await ask_code(member, token)
        await wait_for(lambda: arrived(lambda: len(codes(sms())) == 1), timeout=20)
        (code,) = codes(sms())
        wrong = "000000" if code != "000000" else "111111"
        refused = await member.post(token, "full", request_id=request_id, code=wrong)
        assert refused.status_code == 403
        assert "Kode salah" in refused.text
        assert PASSPORT not in refused.text

        full = await member.post(token, "full", request_id=request_id, code=code)
        assert full.status_code == 200
        assert PASSPORT in full.text
        assert "Wang Lei Ming" in full.text
        again = await member.post(token, "full", request_id=request_id, code=code)
        assert again.status_code == 403  # one-time
        assert PASSPORT not in again.text

        # a redelivered request sends no second code: publish it again, then a new request
        # behind it on the same partition (keyed by member); only the new one's code comes
        alert_id = claims(token)[0]
        duplicate = StepUpRequested(
            request_id=request_id, alert_id=alert_id, member_id="m0021", team_id=TEAM
        )
        await publish(p.settings, duplicate)
        await ask_code(member, token)
        await wait_for(lambda: arrived(lambda: len(codes(sms())) == 2), timeout=20)
        assert await audit_of(p.database_url, "m0021") == [
            ("code_requested", alert_id),
            ("view_pii", alert_id),
            ("code_requested", alert_id),
        ]

        # leaving the team revokes the link; coming back restores it
        everyone = await set_members(p.database_url, [])
        await wait_for(lambda: _status(member, token, 410), timeout=10)
        await set_members(p.database_url, everyone)
        await wait_for(lambda: _status(member, token, 200), timeout=10)

        # closing the alert (on this page) revokes it for good
        closed = await member.post(token, "close", note="sudah diperiksa")
        assert "ditutup" in closed.text
        # the PII scanner over every page the link served: only the stepped-up one shows
        masked = [page.text, refused.text, again.text, closed.text]
        scan.leaks += scan.submitted.hits("member page", masked)
        assert scan.submitted.hits("stepped-up page", [full.text])  # it does see them
        await wait_for(lambda: _status(member, token, 410), timeout=20)
        assert len(codes(sms())) == 2  # nothing else was sent to the Camat's phone as a code


async def arrived(check: Callable[[], bool]) -> bool:
    return check()


async def _status(member: MemberPages, token: str, status: int) -> bool:
    return (await member.open(token)).status_code == status


def claims(token: str) -> tuple[str, str]:
    verified = verify_token(NotifySettings().secret_key.get_secret_value(), token)
    assert verified
    return verified


async def publish(settings: Settings, event: StepUpRequested) -> None:
    broker = make_broker(settings, client_id="test-redeliver")
    await broker.start()
    try:
        out = Outgoing(topics.MEMBERS_STEP_UP, event.member_id, dumps(event))
        await publish_all(broker, settings, [out])
    finally:
        await broker.stop()


async def set_members(database_url: str, members: list[Member]) -> list[Member]:
    """Give the Simpang Empat team ``members``; the members it had."""
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        teams = await all_teams(session)
        team = next(t for t in teams if t.team_id == TEAM)
        before, team.members = team.members, members
        await replace_directory(session, teams)
    await engine.dispose()
    return before
