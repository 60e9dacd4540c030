"""CPU per published record: FastStream's ``broker.publish``, the same broker's aiokafka
producer one ``send`` per record, and ``shared.kafka.publish_all`` (what the services use:
one aiokafka batch per partition), on the local broker.

  python -m bench.publish [--n 20000] [--size 900]

Why: every service writes each of its records through ``publish_all``; FastStream's
publish path (command object, correlation id, header encoding) cost about as much CPU as
the aiokafka send underneath, and a send per record about as much as the rest of a
record's publishing. All paths send concurrently and await all acks (acks=all,
idempotent, lz4, the services' broker settings); process time per record, best of 3.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.common import say
from shared.adapters.batch_publish import aiokafka_producer
from shared.kafka import Outgoing, make_broker, publish_all
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

        outgoing = [Outgoing("publish", k.decode(), value) for k in keys]

        async def batched() -> None:  # what the services use
            await publish_all(broker, settings, outgoing)

        best: dict[str, float] = {}
        try:
            await aiokafka()  # warm-up: metadata, connections
            for _ in range(3):
                for name, send in (
                    ("faststream", faststream),
                    ("aiokafka send", aiokafka),
                    ("publish_all", batched),
                ):
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
        say(f"{name:>13}: {us:5.1f} µs CPU per record ({args.n} records of {args.size} B)")


if __name__ == "__main__":
    main()
