"""Region codes in the console (``/regions``): the decree the stored codes follow, the one
this console's data follows, the migrations applied so far, and the teams in the user's
scopes whose area code the data does not have (decided by the same pure
:func:`console_service.regions_status.region_status` as ``timpora regions status``).
Read-only: a migration is the CLI's (``docs/regions.md``). No personal data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from console_service.regions_plan import TeamRef
from console_service.regions_status import region_status
from console_service.web import queries
from console_service.web.kit import Kit
from shared.directory import TeamRow
from shared.jurisdiction import regions
from shared.region_versions import RegionVersion, current_decree

HISTORY = 20  # migrations shown, newest first


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/regions")
    async def region_page(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            stored = await current_decree(session)
            rows = await session.execute(
                select(TeamRow.team_id, TeamRow.name, TeamRow.jurisdiction_code)
                .where(queries.scoped(TeamRow.jurisdiction_code, who.scopes))
                .order_by(TeamRow.jurisdiction_code)
            )
            teams = [TeamRef(*row) for row in rows]
            history = list(
                await session.scalars(
                    select(RegionVersion).order_by(RegionVersion.id.desc()).limit(HISTORY)
                )
            )
        tree = regions()
        status = region_status(stored, tree.decree, teams, tree.exists, tree.former_name)
        return kit.render(
            request, "regions.html", who, status=status, teams=len(teams), history=history
        )

    return router
