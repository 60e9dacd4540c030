"""The system's plumbing for operators: topics (partitions, messages, retention) and
consumer lag per group, read from Kafka as ``timpora topics list`` and ``timpora lag``
do (:mod:`console_service.kafka_ops`). No personal data; any signed-in role may look."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console_service import kafka_ops
from console_service.web.kit import Kit


def build_router(kit: Kit) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/topics")
    async def topics(request: Request) -> HTMLResponse:
        async with kit.signed_in(request) as (_session, who):
            pass
        prefix = kit.settings.topic_prefix
        described = await kafka_ops.describe_topics(kit.settings)
        lag: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for row in await kafka_ops.consumer_lag(kit.settings):
            if row["topic"].startswith(prefix) and row["group"].startswith(prefix):
                total = lag[(row["group"], row["topic"])]
                total[0] += row["lag"]
                total[1] += 1
        groups = [
            {"group": g, "topic": t, "lag": n, "partitions": p}
            for (g, t), (n, p) in sorted(lag.items())
        ]
        return kit.render(request, "topics.html", who, topics=described, groups=groups)

    return router
