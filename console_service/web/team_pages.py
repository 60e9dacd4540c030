"""The directory in the console: teams inside the user's scopes, their members (contacts
masked) and who is on duty now, and the team's roster (piket): weekly slots and
overrides (leave, swaps), edited by operators, audited. notify reads the same roster
(:func:`shared.roster.staffed`) when it plans the next alert's deliveries."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from console_service.web import queries
from console_service.web.kit import Kit
from shared.directory import set_roster
from shared.pii import mask_email, mask_phone
from shared.roster import staffed
from shared.schemas import Roster, RosterOverride, RosterSlot, Team, utcnow

WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def member_rows(team: Team, now: datetime) -> list[dict[str, Any]]:
    duty = {m.member_id: m.on_duty for m in staffed(team, now).members}
    return [
        {
            "member_id": m.member_id,
            "role": m.role or "",
            "phone": mask_phone(m.phone) or "",
            "email": mask_email(m.email) or "",
            "channels": [c.value for c in m.channels],
            "on_duty": duty[m.member_id],
        }
        for m in team.members
    ]


def edited(roster: Roster, form: dict[str, Any], members: set[str]) -> Roster:
    """The roster after one form's edit (ValueError: the form is not valid)."""
    op = form.get("op")
    slots, overrides = list(roster.slots), list(roster.overrides)
    member = str(form.get("member_id") or "")
    if op in ("add_slot", "add_override") and member not in members:
        raise ValueError("unknown member")
    try:
        if op == "add_slot":
            slots.append(
                RosterSlot(
                    weekday=int(form["weekday"]),
                    start=time.fromisoformat(str(form["start"])),
                    end=time.fromisoformat(str(form["end"])),
                    member_id=member,
                )
            )
        elif op == "add_override":
            zone = ZoneInfo(roster.tz)
            starts = datetime.fromisoformat(str(form["starts_at"])).replace(tzinfo=zone)
            ends = datetime.fromisoformat(str(form["ends_at"])).replace(tzinfo=zone)
            if ends <= starts:
                raise ValueError("the end is before the start")
            overrides.append(
                RosterOverride(
                    member_id=member,
                    starts_at=starts,
                    ends_at=ends,
                    on_duty=form.get("on_duty") == "1",
                    note=str(form.get("note") or "")[:200] or None,
                )
            )
        elif op == "remove_slot":
            del slots[int(form["index"])]
        elif op == "remove_override":
            del overrides[int(form["index"])]
        else:
            raise ValueError("unknown edit")
    except (KeyError, IndexError, ValidationError) as exc:
        raise ValueError(str(exc)) from exc
    return roster.model_copy(update={"slots": slots, "overrides": overrides})


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/teams")
    async def team_list(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            teams = await queries.teams(session=session, who=who)
        now = utcnow()
        rows = [(t, sum(m.on_duty for m in staffed(t, now).members), len(t.members)) for t in teams]
        return kit.render(request, "teams.html", who, rows=rows)

    @router.get("/teams/{team_id}")
    async def team_page(request: Request, team_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:
                return kit.not_found(request, who)
        roster = team.roster or Roster()
        zone = ZoneInfo(roster.tz)
        return kit.render(
            request,
            "team.html",
            who,
            team=team,
            members=member_rows(team, utcnow()),
            roster=roster,
            has_roster=team.roster is not None,
            weekdays=WEEKDAYS,
            local=lambda at: at.astimezone(zone).strftime("%d-%m %H:%M"),
            flash=request.query_params.get("done"),
        )

    @router.post("/teams/{team_id}/roster")
    async def roster_edit(request: Request, team_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:
                return kit.not_found(request, who)
            form = dict(await request.form())
            if form.get("op") == "clear":
                roster = None
            else:
                try:
                    roster = edited(
                        team.roster or Roster(), form, {m.member_id for m in team.members}
                    )
                except ValueError:
                    return kit.error(request, who, 400, "roster_invalid")
            await set_roster(session, team_id, roster)
            kit.audit(session, request, who, "roster_edit", team_id, op=str(form.get("op")))
        return RedirectResponse(f"/teams/{team_id}?done=roster_saved", status_code=303)

    return router
