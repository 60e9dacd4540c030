"""Everything the routing handlers need, built once by ``create_app``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession

from routing_service import store
from routing_service.policy import Policy, load_policy
from routing_service.silences import ActiveSilence, SilenceMatcher
from shared.directory import teams_by_jurisdiction
from shared.runtime import Runtime
from shared.settings import RoutingSettings

DIRECTORY_REFRESH_S = 30.0
POLICY_CHECK_S = 1.0
SILENCES_REFRESH_S = 1.0


@dataclass
class RoutingDeps:
    runtime: Runtime
    settings: RoutingSettings
    directory: dict[str, list[str]] = field(default_factory=dict)  # code → team ids
    _policy: Policy | None = None
    _policy_mtime: float = 0.0
    _policy_checked: float = 0.0
    _directory_at: float = 0.0
    _silences: list[ActiveSilence] | None = None
    _silences_at: float = 0.0

    @property
    def broker(self) -> KafkaBroker:
        return self.runtime.broker

    def policy(self) -> Policy:
        """The routing policy, reloaded when its file changes (hot reload; the file is
        looked at once a second at most, not once per report)."""
        now = time.monotonic()
        if self._policy is None or now - self._policy_checked >= POLICY_CHECK_S:
            path = Path(self.settings.policy_file)
            mtime = path.stat().st_mtime
            if self._policy is None or mtime != self._policy_mtime:
                self._policy, self._policy_mtime = load_policy(path), mtime
            self._policy_checked = now
        return self._policy

    async def refresh_directory(self, force: bool = False) -> None:
        if force or time.monotonic() - self._directory_at > DIRECTORY_REFRESH_S:
            async with self.runtime.sessions() as session:
                self.directory = await teams_by_jurisdiction(session)
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
