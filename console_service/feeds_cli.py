"""``timpora feeds``: the agencies that read offices' CAP feeds (docs/cap-feed.md), their
keys (SHA-256 hashes in ``CONSOLE_FEED_KEYS_FILE``) and the office each key reads.
Administrators only.

``feeds new-key`` makes a random key, prints it once and appends only its hash to the
key file (comments kept; the whole file validated before it is written); the console
reads the file when it starts, so restart it to take the new key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError

from console_service.cli_kit import JsonOpt, console, emit, fail, run, who, with_sessions
from console_service.feed_keys import FeedKey, new_entry, parse
from console_service.scoped_ops import Sessions
from console_service.source_rules import feed_problems, subscriber_views
from shared.offices import Office, all_offices, get_office, validation_text

feeds_app = typer.Typer(
    help="Other agencies' CAP feed keys: who reads which office's feed.", no_args_is_help=True
)
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="The key file (default: CONSOLE_FEED_KEYS_FILE, else config/feed_keys.yaml)"
    ),
]


def _key_file(given: Path | None) -> Path:
    return given or Path(os.environ.get("CONSOLE_FEED_KEYS_FILE", "config/feed_keys.yaml"))


def _load(path: Path) -> list[FeedKey]:
    if not path.exists():
        return []
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            fail(f"{path}: {validation_text(exc)}")
        fail(f"{path}: {exc}")


@feeds_app.command("list")
def feeds_list(file: KeyFileOpt = None, as_json: JsonOpt = False) -> None:
    """Every subscriber of the key file and the office whose feed it reads (never a key),
    then the keys bound to an office no record has."""
    who("feeds_list")
    subscribers = _load(_key_file(file))

    async def work(sessions: Sessions) -> list[Office]:
        async with sessions() as session:
            return await all_offices(session)

    offices = run(with_sessions(work))
    rows = [
        {
            "subscriber": v.subscriber,
            "office": v.office,
            "feed": v.feed,
            "rate_limit_per_minute": v.rate_limit_per_minute or "-",
            "description": v.description,
        }
        for v in subscriber_views(subscribers, None)
    ]
    emit(rows, as_json, "feed subscribers")
    for problem in feed_problems(subscribers, offices):
        console.print(f"[yellow]warning:[/yellow] {problem}", markup=True)


@feeds_app.command("new-key")
def feeds_new_key(
    subscriber: Annotated[str, typer.Argument(help="The agency, e.g. polres-tanbu")],
    office: Annotated[str, typer.Option(help="The office whose feed the key reads")],
    description: Annotated[str, typer.Option(help="Who the agency is")] = "",
    file: KeyFileOpt = None,
) -> None:
    """Add a subscriber with a new random feed key for one office: the key is printed
    once, only its hash is written. Restart the console to take it."""
    who("feeds_new_key", acts=True)
    path = _key_file(file)
    subscribers = _load(path)
    if any(s.subscriber == subscriber for s in subscribers):
        fail(f"subscriber {subscriber!r} exists in {path}")

    async def find(sessions: Sessions) -> Office | None:
        async with sessions() as session:
            return await get_office(session, office)

    if run(with_sessions(find)) is None:
        fail(f"no office {office!r} (timpora offices list)")
    key = secrets.token_urlsafe(32)
    try:
        entry = new_entry(subscriber, office, key, description)
    except ValidationError as exc:
        fail(validation_text(exc))
    text = path.read_text(encoding="utf-8") if path.exists() else "subscribers:\n"
    if not any(line.startswith("subscribers:") for line in text.splitlines()):
        fail(f"{path}: no `subscribers:` section; add the entry by hand")
    text = text.replace("subscribers: []", "subscribers:")
    updated = text + ("" if text.endswith("\n") else "\n") + entry
    try:
        grown = parse(updated)
    except (yaml.YAMLError, ValueError) as exc:
        fail(f"{path}: appending the entry would break the file ({exc}); add it by hand")
    if [s.subscriber for s in grown] != [*(s.subscriber for s in subscribers), subscriber]:
        fail(f"{path}: `subscribers:` is not the file's last section; add the entry by hand")
    temporary = path.with_suffix(path.suffix + ".new")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(path)
    console.print(f"added subscriber {subscriber} ({office}'s feed) to {path}; restart the console")
    console.print("its feed key (shown once, give it to the agency now):")
    typer.echo(key)
