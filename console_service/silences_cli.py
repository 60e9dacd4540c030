"""``timpora silences``: mute matching alerts until an expiry (with ``--as``, only inside
the user's area, as in the console)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from console_service import scoped_ops
from console_service.cli_identity import LOCAL as LOCAL_USER
from console_service.cli_kit import JsonOpt, console, emit, fail, run, who, with_sessions
from console_service.web import access

silences_app = typer.Typer(help="Mute matching alerts until an expiry.", no_args_is_help=True)


@silences_app.command("add")
def silences_add(
    comment: Annotated[str, typer.Option(help="Why (required).")],
    hours: Annotated[float, typer.Option(help="How long.")] = 4.0,
    jurisdiction: Annotated[str | None, typer.Option(help="Code prefix, e.g. 63.10.04")] = None,
    team: Annotated[str | None, typer.Option(help="Team id.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Category (repeatable).")] = None,
    created_by: Annotated[str, typer.Option(help="Operator name.")] = "operator",
) -> None:
    """Mute alerts matching every given matcher; they are still recorded."""
    from pydantic import ValidationError

    from console_service.silence_ops import add_silence

    user = who("silences_add", acts=True)
    if hours <= 0:
        fail("--hours must be positive")
    if not access.silence_in_scope(user.scopes, jurisdiction):
        fail("--jurisdiction must lie inside your area")
    if user is not LOCAL_USER:
        created_by = user.username
    try:
        silence_id = run(
            with_sessions(
                lambda s: add_silence(
                    s,
                    matchers={
                        "jurisdiction_prefix": jurisdiction,
                        "team_id": team,
                        "category": category,
                    },
                    duration=timedelta(hours=hours),
                    comment=comment,
                    created_by=created_by,
                )
            )
        )
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    except ValueError as exc:
        fail(str(exc))
    console.print(f"silence {silence_id} added (routing applies it within a second)")


@silences_app.command("list")
def silences_list(as_json: JsonOpt = False) -> None:
    """Active and expired silences."""
    from console_service.silence_ops import list_silences

    user = who("silences_list")

    async def scoped(sessions: Any) -> list[dict[str, Any]]:
        return await scoped_ops.silences_in_scope(sessions, user, await list_silences(sessions))

    emit(run(with_sessions(scoped)), as_json, "silences")


@silences_app.command("expire")
def silences_expire(silence_id: str) -> None:
    """End a silence now."""
    from console_service.silence_ops import expire_silence

    user = who("silences_expire", acts=True)

    async def scoped(sessions: Any) -> bool:
        if not await scoped_ops.silence_visible(sessions, user, silence_id):
            return False
        return await expire_silence(sessions, silence_id)

    if not run(with_sessions(scoped)):
        fail(f"no silence {silence_id}")
    console.print(f"silence {silence_id} expired")
