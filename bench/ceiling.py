"""The ceiling: raw Kafka pass-through with aiokafka on the same broker.

What a service does with Kafka and nothing else: a consumer in a group reads batches of
report-sized records from a topic with P partitions, produces each record to another
topic (``acks=all``, idempotent, ``linger_ms=5``, lz4), awaits the batch's sends and then
commits the batch's offsets. One process, one consumer, like one service instance.
The input is written beforehand (not timed); the clock starts at the first batch read.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.common import say
from bench.workload import Workload

MAX_POLL_RECORDS = 500  # what the services' batch subscribers ask for


def durable_producer(bootstrap: str, **kwargs: Any) -> AIOKafkaProducer:
    """The producer settings the services use (shared.kafka.make_broker)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        compression_type="lz4",
        **kwargs,
    )


async def create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="timpora-bench")
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names]
        )
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="timpora-bench")
    await admin.start()
    try:
        await admin.delete_topics(names)
    except Exception as exc:  # cleanup is best effort
        say(f"ceiling: could not delete topics {names}: {exc}")
    finally:
        await admin.close()


async def fill(producer: AIOKafkaProducer, topic: str, payload: bytes, n: int) -> None:
    """Write ``n`` copies of ``payload`` spread over the partitions (keyed like reports)."""
    futures = [
        await producer.send(topic, payload, key=f"63.10.{i % 34:02d}".encode()) for i in range(n)
    ]
    await asyncio.gather(*futures)


async def pass_through(
    bootstrap: str, src: str, dst: str, group: str, n: int, producer: AIOKafkaProducer
) -> dict[str, Any]:
    """Consume ``n`` records from ``src`` and produce each to ``dst``; batch-commit."""
    consumer = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=MAX_POLL_RECORDS,
    )
    await consumer.start()
    done = batches = 0
    start: float | None = None
    cpu0 = time.process_time()
    try:
        while done < n:
            polled = await consumer.getmany(timeout_ms=1000, max_records=MAX_POLL_RECORDS)
            records = [r for rs in polled.values() for r in rs]
            if not records:
                continue
            if start is None:
                start = time.perf_counter()
            sends = [await producer.send(dst, r.value, key=r.key) for r in records]
            await asyncio.gather(*sends)
            await consumer.commit()
            done += len(records)
            batches += 1
        seconds = time.perf_counter() - (start or time.perf_counter())
    finally:
        await consumer.stop()
    return {
        "messages": done,
        "seconds": round(seconds, 3),
        "msgs_per_s": round(done / seconds, 1) if seconds else None,
        "batches": batches,
        "mean_batch": round(done / max(1, batches), 1),
        "cpu_s": round(time.process_time() - cpu0, 2),
    }


async def run_ceiling(
    bootstrap: str, workload: Workload, n: int, partitions: int, rounds: int = 1
) -> dict[str, Any]:
    """Measure the pass-through ``rounds`` times (fresh group each time); keep the best."""
    run = uuid.uuid4().hex[:8]
    src, dst = f"bench-ceiling-{run}.in", f"bench-ceiling-{run}.out"
    payload = workload.report(0, "ceiling", 0, time.time())
    await create_topics(bootstrap, [src, dst], partitions)
    producer = durable_producer(bootstrap)
    await producer.start()
    try:
        say(f"ceiling: writing {n} records of {len(payload)} B to {partitions} partitions")
        await fill(producer, src, payload, n)
        results = []
        for i in range(rounds):
            result = await pass_through(bootstrap, src, dst, f"{src}.g{i}", n, producer)
            say(
                f"ceiling: round {i + 1}/{rounds}: {result['msgs_per_s']:.0f} msgs/s "
                f"({result['messages']} in {result['seconds']:.2f}s, "
                f"mean batch {result['mean_batch']:.0f})"
            )
            results.append(result)
    finally:
        await producer.stop()
        await delete_topics(bootstrap, [src, dst])
    best = max(results, key=lambda r: r["msgs_per_s"] or 0)
    return {
        **best,
        "rounds": results,
        "partitions": partitions,
        "record_bytes": len(payload),
        "producer": "acks=all, idempotent, linger_ms=5, lz4, max_batch_size=256KiB",
        "consumer": f"group, manual commit per batch, max_poll_records={MAX_POLL_RECORDS}",
    }
