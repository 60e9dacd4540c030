"""Per-stage progress from Kafka itself: each consumer group's committed offsets against
its input topic's end offsets, sampled a few times a second.

A stage's throughput in a phase is the records it committed divided by the time it was
busy (from the sample before its first progress to the first sample where it had
committed everything); "done after" is when it caught up, counted from the phase start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.workload import SOURCE
from shared import topics


@dataclass(frozen=True)
class Stage:
    name: str  # the service
    topic: str  # its input topic (without prefix)
    group: str  # its consumer group (without prefix)


STAGES = (
    Stage("ingest", topics.raw_topic(SOURCE), "ingest"),
    Stage("routing", topics.REPORTS_NORMALIZED, "routing"),
    Stage("notify", topics.ALERTS_ROUTED, "notify"),
)


@dataclass(frozen=True)
class Sample:
    at: float  # epoch seconds
    committed: dict[str, int]  # stage → committed offsets summed over partitions
    end: dict[str, int]  # stage → end offsets summed over partitions


@dataclass
class StageMonitor:
    """Samples committed vs end offsets of the pipeline's three consumer groups."""

    bootstrap: str
    prefix: str
    partitions: int
    interval: float = 0.25
    samples: list[Sample] = field(default_factory=list)
    _admin: AIOKafkaAdminClient | None = None
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    def _tps(self, stage: Stage) -> list[TopicPartition]:
        return [TopicPartition(self.prefix + stage.topic, p) for p in range(self.partitions)]

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap, client_id="timpora-bench-lag"
        )
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, client_id="timpora-bench-lag"
        )
        await self._consumer.start()
        await self.sample()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def sample(self) -> Sample:
        assert self._admin is not None
        assert self._consumer is not None
        all_tps = [tp for s in STAGES for tp in self._tps(s)]
        ends = await self._consumer.end_offsets(all_tps)
        committed: dict[str, int] = {}
        end: dict[str, int] = {}
        for stage in STAGES:
            tps = self._tps(stage)
            offsets = await self._admin.list_consumer_group_offsets(
                self.prefix + stage.group, partitions=tps
            )
            committed[stage.name] = sum(max(0, o.offset) for o in offsets.values())
            end[stage.name] = sum(ends[tp] for tp in tps)
        sample = Sample(time.time(), committed, end)
        self.samples.append(sample)
        return sample

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            with contextlib.suppress(Exception):  # a slow broker answer skips one sample
                await self.sample()

    def latest(self) -> Sample:
        return self.samples[-1]

    def analyse(self, start: float, end: float) -> dict[str, dict[str, Any]]:
        """Per stage: records, busy seconds, records/s, and when it caught up (s after start)."""
        before = [s for s in self.samples if s.at <= start] or self.samples[:1]
        during = [s for s in self.samples if start < s.at <= end]
        out: dict[str, dict[str, Any]] = {}
        if not before or not during:
            return out
        base = before[-1]
        for stage in STAGES:
            name = stage.name
            final = during[-1].committed[name]
            records = final - base.committed[name]
            previous, first_progress, done = base, None, None
            for s in during:
                if first_progress is None and s.committed[name] > base.committed[name]:
                    first_progress = previous.at
                if s.committed[name] >= final:
                    done = s.at
                    break
                previous = s
            busy = (done - first_progress) if done and first_progress is not None else None
            out[name] = {
                "input_topic": stage.topic,
                "records": records,
                "busy_s": round(busy, 2) if busy else None,
                "records_per_s": round(records / busy, 1) if busy else None,
                "caught_up_after_s": round(done - start, 2) if done else None,
                "lag_at_end": during[-1].end[name] - final,
            }
        return out
