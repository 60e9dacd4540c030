"""Everything the notify handlers need, built once by ``create_app``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker

from notify_service.channels.base import Channel
from notify_service.limiter import ProviderLimiter
from shared.directory import get_team
from shared.runtime import Runtime
from shared.schemas import Team
from shared.settings import NotifySettings


@dataclass
class NotifyDeps:
    runtime: Runtime
    settings: NotifySettings
    channels: Mapping[str, Channel]
    limiter: ProviderLimiter | None = None  # provider send limits (None: unlimited)
    slots: Mapping[str, asyncio.Semaphore] = field(default_factory=dict)
    _teams: dict[str, tuple[float, Team | None]] = field(default_factory=dict)

    @property
    def broker(self) -> KafkaBroker:
        return self.runtime.broker

    async def team(self, team_id: str) -> Team | None:
        """The team with its members and roster, cached briefly
        (``NOTIFY_DIRECTORY_CACHE_SECONDS``: an edit applies within that time)."""
        hit = self._teams.get(team_id)
        if hit and time.monotonic() - hit[0] < self.settings.directory_cache_seconds:
            return hit[1]
        async with self.runtime.sessions() as session:
            team = await get_team(session, team_id)
        self._teams[team_id] = (time.monotonic(), team)
        return team
