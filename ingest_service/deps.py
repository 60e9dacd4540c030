"""Everything the ingest handlers need, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from ingest_service.auth import KeyRegistry
from shared.ratelimit import TokenBucket
from shared.runtime import Runtime
from shared.settings import IngestSettings


@dataclass
class IngestDeps:
    runtime: Runtime
    settings: IngestSettings
    keys: KeyRegistry
    buckets: dict[str, TokenBucket]

    @property
    def broker(self) -> KafkaBroker:
        return self.runtime.broker

    def bucket(self, source: str, per_minute: int) -> TokenBucket:
        """Per-source rate limit: ``per_minute`` sustained, a minute's worth of burst."""
        if source not in self.buckets:
            self.buckets[source] = TokenBucket(per_minute / 60.0, burst=per_minute)
        return self.buckets[source]
