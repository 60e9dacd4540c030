"""Masking of whole messages (reports, alerts, teams...), driven by the schema.

Fields declared with ``Pii`` in :mod:`shared.schemas` (listed by
:func:`shared.schemas.pii_paths`) are masked wherever they occur, so a new PII field is
masked everywhere without touching this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import orjson
from pydantic import BaseModel

from shared.pii.text import name_variants, scrub_report_text, scrub_text
from shared.pii.values import (
    _masker_for,
    mask_date,
    mask_email,
    mask_name,
    mask_passport,
    mask_phone,
    mask_value,
)
from shared.schemas import AlertRouted, Member, Report, Team, pii_paths

Trie = dict[tuple[str, bool], "Trie | None"]  # (key, walks every list element) -> rest


Leaf = Callable[[str, Any], Any]  # (field name, value) -> what replaces the value


def _masked(obj: Any, trie: Trie, leaf: Leaf) -> Any:
    """``obj`` with every path in ``trie`` replaced by ``leaf``, copy-on-write: only the
    dicts and lists on those paths are copied (a JSON round trip of the whole message
    cost more)."""
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] | None = None
    for (key, each), rest in trie.items():
        value = obj.get(key)
        if value is None:
            continue
        if rest is None:
            new = leaf(key, value)
        elif each and isinstance(value, list):
            new = [_masked(child, rest, leaf) for child in value]
        else:
            new = _masked(value, rest, leaf)
        if out is None:
            out = dict(obj)
        out[key] = new
    return obj if out is None else out


def _typed_mask(key: str, value: Any) -> Any:
    """A typed model cannot hold "1985" in a date field: drop the date instead."""
    return None if _masker_for(key) is mask_date else mask_value(key, value)


def _erase(_key: str, _value: Any) -> None:
    return None


@lru_cache(maxsize=256)
def _trie(paths: tuple[str, ...]) -> Trie:
    """``("subjects[].passport_number", "subjects[].full_name")`` as one tree to walk."""
    root: Trie = {}
    for path in paths:
        node = root
        *parents, last = path.split(".")
        for part in parents:
            child = node.setdefault((part.removesuffix("[]"), part.endswith("[]")), {})
            assert child is not None, f"{path}: a leaf cannot have children"
            node = child
        node[last.removesuffix("[]"), last.endswith("[]")] = None
    return root


ALL_PATHS: dict[str, list[str]] = {
    "report": pii_paths(Report),
    "alert": pii_paths(AlertRouted),
}
MODEL_PATHS: dict[str, list[str]] = ALL_PATHS | {
    "team": pii_paths(Team),
    "member": pii_paths(Member),
}


def paths_for(obj: dict[str, Any]) -> list[str]:
    """The PII paths of a decoded message, recognised by its identifying keys."""
    if "alert_id" in obj and isinstance(obj.get("report"), dict):
        return MODEL_PATHS["alert"]
    if "report_id" in obj and "source" in obj:
        return MODEL_PATHS["report"]
    if "team_id" in obj and "members" in obj:
        return MODEL_PATHS["team"]
    if "member_id" in obj and "name" in obj:
        return MODEL_PATHS["member"]
    return []


def _hide_rejected_original(obj: dict[str, Any]) -> None:
    """A rejection carries the original bytes, which may hold anything: hide them."""
    if "rejection_id" in obj and obj.get("original_b64"):
        obj["original_b64"] = "<original bytes hidden>"


def mask_json(
    obj: Any, paths: Iterable[str] | type[BaseModel] | None = None, *, typed: bool = False
) -> Any:
    """A masked copy of a decoded message (a report, an alert, a team...).

    ``paths`` are dotted PII paths (``subjects[].passport_number``) or a model class
    whose PII paths to use; by default the message kind is recognised from its keys.
    ``typed=True`` keeps the result valid for the model (masked dates become ``None``).
    The original is never changed; parts without personal data are shared with it, so
    treat both as read-only below the top level.
    """
    if not isinstance(obj, dict):
        return obj
    if isinstance(paths, type):
        chosen = pii_paths(paths)
    else:
        chosen = list(paths) if paths is not None else paths_for(obj)
    leaf = _typed_mask if typed else mask_value
    out = dict(_masked(obj, _trie(tuple(chosen)), leaf))  # always a new top level
    _hide_rejected_original(out)
    return out


def erase_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """A routed alert (as JSON) without its personal data, for the retention job: every
    PII field of the schema null, and the report's free text, address and attachments
    gone. What stays are the facts (ids, place, level, category, severity, nationality,
    permit type, counts, times); the result is still a valid :class:`AlertRouted`."""
    out = dict(_masked(alert, _trie(tuple(MODEL_PATHS["alert"])), _erase))
    if isinstance(report := out.get("report"), dict):
        report = out["report"] = {**report, "text": None, "attachments": []}
        if isinstance(location := report.get("location"), dict):
            report["location"] = {**location, "address": None}
    return out


def mask_report(report: Report) -> Report:
    """The report with every PII field masked, still a valid :class:`Report`.

    A date of birth cannot be kept as a year in a ``date`` field, so it is dropped; the
    free text is scrubbed as well (it may name the subjects).
    """
    data = mask_json(report.model_dump(mode="json"), MODEL_PATHS["report"], typed=True)
    data["text"] = scrub_report_text(report) or None
    return Report.model_validate(data)


# --------------------------------------------------------------------------- unknown shapes

_KEY_PARTS = re.compile(r"[a-z0-9]+")
_PERSONAL_KEYS: dict[str, Any] = {
    **dict.fromkeys(("passport", "paspor", "nik", "ktp", "permit", "izin"), mask_passport),
    **dict.fromkeys(("phone", "telp", "telepon", "hp", "whatsapp", "wa", "msisdn"), mask_phone),
    **dict.fromkeys(("email", "surel", "mail"), mask_email),
    **dict.fromkeys(("birth", "lahir", "dob"), mask_date),
    **dict.fromkeys(("name", "nama", "fullname"), mask_name),
}


def _personal_masker(key: str) -> Any:
    """How to mask a value under ``key`` in JSON of unknown shape (lodging guest lists,
    upstream payloads): by the words of the key, in English or Indonesian; ``None``: not
    personal by its key (its text is still scrubbed)."""
    parts = _KEY_PARTS.findall(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key).lower())
    for part in reversed(parts):  # "nomor_paspor": the last word says what it is
        if masker := _PERSONAL_KEYS.get(part):
            return masker
    return None


def _collect_names(obj: Any, names: list[str]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, str) and _personal_masker(str(key)) is mask_name:
                names += name_variants(value)
            else:
                _collect_names(value, names)
    elif isinstance(obj, list):
        for item in obj:
            _collect_names(item, names)


def mask_unknown_json(obj: Any) -> Any:
    """A masked copy of JSON of any shape (a dead letter's original): values under
    personal-looking keys masked by kind, every other string scrubbed, with the names
    found under name keys masked wherever else they occur."""
    names: list[str] = []
    _collect_names(obj, names)

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, str | int) and not isinstance(value, bool):
            masker = _personal_masker(key) if key else None
            if masker is not None:
                return masker(str(value))
            return scrub_text(value, names) if isinstance(value, str) else value
        return value

    return walk(obj)


# A "key": "value" pair in text that is JSON-like but not JSON (a truncated body, a
# syntax error): the value is masked by its key as in JSON of unknown shape.
_JSON_PAIR = re.compile(r'"([^"\\]{1,60})"\s*:\s*"((?:[^"\\]|\\.){0,1000})"')


def _mask_pair(match: re.Match[str]) -> str:
    masker = _personal_masker(match[1])
    if masker is None:
        return match[0]
    return f'"{match[1]}": "{masker(match[2])}"'


def mask_original(raw: bytes) -> str:
    """A dead letter's original bytes as text an operator may see: JSON masked by
    :func:`mask_unknown_json`, anything else (broken JSON, XML, an SMS) scrubbed as free
    text, after masking the values of personal ``"key": "value"`` pairs it contains."""
    try:
        return orjson.dumps(mask_unknown_json(orjson.loads(raw))).decode()
    except orjson.JSONDecodeError:
        return scrub_text(_JSON_PAIR.sub(_mask_pair, raw.decode("utf-8", "replace")))
