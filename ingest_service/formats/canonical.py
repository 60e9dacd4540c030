"""Canonical JSON: our own :class:`Report` schema, one object, an array, or a batch.

Accepted bodies::

    {"category": "illegal_work", "location": {...}, ...}        # one report
    [{...}, {...}]                                             # batch
    {"reports": [{...}, {...}]}                                # batch

The ingest side owns ``source``, ``home_area`` and ``received_at``: they come from the
context (the API key), so a caller may omit them; a ``source`` naming another system is
refused (``source_mismatch``) rather than silently rewritten, because it usually means a
misconfigured client using the wrong key. A caller-supplied ``report_id`` (a ULID) is
scoped to the source (:func:`scoped_id`): the same source re-sending the same id gets the
same report id, so routing absorbs the replay, but another source can never produce it,
so nobody can pre-submit an id to suppress someone else's report as a "redelivery". The
response names the ids assigned.

Values people commonly write differently are normalised before validation (nationality
names, "L"/"P", permit aliases, Indonesian dates, local phone numbers, naive datetimes in
the source's zone); anything still invalid is reported with pydantic's path.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import ValidationError
from ulid import ULID

from ingest_service import normalize as nz
from ingest_service.formats import (
    Parsed,
    SourceContext,
    batch_items,
    fail,
    finish_report,
    load_json,
    reason,
    validation_reasons,
)
from shared.schemas import PermitType, Report, SourceFormat

_ALPHA3 = re.compile(r"^[A-Z]{3}$")
_PERMIT_VALUES = {p.value for p in PermitType}


def parse_canonical(raw: bytes, ctx: SourceContext) -> list[Parsed]:
    """Parse a canonical JSON body into one :class:`Parsed` per report."""
    data, problem = load_json(raw)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    items, problem = batch_items(data)
    if problem is not None:
        return [Parsed(0, None, [problem])]
    if items is None:
        return [parse_item(data, 0, ctx, batch=False)]
    return [parse_item(item, i, ctx, batch=True) for i, item in enumerate(items)]


def parse_item(item: Any, index: int, ctx: SourceContext, *, batch: bool) -> Parsed:
    """Validate one report object from the body."""
    at = index if batch else None
    if (late := ctx.late(index)) is not None:
        return late
    if not isinstance(item, dict):
        kind = type(item).__name__.replace("NoneType", "null")
        return fail(at, "not_an_object", f"a report must be a JSON object, got {kind}")[0]
    item = dict(item)
    claimed = item.pop("source", None)
    if claimed is not None and claimed != ctx.source:
        return Parsed(
            index,
            None,
            [
                reason(
                    "source_mismatch",
                    "'source' names another system than the one authenticated",
                    path="source",
                    index=at,
                )
            ],
        )
    item.pop("received_at", None)  # always the time we received it
    item.pop("home_area", None)  # bound to the source, not the payload
    item.setdefault("source_format", SourceFormat.canonical.value)
    problems = _check_report_id(item, at)
    if problems:
        return Parsed(index, None, problems)
    if "report_id" in item:
        item["report_id"] = scoped_id(ctx.source, str(item["report_id"]))
    _prenormalize(item, ctx)
    try:
        report = Report.model_validate(
            {
                **item,
                "source": ctx.source,
                "home_area": list(ctx.home_area),
                "received_at": ctx.received_at,
            }
        )
    except ValidationError as exc:
        return Parsed(index, None, validation_reasons(exc, at))
    return Parsed(index, finish_report(report, ctx))


def scoped_id(source: str, caller_id: str) -> str:
    """The report id for a caller's ``caller_id`` (a ULID) from ``source``: its time part
    kept (ids still sort by time), the rest a hash of source and id."""
    ulid = ULID.from_str(caller_id)
    digest = hashlib.sha256(f"{source}/{ulid}".encode()).digest()
    return str(ULID.from_bytes(ulid.bytes[:6] + digest[:10]))


def _check_report_id(item: dict[str, Any], at: int | None) -> list[Any]:
    report_id = item.get("report_id")
    if report_id is None:
        item.pop("report_id", None)
        return []
    try:
        ULID.from_str(str(report_id))
    except ValueError:
        return [
            reason(
                "invalid_field",
                "report_id must be a ULID (or be left out)",
                path="report_id",
                index=at,
            )
        ]
    return []


def _try(func: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(value)`` or ``value`` unchanged when it cannot be read (pydantic will say why)."""
    try:
        result = func(value, *args, **kwargs)
    except (ValueError, TypeError):
        return value
    return value if result is None else result


def _prenormalize(item: dict[str, Any], ctx: SourceContext) -> None:
    """Rewrite common alternative spellings into canonical values, in place."""
    for key in ("occurred_at",):
        if isinstance(item.get(key), str):
            item[key] = _iso(item[key], ctx)
    lodging = item.get("lodging")
    if isinstance(lodging, dict):
        lodging = item["lodging"] = dict(lodging)
        for key in ("check_in", "check_out"):
            if isinstance(lodging.get(key), str):
                lodging[key] = _iso(lodging[key], ctx)
    reporter = item.get("reporter")
    if isinstance(reporter, dict) and isinstance(reporter.get("phone"), str):
        reporter = item["reporter"] = dict(reporter)
        reporter["phone"] = nz.to_e164(reporter["phone"]) or reporter["phone"]
    subjects = item.get("subjects")
    if isinstance(subjects, list):
        item["subjects"] = [
            _prenormalize_subject(s) if isinstance(s, dict) else s for s in subjects
        ]


def _iso(value: str, ctx: SourceContext) -> Any:
    result = _try(nz.parse_datetime, value, ctx.tz)
    return result.isoformat() if not isinstance(result, str) else result


def _prenormalize_subject(subject: dict[str, Any]) -> dict[str, Any]:
    out = dict(subject)
    nationality = out.get("nationality")
    if isinstance(nationality, str) and not _ALPHA3.match(nationality):
        out["nationality"] = nz.nationality_to_alpha3(nationality) or nationality
    if isinstance(out.get("passport_number"), str):
        out["passport_number"] = _try(nz.normalize_passport, out["passport_number"])
    sex = out.get("sex")
    if isinstance(sex, str) and sex not in ("M", "F", "X"):
        out["sex"] = _try(nz.parse_sex, sex)
    permit = out.get("permit_type")
    if isinstance(permit, str) and permit not in _PERMIT_VALUES:
        parsed = nz.parse_permit_type(permit)
        if parsed is not None and parsed is not PermitType.unknown:
            out["permit_type"] = parsed.value
    for key in ("date_of_birth", "permit_expiry"):
        if isinstance(out.get(key), str):
            result = _try(nz.parse_date, out[key])
            out[key] = result if isinstance(result, str) else result.isoformat()
    return out
