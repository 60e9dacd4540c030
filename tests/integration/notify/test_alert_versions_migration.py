"""Migration 0011 on real PostgreSQL: the alerts that delivery rows held (one copy per
member and channel) become one stored version each, then the column goes; the downgrade
puts them back."""

from __future__ import annotations

import asyncio
import json

import pytest
from alembic import command
from sqlalchemy import text

from shared.db import alembic_config, make_engine, migrate

pytestmark = pytest.mark.postgres

INSERT = text(
    "INSERT INTO deliveries (delivery_id, alert_id, alert_version, report_id, team_id,"
    " member_id, channel, ack_code, status, attempts, fallback_channels, created_at,"
    " updated_at, alert, repeat) VALUES (:id, :alert_id, :version, 'R1', 'T1', :member, 'sms',"
    " 'K1', 'sent', 1, '[]', now(), now(), :alert, false)"
)


def payload(alert_id: str, version: int) -> str:
    return json.dumps(
        {"alert_id": alert_id, "version": version, "reason": "update" if version > 1 else "new",
         "level": "kecamatan", "severity": "high", "jurisdiction_code": "63.10.04",
         "jurisdiction_name": "Satui", "report": {"subjects": [{"passport_number": "E1"}]}}
    )  # fmt: skip


async def test_each_version_is_kept_once_and_the_copies_go(database_url: str) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0010")
    engine = make_engine(database_url)
    rows = [
        {"id": f"D{i}", "alert_id": "A1", "version": v, "member": m, "alert": payload("A1", v)}
        for i, (v, m) in enumerate([(1, "m1"), (1, "m2"), (1, "m3"), (2, "m1"), (2, "m2")])
    ]
    async with engine.begin() as conn:
        await conn.execute(INSERT, rows)
    await migrate(database_url)
    async with engine.connect() as conn:
        versions = (
            await conn.execute(
                text(
                    "SELECT version, reason, severity, jurisdiction_name, payload::text"
                    " FROM alert_versions ORDER BY version"
                )
            )
        ).all()
        columns = (
            await conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'deliveries'"
                )
            )
        ).scalars()
        assert "alert" not in set(columns)
    assert [v[:4] for v in versions] == [
        (1, "new", "high", "Satui"),
        (2, "update", "high", "Satui"),
    ]
    assert json.loads(versions[1][4])["version"] == 2

    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0010")
    async with engine.connect() as conn:
        back = (await conn.execute(text("SELECT delivery_id, alert::text FROM deliveries"))).all()
    assert {d: json.loads(a)["version"] for d, a in back} == {
        "D0": 1, "D1": 1, "D2": 1, "D3": 2, "D4": 2,
    }  # fmt: skip
    await engine.dispose()
