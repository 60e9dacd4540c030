"""The routing policy file's codes moved to a new decree, as text: pure.

Only the codes of rule matchers (``match.jurisdiction``), of ``fallback_jurisdiction``
and of the file's ``offices[].home_area`` are rewritten, in place: comments, order,
quoting and layout stay as the operator wrote them. A list takes
:func:`~console_service.regions_plan.area_image` of each code (a split matcher lists
every part, so the rule still covers the whole old area), the fallback its
:func:`~console_service.regions_plan.single_image`. The result is checked: the rewritten
file must read (YAML) as exactly the intended structure, else nothing is rewritten and
the reason is returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from console_service.regions_plan import area_image, single_image
from shared.jurisdiction.changes import Diff

_CODE = r"\d{2}(?:\.\d{2}){0,2}"
_QUOTED = re.compile(rf"""(["'])({_CODE})\1""")
_FLOW = re.compile(r"\[[^\[\]#]*\]")
_BLOCK_ITEM = re.compile(rf"""^(\s*-\s*)(["']?)({_CODE})\2(\s*(?:#.*)?)$""")


@dataclass
class PolicyRewrite:
    text: str
    lines: list[tuple[int, str, str]] = field(default_factory=list)  # number, old, new
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.lines) and not self.problems


def _split_comment(line: str) -> tuple[str, str]:
    """The line's content and its comment (a ``#`` outside quotes after a space)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i:]
    return line, ""


def _list_image(diff: Diff, codes: list[str]) -> list[str]:
    out: list[str] = []
    for code in codes:
        out += area_image(diff, code)[0]
    return list(dict.fromkeys(out))


def _render(codes: list[str], quote: str) -> str:
    return ", ".join(f"{quote}{c}{quote}" for c in codes)


def _scalar(diff: Diff, quoted: re.Match[str]) -> str:
    return quoted.group(1) + single_image(diff, quoted.group(2)) + quoted.group(1)


def _rewrite_line(diff: Diff, line: str) -> list[str]:
    content, comment = _split_comment(line)
    block = _BLOCK_ITEM.match(content.rstrip("\n"))
    if block:
        lead, quote, code = block.group(1), block.group(2) or '"', block.group(3)
        image = _list_image(diff, [code])
        if image == [code]:
            return [line]
        first = [f"{lead}{quote}{image[0]}{quote}{block.group(4)}{comment}".rstrip()]
        return first + [f"{lead}{quote}{c}{quote}" for c in image[1:]]

    def flow(m: re.Match[str]) -> str:
        items = yaml.safe_load(m.group(0))
        if not all(isinstance(i, str) for i in items):
            return m.group(0)
        quote = next((q.group(1) for q in _QUOTED.finditer(m.group(0))), '"')
        image = _list_image(diff, items)
        return m.group(0) if image == items else f"[{_render(image, quote)}]"

    new = _FLOW.sub(flow, content)
    if new == content:  # a scalar code (the fallback jurisdiction)
        new = _QUOTED.sub(lambda q: _scalar(diff, q), content)
    return [new + comment]


def _expected(diff: Diff, data: dict[str, Any]) -> dict[str, Any]:
    """The policy's structure with its codes moved (what the text must read as)."""
    out = dict(data)
    if isinstance(out.get("fallback_jurisdiction"), str):
        out["fallback_jurisdiction"] = single_image(diff, out["fallback_jurisdiction"])
    rules = []
    for rule in out.get("rules") or []:
        match = rule.get("match") if isinstance(rule, dict) else None
        codes = match.get("jurisdiction") if isinstance(match, dict) else None
        if isinstance(match, dict) and isinstance(codes, list | str):
            given = [codes] if isinstance(codes, str) else codes  # one code without brackets
            image = _list_image(diff, given)
            match = {**match, "jurisdiction": codes if image == given else image}
            rule = {**rule, "match": match}
        rules.append(rule)
    if rules:
        out["rules"] = rules
    offices = []
    for office in out.get("offices") or []:
        if isinstance(office, dict) and isinstance(office.get("home_area"), list):
            office = {**office, "home_area": _list_image(diff, office["home_area"])}
        offices.append(office)
    if offices:
        out["offices"] = offices
    return out


def _dedupe(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _dedupe(v) for k, v in data.items()}
    if isinstance(data, list):
        items = [_dedupe(v) for v in data]
        return list(dict.fromkeys(items)) if all(isinstance(v, str) for v in items) else items
    return data


def rewrite_policy(diff: Diff, text: str) -> PolicyRewrite:
    """``text`` with its codes moved to the new decree, and the lines changed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return PolicyRewrite(text, problems=[f"the policy is not valid YAML: {exc}"])
    if not isinstance(data, dict):
        return PolicyRewrite(text, problems=["the policy is not a mapping"])
    out_lines: list[str] = []
    changed: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        content, _ = _split_comment(line)
        if not _QUOTED.search(content) and not _BLOCK_ITEM.match(content):
            out_lines.append(line)
            continue
        new = _rewrite_line(diff, line)
        if new != [line]:
            changed.append((number, line.strip(), " / ".join(n.strip() for n in new)))
        out_lines += new
    new_text = "\n".join(out_lines) + ("\n" if text.endswith("\n") else "")
    result = PolicyRewrite(new_text, changed)
    if _dedupe(yaml.safe_load(new_text)) != _dedupe(_expected(diff, data)):
        result.problems.append(
            "the policy's codes are written in a way this rewrite does not follow "
            "(e.g. a code outside a matcher list): edit the file by hand as listed"
        )
    return result
