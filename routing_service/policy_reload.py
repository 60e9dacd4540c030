"""Keep the last good routing policy: an edited file that fails validation is refused.

The decision routing runs each time it looks at its policy file (``RoutingDeps.policy``,
once a second at most), pure: the state and the file's text in, the next state out.
Validation is :func:`routing_service.policy.parse_policy`'s, the one ``timpora policy
check`` runs. A refused file changes nothing that routes; it is reported once per
version (``refused_digest``), exported as ``timpora_policy_valid`` and shown by /ready
as degraded until the file validates again. Only with no good policy yet (at start-up)
does a refused file stop the service.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from routing_service.policy import Policy, PolicyError, parse_policy


@dataclass(frozen=True)
class PolicyState:
    """What routing holds: the policy in force (the last good file) and, while the file
    on disk is refused, why. Files are told apart by the SHA-256 of their text."""

    policy: Policy | None = None  # None only before the first good file
    digest: str = ""  # of the text in force
    refused: str | None = None  # why the file on disk is refused; None: it is in force
    refused_digest: str = ""  # of the refused text (one log line per refused version)


def reload_policy(state: PolicyState, text: str | OSError, *, source: str) -> PolicyState:
    """Keep the last good policy: the file's ``text`` (or why it could not be read) is
    taken when it validates and refused, with the reasons, when it does not. The text in
    force or already refused is not parsed again: ``state`` itself comes back."""
    if isinstance(text, OSError):
        why = f"{source}: cannot be read: {text.strerror or text}"
        return _refuse(state, why, f"unreadable:{why}")
    digest = hashlib.sha256(text.encode()).hexdigest()
    if digest == state.digest:  # the file in force (again, after a refused edit)
        return state if state.refused is None else replace(state, refused=None, refused_digest="")
    if digest == state.refused_digest:
        return state
    try:
        return PolicyState(parse_policy(text, source), digest)
    except PolicyError as exc:
        return _refuse(state, str(exc), digest)
    except Exception as exc:  # an edit must never stop routing, whatever the parser does
        return _refuse(state, f"{source}: cannot be checked: {type(exc).__name__}: {exc}", digest)


def _refuse(state: PolicyState, why: str, digest: str) -> PolicyState:
    if digest == state.refused_digest:
        return state
    return replace(state, refused=why, refused_digest=digest)
