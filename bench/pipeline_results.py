"""A pipeline phase's result from its delivery rows: throughput, steady rate, latencies."""

from __future__ import annotations

from typing import Any

import asyncpg

from bench.common import percentiles
from bench.workload import REF_PREFIX, sent_time


def analyse(
    name: str,
    tag: str,
    n: int,
    rate: float | None,
    rows: list[asyncpg.Record],
    fed_start: float,
    fed_end: float,
) -> dict[str, Any]:
    """The phase's numbers from its reports' rows (``REPORT_TIMES``) and its feeding times."""
    mine = [r for r in rows if (r["ref"] or "").startswith(f"{REF_PREFIX}:{tag}:")]
    sent_at = {r["report_id"]: sent_time(r["ref"]) for r in mine}
    claimed = [r["first_claimed"].timestamp() - sent_at[r["report_id"]] for r in mine]
    first = [r["first_sent"].timestamp() - sent_at[r["report_id"]] for r in mine if r["first_sent"]]
    done = sorted(r["all_sent"].timestamp() for r in mine if r["all_sent"])
    every = [r["all_sent"].timestamp() - sent_at[r["report_id"]] for r in mine if r["all_sent"]]
    deliveries = sum(r["sent"] for r in mine)
    span = (done[-1] - fed_start) if done else None
    steady = None
    if len(done) >= 20:  # reports completed per second between 10% and 90% of them
        lo, hi = done[len(done) // 10], done[len(done) * 9 // 10]
        steady = round((len(done) * 8 // 10) / (hi - lo), 1) if hi > lo else None
    return {
        "phase": name,
        "n": n,
        "offered_rate": rate,
        "feed_s": round(fed_end - fed_start, 3),
        "fed_rate": round(n / max(1e-9, fed_end - fed_start), 1),
        "reports_delivered": len(done),
        "deliveries_sent": deliveries,
        "span_s": round(span, 3) if span else None,
        "reports_per_s": round(len(done) / span, 1) if span else 0.0,
        "deliveries_per_s": round(deliveries / span, 1) if span else 0.0,
        "steady_reports_per_s": steady,
        "latency_ms": {
            "first_claimed": percentiles(claimed),
            "first_sent": percentiles(first),
            "all_sent": percentiles(every),
        },
    }
