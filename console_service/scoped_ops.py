"""The CLI's data commands bound to the user's scopes (:mod:`console_service.cli_identity`):
the same rules and queries as the console's pages. Something outside the scopes reads as
unknown (None or nothing), never as "forbidden", so its existence does not leak."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from console_service.cli_identity import visible_alerts
from console_service.web import access, queries
from console_service.web.identity import Identity
from routing_service import store as routing_store
from shared.db import transaction
from shared.directory import MemberRow, TeamRow, replace_directory
from shared.schemas import ReportRejected, Team, utcnow
from shared.sources import KeyRegistry

Sessions = async_sessionmaker[AsyncSession]


def everywhere(who: Identity) -> bool:
    return access.ALL in who.scopes


async def delivery_rows(
    sessions: Sessions, who: Identity, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The delivery log's rows (``alert`` is "<id> v<version>") of alerts in scope."""
    if everywhere(who):
        return rows
    async with sessions() as session:
        shown = await visible_alerts(session, who, (r["alert"].split(" ")[0] for r in rows))
    return [r for r in rows if r["alert"].split(" ")[0] in shown]


async def report_in_scope(
    sessions: Sessions, who: Identity, story: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A report's story with only the alerts in scope; None when none is (a report that
    opened no alert, a dead letter: administrators of the whole country only)."""
    if story is None or everywhere(who):
        return story
    ids = [e["alert_id"] for e in story["fate"] if e.get("alert_id")]
    async with sessions() as session:
        shown = await visible_alerts(session, who, ids)
    fate = [e for e in story["fate"] if e.get("alert_id") in shown]
    return {**story, "fate": fate} if fate else None


def sources_registry() -> KeyRegistry:
    """The sources' key file the console reads (``CONSOLE_SOURCES_FILE``): home areas."""
    path = Path(os.environ.get("CONSOLE_SOURCES_FILE", "config/api_keys.yaml"))
    return KeyRegistry.from_file(path, production=os.environ.get("TIMPORA_ENV") == "production")


def rejections_in_scope(
    who: Identity, rejections: Sequence[ReportRejected]
) -> list[ReportRejected]:
    if everywhere(who):
        return list(rejections)
    registry = sources_registry()
    out = []
    for rejection in rejections:
        source = registry.source(rejection.source)
        if access.source_in_scope(who.scopes, source.home_area if source else ()):
            out.append(rejection)
    return out


async def teams_in_scope(sessions: Sessions, who: Identity) -> list[Team]:
    async with sessions() as session:
        return await queries.teams(session=session, who=who)


async def import_teams(sessions: Sessions, who: Identity, teams: list[Team]) -> int:
    """Replace the user's part of the directory with ``teams`` (all inside the scopes):
    the teams of other areas, another office's, stay as they are."""
    outside = [t.team_id for t in teams if not access.covers(who.scopes, t.jurisdiction_code)]
    if outside:
        raise ValueError(f"teams outside your area: {', '.join(outside[:10])}")
    async with transaction(sessions) as session:
        if everywhere(who):
            return await replace_directory(session, teams)
        mine = select(TeamRow.team_id).where(queries.scoped(TeamRow.jurisdiction_code, who.scopes))
        ids = list(await session.scalars(mine))
        taken = await session.scalars(
            select(TeamRow.team_id).where(
                TeamRow.team_id.in_([t.team_id for t in teams]), TeamRow.team_id.not_in(ids)
            )
        )
        if clash := list(taken):
            raise ValueError(f"team ids used by another area: {', '.join(clash[:10])}")
        await session.execute(delete(MemberRow).where(MemberRow.team_id.in_(ids)))
        await session.execute(delete(TeamRow).where(TeamRow.team_id.in_(ids)))
        return await replace_directory(session, teams, replace=False)


async def silences_in_scope(
    sessions: Sessions, who: Identity, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Silences whose place lies inside the scopes (one without a place: "*" only)."""
    if everywhere(who):
        return rows
    async with sessions() as session:
        silences = await routing_store.list_silences(
            session=session, now=utcnow(), include_expired=True
        )
    prefix = {s.id: (s.matchers or {}).get("jurisdiction_prefix") for s in silences}
    return [r for r in rows if access.silence_in_scope(who.scopes, prefix.get(r["id"]))]


async def silence_visible(sessions: Sessions, who: Identity, silence_id: str) -> bool:
    """Whether the user may expire this silence (an unknown id reads as not visible)."""
    return bool(await silences_in_scope(sessions, who, [{"id": silence_id}]))
