"""``timpora policy check FILE``: the routing policy file validated before a deploy.

It runs routing's own parser (:func:`routing_service.policy.load_policy`), so a file it
calls OK is one the routing service takes, and its reasons are the ones routing logs
when it refuses a file (keeping its last good policy, /ready saying degraded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="The routing policy file: check it before deploying.", no_args_is_help=True)
console = Console(highlight=False, soft_wrap=True)  # one line per message, for scripts

CHECK_HELP = (
    "Validate a routing policy file as the routing service does, without Kafka or a "
    "database.\n\n"
    "Prints OK with the number of rules, or INVALID and every problem with where it is "
    "(e.g. rules.2.targets.0: ...). Exit code 0 when the file is valid, 1 when it is not "
    "(or cannot be read).\n\n"
    "A running routing service refuses an invalid file and keeps routing with its last "
    "good policy (its /ready says degraded, timpora_policy_valid is 0) until the file is "
    "fixed; run this before deploying an edit."
)


@app.command("check", help=CHECK_HELP)
def check(
    path: Annotated[
        Path, typer.Argument(help="The policy YAML, e.g. routing_service/config/policy.yaml")
    ],
) -> None:
    from routing_service.policy import PolicyError, load_policy

    try:
        policy = load_policy(path)
    except OSError as exc:
        console.print(f"INVALID {path}: cannot be read: {exc.strerror or exc}", markup=False)
        raise typer.Exit(1) from None
    except PolicyError as exc:
        console.print(f"INVALID {exc}", markup=False)
        raise typer.Exit(1) from None
    console.print(
        f"OK {path}: {len(policy.rules)} rules, the last ({policy.rules[-1].name!r}) catches "
        f"all; time zone {policy.timezone}",
        markup=False,
    )
