"""CPU per published record: FastStream's ``broker.publish`` against the same broker's
aiokafka producer (what ``shared.kafka.publish_all`` uses), on the local broker.

  python -m bench.publish [--n 20000] [--size 900]

Why: every service writes each of its records through ``publish_all``; FastStream's
publish path (command object, correlation id, header encoding) cost about as much CPU as
the aiokafka send underneath. Both paths send concurrently and await all acks (acks=all,
idempotent, lz4, the services' broker settings); process time per record, best of 3.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.common import say
from shared.kafka import aiokafka_producer, make_broker
from shared.settings import Settings


async def run(n: int, size: int) -> dict[str, float]:
    settings = Settings(topic_prefix=f"pub{uuid.uuid4().hex[:6]}.")
    topic = settings.topic("publish")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 6, 1)])
        broker = make_broker(settings, client_id="bench-publish")
        await broker.start()
        producer = aiokafka_producer(broker)
        assert producer is not None
        value, keys = b"x" * size, [f"k{i}".encode() for i in range(n)]

        async def faststream() -> None:
            futures = [await broker.publish(value, topic, key=k, no_confirm=True) for k in keys]
            await asyncio.gather(*futures)

        async def aiokafka() -> None:
            futures = [await producer.send(topic, value, key=k) for k in keys]
            await asyncio.gather(*futures)

        best: dict[str, float] = {}
        try:
            await aiokafka()  # warm-up: metadata, connections
            for _ in range(3):
                for name, send in (("faststream", faststream), ("aiokafka", aiokafka)):
                    start = time.process_time()
                    await send()
                    us = (time.process_time() - start) / n * 1e6
                    best[name] = min(best.get(name, us), us)
        finally:
            await broker.stop()
        await admin.delete_topics([topic])
    finally:
        await admin.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.publish", description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="records per round")
    parser.add_argument("--size", type=int, default=900, help="bytes per record")
    args = parser.parse_args()
    best = asyncio.run(run(args.n, args.size))
    for name, us in best.items():
        say(f"{name:>10}: {us:5.1f} µs CPU per record ({args.n} records of {args.size} B)")


if __name__ == "__main__":
    main()
