"""The printed summary of one run (the JSON file holds everything else)."""

from __future__ import annotations

from typing import Any

NOISY_OTHER_PCT = 25.0  # CPU of processes outside the benchmark, in % of one core


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def pipelines(result: dict[str, Any]) -> dict[str, Any]:
    """Pipeline results by job (``teams``, ``webhook``); older files had one ``pipeline``."""
    if "pipelines" in result:
        return dict(result["pipelines"])
    return {"teams": result["pipeline"]} if "pipeline" in result else {}


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """Each job's pipeline (max phase) against the ceiling and against Alertmanager."""
    ceiling = result.get("ceiling", {}).get("msgs_per_s")
    peer = result.get("alertmanager", {}).get("alerts_per_s")
    out: dict[str, Any] = {}
    for job, pipeline in pipelines(result).items():
        phase = pipeline.get("phases", {}).get("max")
        if not phase:
            continue
        reports, deliveries = phase["reports_per_s"], phase["deliveries_per_s"]
        out[job] = {
            "pipeline_reports_per_ceiling_msgs": _ratio(reports, ceiling),
            "pipeline_reports_per_alertmanager_alerts": _ratio(reports, peer),
            "pipeline_deliveries_per_alertmanager_alerts": _ratio(deliveries, peer),
            "bars": {"vs_ceiling": 0.5, "vs_alertmanager": 1.0},
        }
    return out


def render(result: dict[str, Any]) -> str:
    s = result["settings"]
    lines = [
        f"Timpora benchmark {result['started']}: {result['machine']['cores']} cores, "
        f"N={s['n']}, {s['partitions']} partitions",
        "",
        f"{'':<40}{'rate/s':>10}{'deliv/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'done':>6}",
    ]

    def row(
        label: str,
        rate: float | None,
        deliv: float | None,
        lat: dict[str, Any] | None,
        done: bool | None,
    ) -> None:
        lat = lat or {}
        mark = "" if done is None else ("yes" if done else "NO")
        lines.append(
            f"{label:<40}{_num(rate):>10}{_num(deliv):>10}{_num(lat.get('p50')):>9}"
            f"{_num(lat.get('p95')):>9}{_num(lat.get('p99')):>9}{mark:>6}"
        )

    if c := result.get("ceiling"):
        row(f"ceiling: aiokafka pass-through ({c['messages']})", c["msgs_per_s"], None, None, None)
    jobs = pipelines(result)
    for job, pipeline in jobs.items():
        for p in pipeline.get("phases", {}).values():
            label = "max" if p["offered_rate"] is None else f"offered {p['offered_rate']:.0f}/s"
            if len(rounds := p.get("rounds_reports_per_s") or []) > 1:
                label += f", best of {len(rounds)}"
            row(
                f"{job}: {label} ({p['n']} reports)",
                p["reports_per_s"],
                p["deliveries_per_s"],
                p["latency_ms"]["first_claimed"],
                p["complete"],
            )
            sent = p["latency_ms"]["all_sent"]
            lines.append(
                f"{'':<4}every member sent: p50 {_num(sent['p50'])} ms, p99 "
                f"{_num(sent['p99'])} ms; steady {_num(p['steady_reports_per_s'])} reports/s; "
                f"fed at {_num(p['fed_rate'])}/s"
            )
    if am := result.get("alertmanager"):
        row(
            f"Alertmanager ({am['n']} alerts)",
            am["alerts_per_s"],
            None,
            am["latency_ms"],
            am["complete"],
        )
    if jobs:
        lines += [
            "",
            f"teams = the {result.get('settings', {}).get('directory', 'tanah-bumbu')} directory's "
            "members by SMS, email, Telegram, WhatsApp",
            "webhook = one signed webhook per alert (Alertmanager's job)",
            "pipeline latency = written to reports.raw -> first delivery row recorded "
            "(created_at); Alertmanager = POST -> webhook received",
        ]
    all_phases: dict[str, Any] = {}
    for job, pipeline in jobs.items():
        phases = pipeline.get("phases", {})
        all_phases |= {f"{job} {name}": p for name, p in phases.items()}
        if not phases:
            continue
        lines += [
            "",
            f"{job}: stages: records/s while busy (caught up after s)",
            f"{'':<10}" + "".join(f"{n:>24}" for n in phases),
        ]
        for stage in ("ingest", "routing", "notify"):
            cells = []
            for p in phases.values():
                st = p["stages"].get(stage, {})
                cells.append(
                    f"{_num(st.get('records_per_s'))} ({_num(st.get('caught_up_after_s'), 1)}s)"
                )
            lines.append(f"{stage:<10}" + "".join(f"{c:>24}" for c in cells))
        lines += [
            "",
            f"{job}: resources: CPU s (% of one core), peak RSS MB; other = rest of the machine",
        ]
        lines.append(f"{'':<12}" + "".join(f"{n:>24}" for n in phases))
        names = list(next(iter(phases.values()))["resources"])
        for proc in names:
            cells = []
            for p in phases.values():
                r = p["resources"].get(proc)
                if r is None:
                    cells.append("-")
                elif proc == "other":
                    cells.append(f"{r['cpu_s']:.1f} ({r['cpu_pct_of_core']:.0f}%)")
                else:
                    cells.append(
                        f"{r['cpu_s']:.1f} ({r['cpu_pct_of_core']:.0f}%) {r['peak_rss_mb']:.0f}"
                    )
            lines.append(f"{proc:<12}" + "".join(f"{c:>24}" for c in cells))
        # The steadier figure to compare runs by: rates drift with the machine, CPU less.
        per_report = [
            sum(r["cpu_s"] for name, r in p["resources"].items() if name != "other")
            / max(1, p["n"])
            * 1000
            for p in phases.values()
        ]
        lines.append(f"{'ms/report':<12}" + "".join(f"{f'{ms:.2f}':>24}" for ms in per_report))
        lines.append(f"{'':<12}(CPU per report: every row but other)")
        lines += _service_cpu(phases)
    phases = all_phases
    busy = [
        (name, p["resources"]["other"]["cpu_pct_of_core"])
        for name, p in phases.items()
        if p["resources"].get("other", {}).get("cpu_pct_of_core", 0) > NOISY_OTHER_PCT
    ]
    if busy:
        lines.append(
            "WARNING: other processes used CPU during "
            + ", ".join(f"{n} ({pct:.0f}% of a core)" for n, pct in busy)
            + ": numbers are skewed; rerun on a quiet machine"
        )
    for job, r in (result.get("ratios") or {}).items():
        lines += [
            "",
            f"{job}: pipeline/ceiling (reports/s / msgs/s): "
            f"{_num(r['pipeline_reports_per_ceiling_msgs'], 3)} (bar >= {r['bars']['vs_ceiling']})",
            f"{job}: pipeline/Alertmanager (reports/s / alerts/s): "
            f"{_num(r['pipeline_reports_per_alertmanager_alerts'], 3)}"
            f" (bar >= {r['bars']['vs_alertmanager']}); deliveries/s / alerts/s: "
            f"{_num(r['pipeline_deliveries_per_alertmanager_alerts'], 3)}",
        ]
    lines.append(
        f"settings: cores {result['machine']['cores']}, N {s['n']}, partitions {s['partitions']}, "
        f"rates {s['rates']} x {s['rate_seconds']}s, ceiling N {s['ceiling_n']}, "
        f"warm-up {s['warmup']}, instances {s.get('instances') or 'one per service'}"
    )
    return "\n".join(lines)


def _service_cpu(phases: dict[str, dict[str, Any]]) -> list[str]:
    """CPU ms per report of routing and notify (their instances summed) and of notify per
    delivery: the figures that compare directories (notify's work grows with the people
    a report reaches, so per delivery is the one that isolates the directory's size)."""
    rows = []
    for label, service, per in (
        ("routing ms/report", "routing", "n"),
        ("notify ms/report", "notify", "n"),
        ("notify ms/delivery", "notify", "deliveries_sent"),
    ):
        cells = []
        for p in phases.values():
            cpu = sum(
                r["cpu_s"] for name, r in p["resources"].items() if name.split("-")[0] == service
            )
            count = p.get(per) or 0
            cells.append(f"{cpu / count * 1000:.3f}" if count else "-")
        widths = [16] + [24] * (len(cells) - 1)  # under the columns above
        rows.append(
            f"{label:<20}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
        )
    return rows
