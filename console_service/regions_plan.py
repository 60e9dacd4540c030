"""What ``timpora regions migrate`` changes when a decree changes region codes: pure.

Given the :class:`~shared.jurisdiction.changes.Diff` and what is stored (teams, silences,
office home areas, users' scopes, the key file's sources), :func:`plan` decides:

* **teams** (one code each): a split unit's team keeps the part that keeps the old code,
  else the first new part; a moved unit's team follows its code; a merged-away unit's
  team moves to the code it merged into when that has no team, else it is left for a
  person to fold its members in (people are never moved or invented). Every new unit
  without a team is listed as *team needed*, with the team its reports reach meanwhile
  (routing's own walk up the levels, :func:`routing_service.policy_eval.pick_team`).
  A team's name follows a renamed unit; team ids never change (alerts are keyed by them);
* **areas** (lists of prefixes: office home areas, users' scopes, sources' home areas):
  what a prefix covered stays covered: a split prefix becomes its parts, a moved one its
  new code, a merged one the merged unit (*widened*: marked), and a unit that left the
  prefix (moved, split or merged elsewhere) is added;
* **silences**: the same, except that a silence is never widened (muting more than the
  operator chose could hide a report): on a merge it stays on the old code, noted;
  a split part gets a copy of the silence (same end, same matchers).

Alerts are not in the plan: they keep the codes they were routed with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from routing_service.policy_eval import pick_team
from shared.jurisdiction.changes import Diff
from shared.jurisdiction.codes import inside, level_of, lineage


@dataclass(frozen=True)
class TeamRef:
    team_id: str
    name: str
    code: str


@dataclass(frozen=True)
class Areas:
    """Something holding a list of code prefixes: an office, a user, a source."""

    key: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class SilenceRef:
    silence_id: str
    matchers: dict[str, Any]


@dataclass(frozen=True)
class TeamChange:
    team_id: str
    old_code: str
    new_code: str
    old_name: str
    new_name: str
    why: str


@dataclass(frozen=True)
class TeamNeeded:
    code: str
    name: str
    meanwhile: str | None  # the team its reports reach until one exists
    why: str


@dataclass(frozen=True)
class AreaChange:
    key: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    widened: tuple[str, ...] = ()


@dataclass(frozen=True)
class SilenceChange:
    silence_id: str
    old_prefix: str
    new_prefix: str


@dataclass(frozen=True)
class SilenceCopy:
    silence_id: str  # the silence copied
    prefix: str


@dataclass
class Plan:
    teams: list[TeamChange] = field(default_factory=list)
    teams_needed: list[TeamNeeded] = field(default_factory=list)
    silences: list[SilenceChange] = field(default_factory=list)
    silence_copies: list[SilenceCopy] = field(default_factory=list)
    offices: list[AreaChange] = field(default_factory=list)
    users: list[AreaChange] = field(default_factory=list)
    sources: list[AreaChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a person must decide

    def is_empty(self) -> bool:
        return not (
            self.teams or self.silences or self.silence_copies or self.offices or self.users
        )


def _kind(diff: Diff, code: str) -> str | None:
    return next((k for c, _, k in diff.changed_sources() if c == code), None)


def _minimal(codes: Sequence[str]) -> tuple[str, ...]:
    """Deduplicated, without a code inside another one of the list, order kept."""
    unique = list(dict.fromkeys(codes))
    return tuple(c for c in unique if not any(o != c and inside(c, o) for o in unique))


def area_image(diff: Diff, code: str, *, widen: bool = True) -> tuple[tuple[str, ...], list[str]]:
    """The prefixes covering, under the new decree, what ``code`` covered; and the codes
    that widened it (a merge). ``widen=False``: a merge leaves ``code`` as it is."""
    kind = _kind(diff, code)
    widened: list[str] = []
    if kind == "merge" and not widen:
        out = [code]
    else:
        out = list(diff.successors(code)) or [code]  # gone without a mapping: kept, noted
        if kind == "merge":
            widened += out
    for source, targets, k in diff.changed_sources():
        if source == code or not inside(source, code) or (k == "merge" and not widen):
            continue
        for target in targets:
            if not inside(target, code):
                out.append(target)
                widened += [target] if k == "merge" else []
    return _minimal(out), widened


def single_image(diff: Diff, code: str) -> str:
    """The one code a team's (or the fallback jurisdiction's) code becomes."""
    parts = diff.successors(code)
    return code if not parts or code in parts else parts[0]


def _areas(diff: Diff, holders: Sequence[Areas], *, widen: bool = True) -> list[AreaChange]:
    out = []
    for holder in holders:
        new: list[str] = []
        widened: list[str] = []
        for code in holder.codes:
            image, wide = area_image(diff, code, widen=widen) if code != "*" else ((code,), [])
            new += image
            widened += wide
        result = _minimal(new)
        if result != holder.codes:
            out.append(AreaChange(holder.key, holder.codes, result, tuple(dict.fromkeys(widened))))
    return out


def _renamed(diff: Diff, name: str, old_code: str, new_code: str) -> str:
    old, new = diff.old.get(old_code), diff.new.get(new_code)
    return name.replace(old, new) if old and new and old != new and old in name else name


def _teams(diff: Diff, teams: Sequence[TeamRef], plan: Plan) -> dict[str, list[str]]:
    directory: dict[str, list[str]] = {}
    for team in teams:
        directory.setdefault(team.code, []).append(team.team_id)
    for team in teams:
        kind, code = _kind(diff, team.code), team.code
        new_code = single_image(diff, code)
        if kind == "merge" and directory.get(new_code):
            plan.notes.append(
                f"team {team.team_id}: {code} merged into {new_code}, which has team "
                f"{directory[new_code][0]}: fold its members in by hand, or remove it"
            )
            continue
        if code not in diff.new and kind is None:
            plan.notes.append(f"team {team.team_id}: {code} no longer exists and no change maps it")
            continue
        name = _renamed(diff, team.name, code, new_code)
        if new_code == code and name == team.name:
            continue
        why = {"split": "split", "merge": "merged", "move": "moved"}.get(kind or "", "renamed")
        plan.teams.append(TeamChange(team.team_id, code, new_code, team.name, name, why))
        directory[code].remove(team.team_id)
        directory.setdefault(new_code, []).append(team.team_id)
    return {c: ids for c, ids in directory.items() if ids}


def _needed(diff: Diff, directory: dict[str, list[str]], plan: Plan) -> None:
    wanted: dict[str, str] = {}
    levels = {level_of(c) for c in directory}  # only the levels this deployment staffs
    for split in diff.splits:
        for part in split.parts:
            wanted.setdefault(part, f"split from {split.code}")
    for code in diff.added:
        wanted.setdefault(code, "new")
    for move in diff.moves:
        wanted.setdefault(move.to, f"moved from {move.code}")
    for code, why in sorted(wanted.items()):
        if directory.get(code) or level_of(code) not in levels:
            continue
        candidates = [c for c in reversed(lineage(code)) if c in diff.new]
        found = pick_team(candidates, directory.__contains__)
        plan.teams_needed.append(
            TeamNeeded(code, diff.name(code), directory[found][0] if found else None, why)
        )


def _silences(diff: Diff, silences: Sequence[SilenceRef], plan: Plan) -> None:
    for silence in silences:
        prefix = silence.matchers.get("jurisdiction_prefix")
        if not prefix:
            continue
        image, _ = area_image(diff, prefix, widen=False)
        if _kind(diff, prefix) == "merge":
            plan.notes.append(
                f"silence {silence.silence_id} stays on {prefix}: it merged into "
                f"{single_image(diff, prefix)}, and a silence is never widened"
            )
        first, *others = image
        if first != prefix:
            plan.silences.append(SilenceChange(silence.silence_id, prefix, first))
        plan.silence_copies += [SilenceCopy(silence.silence_id, p) for p in others]


def plan(
    diff: Diff,
    *,
    teams: Sequence[TeamRef] = (),
    silences: Sequence[SilenceRef] = (),
    offices: Sequence[Areas] = (),
    users: Sequence[Areas] = (),
    sources: Sequence[Areas] = (),
) -> Plan:
    """What moving the stored codes to ``diff``'s new decree changes (see the module)."""
    out = Plan()
    directory = _teams(diff, teams, out)
    _needed(diff, directory, out)
    _silences(diff, silences, out)
    out.offices = _areas(diff, offices)
    out.users = _areas(diff, users)
    out.sources = _areas(diff, sources)
    for change in (*out.offices, *out.users, *out.sources):
        if change.widened:
            out.notes.append(f"{change.key}: widened to {', '.join(change.widened)} (a merge)")
    for code, name in diff.removed.items():
        out.notes.append(f"{code} {name} is gone and no change maps it: check what used it")
    return out
