"""The directory in the console: teams inside the user's scopes, their members (contacts
masked) and who is on duty now, and the team's roster (piket): weekly slots and
overrides (leave, swaps), edited by operators, audited. notify reads the same roster
(:func:`shared.roster.staffed`) when it plans the next alert's deliveries.

Members are added, edited and removed here too (operators and administrators of the
team's area; the form in :mod:`member_form`): the edit form shows the member's personal
data in full, so opening it is audited (``view_pii``), and so is every change
(``member_add``, ``member_edit`` with the names of the changed fields, ``member_remove``;
never the values). Removing a member takes them out of the roster as well."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from console_service.web import queries
from console_service.web.identity import Identity
from console_service.web.kit import Kit
from console_service.web.member_form import (
    CHANNEL_CHOICES,
    CHANNEL_OF,
    MemberForm,
    changed_fields,
    form_of,
    parsed,
)
from shared.directory import (
    new_member_id,
    remove_member,
    set_group_chat,
    set_roster,
    upsert_member,
)
from shared.pii import mask_email, mask_phone
from shared.roster import staffed
from shared.schemas import Member, Roster, RosterOverride, RosterSlot, Team, utcnow

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


def with_group(team: Team, text: str) -> Team:
    """The team with the Telegram group a form names (empty: none), checked by the
    directory's own schema (ValueError with the reason)."""
    try:
        return Team.model_validate(
            {**team.model_dump(), "telegram_group_chat_id": text.strip() or None}
        )
    except ValidationError as exc:
        reasons = (e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise ValueError("; ".join(reasons)) from None


def member_in(team: Team, member_id: str) -> Member | None:
    return next((m for m in team.members if m.member_id == member_id), None)


async def form_fields(request: Request) -> tuple[dict[str, str], list[str]]:
    """The member form's text fields and its ordered channel choices."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return fields, [c for c in form.getlist("channels") if isinstance(c, str)]


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def member_form(
        request: Request,
        who: Identity,
        team: Team,
        form: MemberForm,
        member_id: str | None,
        status_code: int = 200,
    ) -> HTMLResponse:
        return kit.render(
            request,
            "team_member.html",
            who,
            status_code,
            team=team,
            form=form,
            member_id=member_id,
            choices=CHANNEL_CHOICES,
            channel_of=CHANNEL_OF,
        )

    @router.get("/teams")
    async def team_list(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (session, who):
            teams = await queries.teams(session=session, who=who)
        now = utcnow()
        rows = [(t, sum(m.on_duty for m in staffed(t, now).members), len(t.members)) for t in teams]
        return kit.render(request, "teams.html", who, rows=rows)

    def team_view(
        request: Request,
        who: Identity,
        team: Team,
        group_error: tuple[str, str] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        roster = team.roster or Roster()
        zone = ZoneInfo(roster.tz)
        return kit.render(
            request,
            "team.html",
            who,
            status_code,
            team=team,
            members=member_rows(team, utcnow()),
            roster=roster,
            has_roster=team.roster is not None,
            weekdays=WEEKDAYS,
            local=lambda at: at.astimezone(zone).strftime("%d-%m %H:%M"),
            flash=request.query_params.get("done"),
            group_error=group_error,  # (what was typed, why it is refused)
        )

    @router.get("/teams/{team_id}")
    async def team_page(request: Request, team_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:
                return kit.not_found(request, who)
        return team_view(request, who, team)

    @router.post("/teams/{team_id}/group")
    async def group_edit(request: Request, team_id: str) -> Response:
        """Name the team's Telegram group, or none: notify posts each alert version there
        once (README, *Team groups*); audited ``team_group`` with the group's id."""
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:
                return kit.not_found(request, who)
            typed = str((await request.form()).get("chat_id") or "")
            try:
                chat_id = with_group(team, typed).telegram_group_chat_id
            except ValueError as exc:
                return team_view(request, who, team, (typed, str(exc)), 422)
            await set_group_chat(session, team_id, chat_id)
            kit.audit(session, request, who, "team_group", team_id, chat_id=chat_id)
        return RedirectResponse(f"/teams/{team_id}?done=md_group_saved", status_code=303)

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

    @router.get("/teams/{team_id}/members/new")
    async def member_new(request: Request, team_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:
                return kit.not_found(request, who)
        if not who.may_act:
            return kit.error(request, who, 403, "read_only")
        return member_form(request, who, team, form_of(None), None)

    @router.get("/teams/{team_id}/members/{member_id}/edit")
    async def member_edit_form(request: Request, team_id: str, member_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            team = await queries.team(session=session, who=who, team_id=team_id)
            member = member_in(team, member_id) if team else None
            if team is None or member is None:
                return kit.not_found(request, who)
            if not who.may_act:
                return kit.error(request, who, 403, "read_only")
            kit.audit(session, request, who, "view_pii", team_id, member_id=member_id)
        return member_form(request, who, team, form_of(member), member_id)

    @router.post("/teams/{team_id}/members")
    async def member_add(request: Request, team_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None:
                return kit.not_found(request, who)
            member_id = await new_member_id(session)
            fields, channels = await form_fields(request)
            member, shown = parsed(fields, channels, member_id=member_id, stored=None)
            if member is None:
                return member_form(request, who, team, shown, None, 422)
            await upsert_member(session, team_id, member)
            kit.audit(session, request, who, "member_add", team_id, member_id=member_id)
        return RedirectResponse(f"/teams/{team_id}?done=md_added", status_code=303)

    @router.post("/teams/{team_id}/members/{member_id}")
    async def member_save(request: Request, team_id: str, member_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            team = await queries.team(session=session, who=who, team_id=team_id)
            stored = member_in(team, member_id) if team else None
            if team is None or stored is None:
                return kit.not_found(request, who)
            fields, channels = await form_fields(request)
            member, shown = parsed(fields, channels, member_id=member_id, stored=stored)
            if member is None:
                return member_form(request, who, team, shown, member_id, 422)
            await upsert_member(session, team_id, member)
            changed = changed_fields(stored, member)
            kit.audit(
                session, request, who, "member_edit", team_id, member_id=member_id, fields=changed
            )
        return RedirectResponse(f"/teams/{team_id}?done=md_saved", status_code=303)

    @router.post("/teams/{team_id}/members/{member_id}/remove")
    async def member_remove(request: Request, team_id: str, member_id: str) -> Response:
        async with kit.signed_in(request) as (session, who):
            if denied := await kit.refused(request, who):
                return denied
            team = await queries.team(session=session, who=who, team_id=team_id)
            if team is None or member_in(team, member_id) is None:
                return kit.not_found(request, who)
            roster = team.roster or Roster()
            slots = sum(s.member_id == member_id for s in roster.slots)
            overrides = sum(o.member_id == member_id for o in roster.overrides)
            await remove_member(session, team_id, member_id)
            kit.audit(
                session,
                request,
                who,
                "member_remove",
                team_id,
                member_id=member_id,
                slots=slots,
                overrides=overrides,
            )
        return RedirectResponse(f"/teams/{team_id}?done=md_removed", status_code=303)

    @router.get("/teams/{team_id}/members")
    @router.get("/teams/{team_id}/members/{member_id}")
    async def member_back(request: Request, team_id: str, member_id: str = "") -> Response:
        """A form's own URL asked again (the language links of a refused form): the team's
        page or the edit form, which check the session and the scopes themselves. Declared
        last, so that ``/members/new`` is matched first."""
        query = f"?{request.url.query}" if request.url.query else ""
        target = f"/teams/{team_id}/members/{member_id}/edit" if member_id else f"/teams/{team_id}"
        return RedirectResponse(target + query, status_code=303)

    return router
