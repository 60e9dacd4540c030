"""``timpora sources``: the upstream systems that send reports (ingest's key file: API
key hashes, formats, home areas) and the offices that own them. Administrators only.

``sources new`` makes a random key, prints it once and appends only its SHA-256 to the
key file (comments kept; the whole file validated before it is written); ingest reads
the file when it starts, so restart it (``scripts/run`` does) to take the new source.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError

from console_service.cli_kit import JsonOpt, console, emit, fail, run, who, with_sessions
from console_service.scoped_ops import Sessions
from console_service.source_rules import source_problems, source_views
from shared.offices import Office, all_offices, save_office, validation_text
from shared.sources import KeyFile, SourceKey, hash_key

sources_app = typer.Typer(
    help="Upstream systems: their API keys (hashes), formats, home areas and offices.",
    no_args_is_help=True,
)
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file", help="The key file (default: CONSOLE_SOURCES_FILE, else config/api_keys.yaml)"
    ),
]


def _key_file(given: Path | None) -> Path:
    return given or Path(os.environ.get("CONSOLE_SOURCES_FILE", "config/api_keys.yaml"))


def new_entry(
    name: str, formats: Sequence[str], home_area: Sequence[str], key: str, description: str
) -> str:
    """The key file entry of a new source, as YAML text to append under ``sources:``."""
    entry = SourceKey(
        source=name,
        description=description,
        key_sha256=hash_key(key),
        formats=frozenset(formats),  # type: ignore[arg-type]
        home_area=tuple(home_area),
        kafka_principal=name,
    ).model_dump(mode="json", exclude_none=True)
    entry["formats"] = sorted(entry["formats"])
    entry["home_area"] = list(entry["home_area"])
    text = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=None)
    return "".join("  " + line + "\n" for line in text.splitlines())


def _load(path: Path) -> list[SourceKey]:
    try:
        return KeyFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).sources
    except (OSError, yaml.YAMLError) as exc:
        fail(f"{path}: {exc}")
    except ValidationError as exc:
        fail(f"{path}: {validation_text(exc)}")


@sources_app.command("list")
def sources_list(file: KeyFileOpt = None, as_json: JsonOpt = False) -> None:
    """Every source of the key file: formats, home area, the office that owns it (never
    a key), then what does not fit between the key file and the office records."""
    who("sources_list")
    sources = _load(_key_file(file))

    async def work(sessions: Sessions) -> list[Office]:
        async with sessions() as session:
            return await all_offices(session)

    offices = run(with_sessions(work))
    rows = [
        {
            "source": v.source,
            "formats": ",".join(v.formats),
            "home_area": ",".join(v.home_area) or "(anywhere)",
            "office": v.office or "-",
            "kafka_principal": v.kafka_principal or "-",
            "description": v.description,
        }
        for v in source_views(sources, offices, None)
    ]
    emit(rows, as_json, "sources")
    for problem in source_problems(sources, offices):
        console.print(f"[yellow]warning:[/yellow] {problem}", markup=True)


@sources_app.command("new")
def sources_new(
    name: Annotated[str, typer.Argument(help="The source's name (also its Kafka user)")],
    formats: Annotated[list[str], typer.Option("--format", help="A format it may send (repeat)")],
    home_area: Annotated[
        list[str] | None,
        typer.Option("--home-area", help="Region-code prefix it reports in (repeat)"),
    ] = None,
    office: Annotated[
        str | None, typer.Option(help="The office that owns it (added to its record)")
    ] = None,
    description: Annotated[str, typer.Option(help="What the system is")] = "",
    file: KeyFileOpt = None,
) -> None:
    """Add a source with a new random API key: the key is printed once, only its hash is
    written. Restart ingest to take it."""
    who("sources_new", acts=True)
    path = _key_file(file)
    sources = _load(path)
    if any(s.source == name for s in sources):
        fail(f"source {name!r} exists in {path}")

    async def owning(sessions: Sessions) -> Office | None:
        async with sessions() as session:
            return next((o for o in await all_offices(session) if o.id == office), None)

    owner = run(with_sessions(owning)) if office else None
    if office and owner is None:
        fail(f"no office {office!r} (timpora offices list)")
    area = list(home_area or (owner.home_area if owner else []))
    key = secrets.token_urlsafe(32)
    try:
        entry = new_entry(name, formats, area, key, description)
    except ValidationError as exc:
        fail(validation_text(exc))
    text = path.read_text(encoding="utf-8")
    updated = text + ("" if text.endswith("\n") else "\n") + entry
    try:
        new_sources = KeyFile.model_validate(yaml.safe_load(updated)).sources
    except (yaml.YAMLError, ValidationError) as exc:
        fail(f"{path}: appending the entry would break the file ({exc}); add it by hand")
    if [s.source for s in new_sources] != [*(s.source for s in sources), name]:
        fail(f"{path}: `sources:` is not the file's last section; add the entry by hand")
    grown = owner.model_copy(update={"sources": [*owner.sources, name]}) if owner else None
    if grown is not None:
        problems = source_problems(new_sources, [grown])
        if problems:
            fail("; ".join(problems))
    temporary = path.with_suffix(path.suffix + ".new")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(path)
    if grown is not None:
        owned = grown

        async def own(sessions: Sessions) -> None:
            async with sessions() as session, session.begin():
                await save_office(session, owned)

        run(with_sessions(own))
    console.print(f"added source {name} to {path}; restart ingest to take it")
    console.print("its API key (shown once, store it in the source system now):")
    typer.echo(key)
