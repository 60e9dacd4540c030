"""Everything the routing handlers need, built once by ``create_app``."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service import store
from routing_service.office_policy import with_offices
from routing_service.policy import Policy, PolicyError
from routing_service.policy_reload import PolicyState, reload_policy
from routing_service.silences import ActiveSilence, SilenceMatcher
from shared.directory import teams_by_jurisdiction
from shared.observability import POLICY_INFO, POLICY_LOADED, POLICY_VALID
from shared.offices import Office, all_offices
from shared.runtime import Runtime
from shared.settings import RoutingSettings

log = logging.getLogger(__name__)

POLICY_CHECK_S = 1.0
SILENCES_REFRESH_S = 1.0


@dataclass
class RoutingDeps:
    runtime: Runtime
    settings: RoutingSettings
    directory: dict[str, list[str]] = field(default_factory=dict)  # code → team ids
    offices: list[Office] = field(default_factory=list)  # the office records
    _in_force: tuple[Policy, Policy] | None = None  # (the file's, with the offices)
    _policy: PolicyState = field(default_factory=PolicyState)
    _policy_checked: float = 0.0
    _directory_at: float = 0.0
    _silences: list[ActiveSilence] | None = None
    _silences_at: float = 0.0
    # The muted alerts' check (service.resume_unmuted): the active silences it last went
    # through every muted alert under, and where it is in the current pass.
    muted_checked_under: frozenset[tuple[str, str, str]] | None = None
    muted_cursor: str = ""

    @property
    def broker(self) -> KafkaBroker:
        return self.runtime.broker

    def policy(self) -> Policy:
        """The routing policy in force, its file looked at once a second at most (hot
        reload). A file that fails validation is refused and the last good policy stays
        in force; only with none yet (at start-up) is that a :class:`PolicyError`. The
        office records, when there are any, replace the file's ``offices:``."""
        now = time.monotonic()
        if self._policy.policy is None or now - self._policy_checked >= POLICY_CHECK_S:
            self._reload_policy()
            self._policy_checked = now
        file_policy = self._policy.policy
        assert file_policy is not None
        if self._in_force is None or self._in_force[0] is not file_policy:
            self._in_force = (file_policy, with_offices(file_policy, self.offices))
        return self._in_force[1]

    def policy_refused(self) -> str | None:
        """Why the policy file on disk is refused (the last good one routes), else None."""
        self.policy()
        return self._policy.refused

    async def watch_policy(self) -> None:
        """Look at the file even while no report comes, so a bad edit shows at once."""
        while True:
            self.policy()
            await asyncio.sleep(POLICY_CHECK_S)

    def _reload_policy(self) -> None:
        path = Path(self.settings.policy_file)
        try:
            text: str | OSError = path.read_text(encoding="utf-8")
        except OSError as exc:
            text = exc
        old = self._policy
        self._policy = new = reload_policy(old, text, source=str(path))
        POLICY_VALID.set(0 if new.refused else 1)
        if new.policy is None:
            message = f"refusing to start: no valid routing policy.\n{new.refused}"
            log.critical(message, extra={"policy_file": str(path)})
            raise PolicyError(message)
        if new is not old:
            _announce(old, new, path)

    async def refresh_directory(self, force: bool = False) -> None:
        """The teams per jurisdiction and the office records, read again every
        ``ROUTING_DIRECTORY_REFRESH_SECONDS`` (30)."""
        if force or time.monotonic() - self._directory_at > self.settings.directory_refresh_seconds:
            async with self.runtime.sessions() as session:
                self.directory = await teams_by_jurisdiction(session)
                offices = await all_offices(session)
            if offices != self.offices:
                self.offices, self._in_force = offices, None  # the policy in force changes
            self._directory_at = time.monotonic()

    async def active_silences(self, session: AsyncSession, now: datetime) -> list[ActiveSilence]:
        """Silences not yet over, read at most once a second (not once per batch: at
        low rates a batch holds a few reports). A new silence applies within a second;
        each use checks the time window itself, so an expired one stops applying."""
        checked = time.monotonic()
        if self._silences is None or checked - self._silences_at >= SILENCES_REFRESH_S:
            rows = await store.active_silences(session=session, now=now)
            self._silences = [
                ActiveSilence(SilenceMatcher.model_validate(r.matchers), r.starts_at, r.ends_at)
                for r in rows
            ]
            self._silences_at = checked
        return self._silences


def _announce(old: PolicyState, new: PolicyState, path: Path) -> None:
    """One log line per change of the file: refused (with every reason) or in force."""
    assert new.policy is not None
    extra = {"policy_file": str(path)}
    if new.refused:  # a new refused version (the same one again gives no new state)
        log.error(
            "routing policy file refused; the last good policy (sha256 %s) stays in force "
            "until the file is fixed: %s",
            new.digest[:12],
            new.refused,
            extra=extra,
        )
    else:
        rules = len(new.policy.rules)
        log.info("routing policy %s in force: sha256 %s, %d rules", path, new.digest[:12], rules)
    if new.policy is not old.policy:
        POLICY_INFO.info({"sha256": new.digest, "rules": str(len(new.policy.rules))})
        POLICY_LOADED.set_to_current_time()
