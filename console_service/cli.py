"""``timpora``: the operator's command line (topics, lag, dead letters, teams, routing...).

Every command reads the same settings as the services (``KAFKA_BOOTSTRAP_SERVERS``,
``DATABASE_URL``, ``TIMPORA_*``) and takes ``--json`` for scripts. Output never shows an
unmasked passport number or name. ``--as USER`` runs it as a console user, bound to their
area (:mod:`console_service.cli_identity`; required in production for data commands).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from console_service import policy_ops, purge_ops, scoped_ops, user_ops
from console_service.cli_identity import CliAs, Refused, start, use
from console_service.cli_kit import (
    JsonOpt,
    console,
    emit,
    fail,
    run,
    settings,
    who,
    with_sessions,
)
from console_service.directory_cli import directory_app
from console_service.feeds_cli import feeds_app
from console_service.kafka_cli import (
    DEFAULT_SOURCES,
    SourcesOpt,
    kafka_app,
    registry,
    topics_app,
)
from console_service.kafka_ops import replay_target
from console_service.offices_cli import offices_app
from console_service.regions_cli import regions_app
from console_service.silences_cli import silences_app
from console_service.sources_cli import sources_app
from console_service.teams_cli import teams_app
from console_service.web import access
from shared.pii import mask_original, mask_unknown_json

app = typer.Typer(
    help="Operate the Timpora Alert Router: topics, consumer lag, dead letters, deliveries, "
    "offices, teams, routing policy, silences and the retention of personal data.",
    no_args_is_help=True,
)
dlq_app = typer.Typer(
    help="Dead letters on reports.rejected: list, show, replay.", no_args_is_help=True
)
route_app = typer.Typer(help="Routing policy tools.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
for sub, name in (
    (topics_app, "topics"),
    (kafka_app, "kafka"),
    (dlq_app, "deadletters"),
    (teams_app, "teams"),
    (offices_app, "offices"),
    (regions_app, "regions"),
    (sources_app, "sources"),
    (feeds_app, "feeds"),
    (directory_app, "directory"),
    (route_app, "route"),
    (policy_ops.app, "policy"),
    (user_ops.app, "users"),
    (silences_app, "silences"),
    (db_app, "db"),
):
    app.add_typer(sub, name=name)

app.command("purge")(purge_ops.command)


@app.callback()
def root(
    ctx: typer.Context,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="TIMPORA_CLI_USER",
            help="Act as this console user (password asked for): every command then sees "
            "and changes only that user's area, and is audited. Required in production for "
            "alerts, reports, deliveries, dead letters, teams and silences.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the --as password from stdin.")
    ] = False,
) -> None:
    """Operate the Timpora Alert Router."""
    opts = CliAs(as_user, password_stdin)
    use(opts)
    try:
        start(settings(), opts, ctx.invoked_subcommand)
    except Refused as exc:
        fail(str(exc))


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

    scopes = who("tail").scopes
    rows = run(
        tail_topic(settings(), topic, count, keep=lambda v: access.record_in_scope(scopes, v))
    )
    emit(rows, as_json, topic)


# --- dead letters --------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    count: Annotated[int, typer.Option("-n", help="How many of the latest.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Latest rejections: id, source, first reason, original topic."""
    from console_service.kafka_ops import read_rejections

    user = who("deadletters_list")
    rows = [
        {
            "rejection_id": r.rejection_id,
            "received_at": r.received_at.isoformat(timespec="seconds"),
            "source": r.source,
            "format": r.source_format or "",
            "reason": f"{r.reasons[0].code}: {r.reasons[0].message}"[:80] if r.reasons else "",
            "replay_to": replay_target(r, None)[0] if r.original_b64 else "",
        }
        for r in scoped_ops.rejections_in_scope(user, run(read_rejections(settings(), count)))
    ]
    emit(rows, as_json, "dead letters")


@dlq_app.command("show")
def dlq_show(rejection_id: str) -> None:
    """One rejection: every reason and the original bytes, masked (JSON by its keys and
    text, anything else as free text); never in clear (replay sends the bytes unchanged)."""
    from console_service.kafka_ops import find_rejection

    user = who("deadletters_show")
    rejection = run(find_rejection(settings(), rejection_id))
    if rejection is None or not scoped_ops.rejections_in_scope(user, [rejection]):
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
    from console_service.kafka_ops import find_rejection, replay_rejection

    user = who("deadletters_replay", acts=True)
    found = run(find_rejection(settings(), rejection_id))
    if found is None or not scoped_ops.rejections_in_scope(user, [found]):
        fail(f"no rejection {rejection_id}")
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
    state: Annotated[
        str | None,
        typer.Option(
            help="Only this state: sent, delivered, read, failed, unconfirmed (provider "
            "reports), gave_up, skipped...; without --report/--alert: the newest in it."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log for a report or an alert, each delivery's state (sent, then
    delivered / read / failed as the provider reports, or unconfirmed); every uncertain
    delivery; or the newest deliveries in one state."""
    from console_service.delivery_ops import STATES, delivery_log, uncertain_log

    user = who("deliveries")

    async def scoped(sessions: Any) -> list[dict[str, Any]]:
        if uncertain:
            rows = await uncertain_log(sessions)
        else:
            rows = await delivery_log(sessions, report_id=report, alert_id=alert, state=state)
        return await scoped_ops.delivery_rows(sessions, user, rows)

    if state is not None and state not in STATES:
        raise typer.BadParameter(f"--state: one of {', '.join(STATES)}")
    if not uncertain and not report and not alert and not state:
        raise typer.BadParameter("give --report, --alert or --uncertain, or --state")
    emit(run(with_sessions(scoped)), as_json, "uncertain deliveries" if uncertain else "deliveries")


@app.command()
def report(
    report_id: Annotated[str, typer.Argument(help="The report id ingest returned.")],
    as_json: JsonOpt = False,
) -> None:
    """What became of a report: each alert it opened or updated (sent, muted, in a
    digest) with its deliveries per channel and status, the alerts it was a duplicate in,
    or its dead letter and why. Every routed report has one of these."""
    from console_service.report_ops import report_story, story_rows

    user = who("report")

    async def scoped(sessions: Any) -> dict[str, Any] | None:
        return await scoped_ops.report_in_scope(
            sessions, user, await report_story(sessions, report_id)
        )

    story = run(with_sessions(scoped))
    if story is None:
        fail(f"routing has no report {report_id} (rejected by ingest, or not routed yet)")
    if as_json:
        emit([story], True)
        return
    emit(story_rows(story), False, f"report {report_id} (routed {story['routed_at']})")


# --- routing ---------------------------------------------------------------------------


@route_app.command("explain")
def route_explain(
    report_file: Annotated[Path, typer.Argument(help="A canonical report (JSON)")],
    policy: Annotated[
        Path | None, typer.Option(help="Policy file (default: the service's)")
    ] = None,
    teams: Annotated[Path, typer.Option(help="Teams directory YAML")] = Path("config/teams.yaml"),
    offices: Annotated[
        Path | None,
        typer.Option(help="Offices YAML (as `timpora offices export` writes; default: none)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolved jurisdiction, matched rules and target teams for a report, without Kafka."""
    from routing_service.explain import explain

    result = explain(
        report_file.read_bytes(), policy_file=policy, teams_file=teams, offices_file=offices
    )
    if as_json:
        sys.stdout.write(json.dumps(result, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    console.print(f"[bold]jurisdiction[/bold]: {result['resolution']}")
    for i, target in enumerate(result["targets"], 1):
        console.print(f"[bold]route {i}[/bold]")
        for key, value in target.items():
            console.print(f"  {key:<18} {value}")


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
