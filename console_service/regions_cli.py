"""``timpora regions``: a newer Kepmendagri decree (pemekaran) compared with the data in
use, and the stored codes moved to it. Administrators only (a system command).

``diff NEW_DATA [--changes FILE]`` prints what changed (:func:`shared.jurisdiction.changes.diff`);
``migrate NEW_DATA [--changes FILE] [--dry-run]`` prints the plan
(:func:`console_service.regions_plan.plan`) for teams, silences, office home areas,
users' scopes, the routing policy file (rewritten as text, comments kept) and the key
file's sources (printed, never rewritten: the file is the deployment's), then applies it
in one transaction and records the decree. The procedure: ``docs/regions.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from console_service import regions_ops
from console_service.cli_kit import JsonOpt, console, emit, fail, run, who, with_sessions
from console_service.policy_rewrite import PolicyRewrite, rewrite_policy
from console_service.regions_plan import Areas, Plan, plan
from console_service.regions_status import region_status
from console_service.scoped_ops import Sessions
from console_service.web import access
from shared.db import transaction
from shared.jurisdiction import SHIPPED_DECREE, regions
from shared.jurisdiction.changes import Diff, diff, read_changes
from shared.jurisdiction.data import shipped_units, units_of
from shared.jurisdiction.decree import configured_file, read_regions_file
from shared.schemas import utcnow

regions_app = typer.Typer(
    help="Region codes after a new decree (pemekaran): diff, migrate, status.",
    no_args_is_help=True,
)
DataArg = Annotated[Path, typer.Argument(help="The new decree's regions file (docs/regions.md)")]
ChangesOpt = Annotated[
    Path | None,
    typer.Option("--changes", help="The decree's list of splits, merges and moves (YAML)"),
]
OldOpt = Annotated[
    Path | None,
    typer.Option("--old", help="The regions file in use until now (default: the shipped data)"),
]


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False)


def load_diff(new_file: Path, changes_file: Path | None, old_file: Path | None) -> Diff:
    """The diff the command works from, or a clear failure listing every problem."""
    new, problems = read_regions_file(new_file)
    old, old_problems = read_regions_file(old_file) if old_file else (None, [])
    decree, changes, change_problems = (
        read_changes(changes_file) if changes_file else (None, [], [])
    )
    problems += old_problems + change_problems
    if new is not None and decree and decree != new.decree:
        problems.append(f"{changes_file}: decree {decree!r} is not the data's {new.decree!r}")
    if new is None or problems or (old_file and old is None):
        fail("\n  ".join(["invalid input:", *problems]))
    found = diff(
        units_of(old) if old else shipped_units(),
        units_of(new),
        changes,
        old_decree=old.decree if old else SHIPPED_DECREE,
        new_decree=new.decree,
    )
    if found.problems:
        fail("\n  ".join(["the changes do not fit the data:", *found.problems]))
    return found


def print_diff(d: Diff) -> None:
    _say(f"regions: {d.old_decree} -> {d.new_decree}")
    for code, name in d.added.items():
        _say(f"  new      {code} {name}")
    for code, name in d.removed.items():
        _say(f"  removed  {code} {name}")
    for code, old, new in d.renamed:
        _say(f"  renamed  {code} {old} -> {new}")
    for s in d.splits:
        keeps = "the old code lives on" if s.lives_on else "the old code is gone"
        parts = ", ".join(f"{p} {d.name(p)}" for p in s.parts)
        _say(f"  split    {s.code} {d.old[s.code]} -> {parts} ({keeps})")
    for m in d.merges:
        codes = ", ".join(f"{c} {d.old[c]}" for c in m.codes)
        _say(f"  merged   {codes} -> {m.into} {d.name(m.into)}")
    for mv in d.moves:
        _say(f"  moved    {mv.code} {d.old[mv.code]} -> {mv.to} {d.name(mv.to)}")
    for mv in d.possible_moves:
        _say(f"  possible move (same name; add it to --changes if so): {mv.code} -> {mv.to}")
    if d.is_empty():
        _say("  no change")


def print_plan(p: Plan, policy: PolicyRewrite | None, policy_file: Path) -> None:
    _say("plan:")
    for t in p.teams:
        name = f", name {t.old_name!r} -> {t.new_name!r}" if t.new_name != t.old_name else ""
        _say(f"  team {t.team_id}: {t.old_code} -> {t.new_code} ({t.why}){name}")
    for n in p.teams_needed:
        meanwhile = f"reports go to {n.meanwhile} meanwhile" if n.meanwhile else "no team above"
        _say(f"  team needed for {n.code} {n.name} ({n.why}): {meanwhile}")
    for s in p.silences:
        _say(f"  silence {s.silence_id}: jurisdiction_prefix {s.old_prefix} -> {s.new_prefix}")
    for c in p.silence_copies:
        _say(f"  silence {c.silence_id}: copied for {c.prefix}")
    for a in (*p.offices, *p.users):
        _say(f"  {a.key}: {', '.join(a.old)} -> {', '.join(a.new)}")
    if policy is not None:
        for number, old, new in policy.lines:
            _say(f"  policy {policy_file}:{number}: {old}  ->  {new}")
        for problem in policy.problems:
            _say(f"  policy {policy_file}: {problem}")
    for a in p.sources:
        _say(
            f"  key file: {a.key} home_area {list(a.old)} -> {list(a.new)} "
            "(edit the key file, then restart ingest)"
        )
    for note in p.notes:
        _say(f"  check: {note}")


def _key_file_sources() -> list[Areas]:
    path = Path(os.environ.get("CONSOLE_SOURCES_FILE", "config/api_keys.yaml"))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    return [
        Areas(f"source {s['source']}", tuple(s.get("home_area") or ()))
        for s in data.get("sources") or []
        if isinstance(s, dict) and "source" in s
    ]


def _policy_file(given: Path | None) -> Path:
    from shared.settings import RoutingSettings

    return given or RoutingSettings().policy_file


@regions_app.command("status")
def regions_status() -> None:
    """The decree the stored codes follow, the one this process's data follows, and the
    teams (in your scopes) whose area code the data does not have."""
    scopes = who("regions_status").scopes

    async def work(sessions: Sessions) -> regions_ops.Stored:
        async with sessions() as session:
            return await regions_ops.load(session, utcnow())

    stored, tree = run(with_sessions(work)), regions()
    teams = [t for t in stored.teams if access.covers(scopes, t.code)]
    status = region_status(stored.decree, tree.decree, teams, tree.exists, tree.former_name)
    path = configured_file()  # who() read the settings: their file is the process's
    _say(f"database: {status.stored_decree}")
    _say(f"data:     {status.data_decree} (TIMPORA_REGIONS_FILE={path or 'unset'})")
    if not status.agree:
        _say(
            "the stored codes follow another decree: set TIMPORA_REGIONS_FILE to that "
            "decree's file, or migrate the codes (`timpora regions migrate`, docs/regions.md)"
        )
    for team in status.stale:
        was = f", formerly {team.former_name}" if team.former_name else ""
        _say(f"team {team.team_id}: {team.code}{was} is not in the data: no report reaches it")
    if status.healthy:
        _say(f"in step: {len(teams)} teams, every area code in the data")


@regions_app.command("diff")
def regions_diff(
    new: DataArg, changes: ChangesOpt = None, old: OldOpt = None, as_json: JsonOpt = False
) -> None:
    """What the new decree changed: new, removed, renamed, split, merged, moved codes."""
    who("regions_diff")
    d = load_diff(new, changes, old)
    if as_json:
        rows: list[dict[str, Any]] = [
            {"kind": "new", "code": c, "name": n} for c, n in d.added.items()
        ]
        rows += [{"kind": "removed", "code": c, "name": n} for c, n in d.removed.items()]
        rows += [{"kind": "renamed", "code": c, "name": n} for c, _, n in d.renamed]
        rows += [{"kind": "split", "code": s.code, "to": list(s.parts)} for s in d.splits]
        rows += [{"kind": "merged", "code": list(m.codes), "to": m.into} for m in d.merges]
        rows += [{"kind": "moved", "code": m.code, "to": m.to} for m in d.moves]
        emit(rows, True)
        return
    print_diff(d)


@regions_app.command("migrate")
def regions_migrate(
    new: DataArg,
    changes: ChangesOpt = None,
    old: OldOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    policy: Annotated[Path | None, typer.Option(help="Policy file (default: routing's)")] = None,
) -> None:
    """Move teams, silences, office areas, users' scopes and the policy file to the new
    decree's codes (alerts keep theirs), in one transaction; --dry-run shows the plan."""
    user = who("regions_migrate", acts=not dry_run)
    d = load_diff(new, changes, old)
    policy_file = _policy_file(policy)
    policy_text = policy_file.read_text(encoding="utf-8") if policy_file.exists() else None
    rewrite = rewrite_policy(d, policy_text) if policy_text is not None else None

    async def work(sessions: Sessions) -> None:
        async with transaction(sessions) as session:
            stored = await regions_ops.load(session, utcnow())
            p = plan(
                d, teams=stored.teams, silences=stored.silences, offices=stored.offices,
                users=stored.users, sources=_key_file_sources(),
            )  # fmt: skip
            print_diff(d)
            print_plan(p, rewrite, policy_file)
            if stored.decree != d.old_decree:
                fail(f"the database's codes follow {stored.decree!r}, not {d.old_decree!r} (--old)")
            if dry_run:
                _say("dry run: nothing changed")
                return
            _refuse_unready(d, rewrite)
            await regions_ops.apply(
                session, p, decree=d.new_decree, previous=stored.decree, now=utcnow(),
                by=user.username,
            )  # fmt: skip
            await session.flush()
            if rewrite is not None and rewrite.changed:
                _write(policy_file, rewrite.text)
        _say(f"migrated to {d.new_decree}")

    try:
        run(with_sessions(work))
    except BaseException:
        written = not dry_run and rewrite is not None and rewrite.changed
        if written and policy_text and policy_file.read_text(encoding="utf-8") != policy_text:
            _write(policy_file, policy_text)  # the transaction rolled back: so does the file
        raise


def _refuse_unready(d: Diff, rewrite: PolicyRewrite | None) -> None:
    from routing_service.policy import PolicyError, parse_policy

    if regions().decree != d.new_decree:
        fail(
            f"this process's region data follows {regions().decree!r}: set "
            "TIMPORA_REGIONS_FILE to the new file (as on every service) and run again"
        )
    if rewrite is not None and rewrite.problems:
        fail("the policy file cannot be rewritten: " + "; ".join(rewrite.problems))
    if rewrite is not None and rewrite.changed:
        try:
            parse_policy(rewrite.text, "the rewritten policy")
        except PolicyError as exc:
            fail(str(exc))


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a reader sees the old file or the new one)."""
    tmp = path.with_name(f".{path.name}.regions-migrate")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
