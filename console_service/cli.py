"""``timpora``: the operator's command line (topics, lag, dead letters, teams, routing...).

Every command reads the same settings as the services (``KAFKA_BOOTSTRAP_SERVERS``,
``DATABASE_URL``, ``TIMPORA_*``) and takes ``--json`` for scripts. Output never shows an
unmasked passport number or name.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from console_service import policy_ops, purge_ops, user_ops
from console_service.kafka_cli import (
    DEFAULT_SOURCES,
    SourcesOpt,
    kafka_app,
    registry,
    topics_app,
)
from console_service.kafka_ops import replay_target
from shared.pii import mask_original, mask_unknown_json
from shared.settings import Settings

app = typer.Typer(
    help="Operate the Timpora Alert Router: topics, consumer lag, dead letters, deliveries, "
    "teams, routing policy, silences and the retention of personal data.",
    no_args_is_help=True,
)
dlq_app = typer.Typer(
    help="Dead letters on reports.rejected: list, show, replay.", no_args_is_help=True
)
teams_app = typer.Typer(help="The teams directory (YAML import/export).", no_args_is_help=True)
route_app = typer.Typer(help="Routing policy tools.", no_args_is_help=True)
silences_app = typer.Typer(help="Mute matching alerts until an expiry.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
for sub, name in (
    (topics_app, "topics"),
    (kafka_app, "kafka"),
    (dlq_app, "deadletters"),
    (teams_app, "teams"),
    (route_app, "route"),
    (policy_ops.app, "policy"),
    (user_ops.app, "users"),
    (silences_app, "silences"),
    (db_app, "db"),
):
    app.add_typer(sub, name=name)

app.command("purge")(purge_ops.command)

console = Console()
T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def fail(message: str) -> NoReturn:
    """A clear one-line error and exit code 1, instead of a traceback."""
    console.print(f"[red]error:[/red] {message}", markup=True)
    raise typer.Exit(1)


def settings() -> Settings:
    return Settings()


def emit(rows: list[dict[str, Any]], as_json: bool, title: str = "") -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        console.print(f"[dim]{title}: nothing[/dim]")
        return
    table = Table(title=title or None)
    for column in rows[0]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)


async def _with_sessions(work: Callable[[Any], Awaitable[T]]) -> T:
    from shared.db import make_engine, make_sessionmaker

    engine = make_engine(settings().database_url)
    try:
        return await work(make_sessionmaker(engine))
    finally:
        await engine.dispose()


# --- topics, lag, tail -------------------------------------------------------------


@topics_app.command("list")
def topics_list(sources: SourcesOpt = DEFAULT_SOURCES, as_json: JsonOpt = False) -> None:
    """Topics with partitions, message counts (end - start offsets) and retention."""
    from console_service.kafka_ops import describe_topics

    names = [k.source for k in registry(sources).sources]
    emit(run(describe_topics(settings(), names)), as_json, "topics")


@app.command()
def lag(
    group: Annotated[str | None, typer.Option(help="Only this consumer group.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Consumer lag per group and partition (end offset - committed offset)."""
    from console_service.kafka_ops import consumer_lag

    emit(run(consumer_lag(settings(), group)), as_json, "consumer lag")


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="Topic name, e.g. alerts.routed")],
    count: Annotated[int, typer.Option("-n", help="How many of the latest records.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Show the latest records of a topic, personal data masked."""
    from console_service.kafka_ops import tail_topic

    emit(run(tail_topic(settings(), topic, count)), as_json, topic)


# --- dead letters --------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    count: Annotated[int, typer.Option("-n", help="How many of the latest.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Latest rejections: id, source, first reason, original topic."""
    from console_service.kafka_ops import read_rejections

    rows = [
        {
            "rejection_id": r.rejection_id,
            "received_at": r.received_at.isoformat(timespec="seconds"),
            "source": r.source,
            "format": r.source_format or "",
            "reason": f"{r.reasons[0].code}: {r.reasons[0].message}"[:80] if r.reasons else "",
            "replay_to": replay_target(r, None)[0] if r.original_b64 else "",
        }
        for r in run(read_rejections(settings(), count))
    ]
    emit(rows, as_json, "dead letters")


@dlq_app.command("show")
def dlq_show(rejection_id: str) -> None:
    """One rejection: every reason and the original bytes, masked (JSON by its keys and
    text, anything else as free text); never in clear (replay sends the bytes unchanged)."""
    from console_service.kafka_ops import find_rejection

    rejection = run(find_rejection(settings(), rejection_id))
    if rejection is None:
        fail(f"no rejection {rejection_id}")
    shown = mask_unknown_json(rejection.model_dump(mode="json", exclude={"original_b64"}))
    console.print_json(json.dumps(shown, ensure_ascii=False))
    if rejection.original_b64:
        raw = base64.b64decode(rejection.original_b64)
        console.print(mask_original(raw)[:4000], markup=False)


@dlq_app.command("replay")
def dlq_replay(
    rejection_id: str,
    topic: Annotated[str | None, typer.Option(help="Override the target topic.")] = None,
) -> None:
    """Publish the original bytes again after a fix; ingest input goes back to its
    source's reports.raw.<source>."""
    from console_service.kafka_ops import replay_rejection

    try:
        target = run(replay_rejection(settings(), rejection_id, topic))
    except LookupError as exc:
        fail(str(exc))
    console.print(f"replayed {rejection_id} to {target}")


# --- deliveries ------------------------------------------------------------------------


@app.command()
def deliveries(
    report: Annotated[str | None, typer.Option(help="Report id.")] = None,
    alert: Annotated[str | None, typer.Option(help="Alert id.")] = None,
    uncertain: Annotated[
        bool, typer.Option("--uncertain", help="Deliveries a stopped process may not have made.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log for a report or an alert, or every uncertain delivery."""
    from console_service.delivery_ops import delivery_log, uncertain_log

    if uncertain:
        emit(run(_with_sessions(uncertain_log)), as_json, "uncertain deliveries")
        return
    if not report and not alert:
        raise typer.BadParameter("give --report, --alert or --uncertain")
    rows = run(_with_sessions(lambda s: delivery_log(s, report_id=report, alert_id=alert)))
    emit(rows, as_json, "deliveries")


@app.command()
def report(
    report_id: Annotated[str, typer.Argument(help="The report id ingest returned.")],
    as_json: JsonOpt = False,
) -> None:
    """What became of a report: each alert it opened or updated (sent, muted, in a
    digest) with its deliveries per channel and status, the alerts it was a duplicate in,
    or its dead letter and why. Every routed report has one of these."""
    from console_service.report_ops import report_story, story_rows

    story = run(_with_sessions(lambda s: report_story(s, report_id)))
    if story is None:
        fail(f"routing has no report {report_id} (rejected by ingest, or not routed yet)")
    if as_json:
        emit([story], True)
        return
    emit(story_rows(story), False, f"report {report_id} (routed {story['routed_at']})")


# --- teams -----------------------------------------------------------------------------


@teams_app.command("import")
def teams_import(path: Path) -> None:
    """Replace the directory with a validated YAML file (e.g. config/teams.yaml)."""
    from shared.db import migrate, transaction
    from shared.directory import load_directory, replace_directory

    teams = load_directory(path)
    run(migrate(settings().database_url))

    async def work(sessions: Any) -> int:
        async with transaction(sessions) as session:
            return await replace_directory(session, teams)

    console.print(f"imported {run(_with_sessions(work))} teams")


@teams_app.command("export")
def teams_export() -> None:
    """Print the directory as YAML."""
    from shared.directory import all_teams, dump_directory

    async def work(sessions: Any) -> str:
        async with sessions() as session:
            return dump_directory(await all_teams(session))

    sys.stdout.write(run(_with_sessions(work)))


# --- routing ---------------------------------------------------------------------------


@route_app.command("explain")
def route_explain(
    report_file: Annotated[Path, typer.Argument(help="A canonical report (JSON)")],
    policy: Annotated[
        Path | None, typer.Option(help="Policy file (default: the service's)")
    ] = None,
    teams: Annotated[Path, typer.Option(help="Teams directory YAML")] = Path("config/teams.yaml"),
    as_json: JsonOpt = False,
) -> None:
    """Resolved jurisdiction, matched rules and target teams for a report, without Kafka."""
    from routing_service.explain import explain

    result = explain(report_file.read_bytes(), policy_file=policy, teams_file=teams)
    if as_json:
        sys.stdout.write(json.dumps(result, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    console.print(f"[bold]jurisdiction[/bold]: {result['resolution']}")
    for i, target in enumerate(result["targets"], 1):
        console.print(f"[bold]route {i}[/bold]")
        for key, value in target.items():
            console.print(f"  {key:<18} {value}")


# --- silences --------------------------------------------------------------------------


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

    if hours <= 0:
        fail("--hours must be positive")
    try:
        silence_id = run(
            _with_sessions(
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

    emit(run(_with_sessions(list_silences)), as_json, "silences")


@silences_app.command("expire")
def silences_expire(silence_id: str) -> None:
    """End a silence now."""
    from console_service.silence_ops import expire_silence

    if not run(_with_sessions(lambda s: expire_silence(s, silence_id))):
        fail(f"no silence {silence_id}")
    console.print(f"silence {silence_id} expired")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    from shared.db import migrate

    run(migrate(settings().database_url))
    console.print("database at head")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
