"""The policy in force with the office records: pure.

Office records (``shared.offices``, read with the directory) replace the policy file's
``offices:`` list once a deployment has any, and each office may override the policy's
``defaults:`` (grouping, escalation, update SMS) for the reports it takes. A rule that
sets a value itself keeps it: an office changes defaults, not rules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from routing_service.policy import DefaultsOverride, Policy
from shared.offices import Office, office_for, validation_text
from shared.schemas import Report

log = logging.getLogger(__name__)


def override_problem(office: Office) -> str | None:
    """Why an office's overrides cannot apply (None: they can)."""
    try:
        DefaultsOverride.model_validate(office.defaults)
    except ValidationError as exc:
        return f"office {office.id!r}: defaults: {validation_text(exc)}"
    return None


def with_offices(policy: Policy, offices: Sequence[Office]) -> Policy:
    """The policy with the office records in place of its ``offices:`` list (the policy
    as it is when there are no records). Each office's overridden policy is built here,
    once; an office whose overrides are invalid keeps the policy's defaults (logged)."""
    merged = policy.model_copy(update={"offices": list(offices)}) if offices else policy
    own: dict[str, Policy] = {}
    for office in merged.offices:
        if not office.defaults:
            continue
        problem = override_problem(office)
        if problem is not None:
            log.error("%s; the policy's defaults apply to its reports", problem)
            continue
        override = DefaultsOverride.model_validate(office.defaults)
        own[office.id] = merged.model_copy(
            update={"defaults": override.applied_to(merged.defaults)}
        )
    merged._office_policies = own
    return merged


def policy_for(policy: Policy, report: Report, code: str | None) -> Policy:
    """The policy ``report`` is decided under: its office's (the source's home area's,
    else the one of ``code``, its place), when that office overrides defaults."""
    own = policy._office_policies
    if not own:
        return policy
    office = office_for(policy.offices, report.home_area, code)
    return own.get(office.id, policy) if office else policy
