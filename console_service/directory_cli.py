"""``timpora directory generate --national``: the generated national directory (every
province, kabupaten/kota and kecamatan with a team of fictional people, and the offices
over all kabupaten/kota) as a teams YAML for ``timpora teams import`` and an offices
YAML for ``timpora offices import``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from console_service.cli_kit import console, fail

directory_app = typer.Typer(
    help="Generated directories for scale tests and benchmarks.", no_args_is_help=True
)


@directory_app.command("generate")
def generate(
    national: Annotated[
        bool, typer.Option("--national", help="Every region of Indonesia (the only kind).")
    ] = False,
    out: Annotated[Path, typer.Option(help="The teams YAML to write.")] = Path(
        "teams-national.yaml"
    ),
    offices_out: Annotated[
        Path | None,
        typer.Option(help="Also write the offices, for `timpora offices import`."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same directory.")] = 1,
) -> None:
    """Write a generated national directory: ~7,800 teams, ~31,000 fictional people,
    ~120 offices with their fallback teams. Import the teams with `timpora teams import`,
    then the offices with `timpora offices import`."""
    from console_service.national import generate as build
    from shared.directory import dump_directory
    from shared.offices import dump_offices

    if not national:
        fail("give --national")
    started = time.perf_counter()
    print("generating the national directory ...", file=sys.stderr)
    directory = build(seed)
    out.write_text(dump_directory(directory.teams), encoding="utf-8")
    if offices_out is not None:
        offices_out.write_text(dump_offices(directory.office_records()), encoding="utf-8")
    console.print(
        f"wrote {out}: {len(directory.teams)} teams, {directory.people} people, "
        f"{len(directory.offices)} offices ({time.perf_counter() - started:.1f} s)"
    )
