"""Everything the notify handlers need, built once by ``create_app``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker

from notify_service.channels.base import Channel
from notify_service.limiter import ProviderLimiter
from shared.directory import get_teams
from shared.runtime import Runtime
from shared.schemas import Team
from shared.settings import NotifySettings

PRUNE_AT = 2048  # cached teams before the expired ones are dropped (a national directory: 7,800)


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
        return (await self.teams([team_id]))[team_id]

    async def teams(self, team_ids: Iterable[str]) -> dict[str, Team | None]:
        """:meth:`team` of each, those not cached read together (None: no such team)."""
        now, fresh = time.monotonic(), self.settings.directory_cache_seconds
        out: dict[str, Team | None] = {}
        for team_id in set(team_ids):
            hit = self._teams.get(team_id)
            if hit and now - hit[0] < fresh:
                out[team_id] = hit[1]
        missing = [t for t in set(team_ids) if t not in out]
        if missing:
            async with self.runtime.sessions() as session:
                found = await get_teams(session, missing)
            if len(self._teams) >= PRUNE_AT:  # bounded: the teams read within the last TTL
                self._teams = {k: v for k, v in self._teams.items() if now - v[0] < fresh}
            for team_id in missing:
                out[team_id] = found.get(team_id)
                self._teams[team_id] = (time.monotonic(), out[team_id])
        return out
