"""Everything the ingest handlers need, built once by ``create_app``."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from faststream.kafka import KafkaBroker

from shared import report_ids
from shared.ratelimit import KeyedLimits, TokenBucket
from shared.runtime import Runtime
from shared.settings import IngestSettings
from shared.sources import KeyRegistry

T = TypeVar("T")


@dataclass
class IngestDeps:
    runtime: Runtime
    settings: IngestSettings
    keys: KeyRegistry
    buckets: dict[str, TokenBucket]
    parsers: ThreadPoolExecutor | None = field(default=None, repr=False)
    senders: KeyedLimits | None = field(default=None, repr=False)

    async def off_loop(self, work: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run CPU-bound parsing in the parse threads (``INGEST_PARSE_WORKERS``): a body
        that takes seconds to parse never holds the event loop, which keeps answering
        other requests, health checks and Kafka heartbeats meanwhile."""
        if self.parsers is None:
            self.parsers = ThreadPoolExecutor(
                self.settings.parse_workers, thread_name_prefix="ingest-parse"
            )
        call = functools.partial(work, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.parsers, call)

    @functools.cached_property
    def report_id_key(self) -> bytes:
        """Tags every report id for its source (:mod:`shared.report_ids`)."""
        return report_ids.derive_key(self.settings.secret_key.get_secret_value())

    @property
    def broker(self) -> KafkaBroker:
        return self.runtime.broker

    def sender_allowed(self, source: str) -> Callable[[str], bool]:
        """Public channels: may this sender of ``source`` report now (called by the parse
        threads, once per text report)."""
        if self.senders is None:
            self.senders = KeyedLimits(self.settings.sender_rate_limit_per_minute)
        senders = self.senders
        return lambda sender: senders.allow(f"{source}/{sender}")

    def bucket(self, source: str, per_minute: int) -> TokenBucket:
        """Per-source rate limit: ``per_minute`` sustained, a minute's worth of burst."""
        if source not in self.buckets:
            self.buckets[source] = TokenBucket(per_minute / 60.0, burst=per_minute)
        return self.buckets[source]
