"""The report of benchmarks/api_bench.py: issue 11's targets against the figures, and the
Markdown tables (figures, memory, targets, the sample check, the wrk command lines)."""

from __future__ import annotations

from typing import Any


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 11's targets (and the first release's /invocations ratio) against the figures."""
    rows: list[tuple[str, float | None, str, float]] = [
        ("POST scenario 1000 paths, 1 conn: p50 ms", r["post_varied1000_1conn"]["p50_ms"], "<=", 5),
        ("POST scenario 1000 paths, 4 conns: req/s", r["post_varied1000_4conn"]["rps"], ">=", 300),
        ("varied GET, 1 worker: req/s", r["get_varied_1worker"]["rps"], ">=", 1500),
        ("varied GET, 1 worker: p99 ms", r["get_varied_1worker"]["p99_ms"], "<=", 50),
        ("varied GET, 2 workers / 1 worker", r["workers_ratio"], ">=", 1.6),
        ("RSS growth over the varied GETs, MB", r["memory"]["growth_mb"], "<=", 50),
    ]
    if "throughput_ratio" in r:
        rows.append(("cached GET / mlflow /invocations req/s", r["throughput_ratio"], ">=", 10))
    out = []
    for name, value, op, goal in rows:
        met = value is not None and (value <= goal if op == "<=" else value >= goal)
        out.append({"figure": name, "value": value, "target": f"{op} {goal:g}", "met": met})
    return out


def markdown(r: dict[str, Any]) -> str:
    """The figures as Markdown tables, then the wrk command lines."""
    lines, commands = _figure_lines(r)
    mem = r["memory"]
    lines += _memory_lines(mem)
    for run in mem["runs"]:
        commands.append(f"{len(commands) + 1}. (memory) `{run['command']}`")
    lines += ["", "| figure | value | target | met |", "|---|---:|---|---|"]
    for t in r["targets"]:
        lines.append(
            f"| {t['figure']} | {t['value']} | {t['target']} | {'yes' if t['met'] else 'NO'} |"
        )
    lines += _sample_check_lines(r["sample_check"])
    if "workers_ratio" in r:
        lines.append(f"\nTwo workers / one worker (varied GETs): {r['workers_ratio']}×")
    if "throughput_ratio" in r:
        lines.append(
            f"GET /v1/forecast (cached) vs /invocations throughput: {r['throughput_ratio']}×"
        )
    lines += ["", "wrk commands (the port differs per run):", *commands]
    return "\n".join(lines) + "\n"


def _figure_lines(r: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The heading and the table of the wrk runs, and their numbered command lines."""
    c = r["connections"]
    rows = [
        ("GET /v1/forecast, one fixed URL (cached)", "get_forecast", c, 1),
        ("POST /v1/forecast, fixed scenario, 500 paths", "post_fixed500_1conn", 1, 1),
        ("POST /v1/forecast, fixed scenario, 500 paths", "post_fixed500_4conn", 4, 1),
        ("POST /v1/forecast, varied scenarios, 1000 paths", "post_varied1000_1conn", 1, 1),
        ("POST /v1/forecast, varied scenarios, 1000 paths", "post_varied1000_4conn", 4, 1),
        ("GET varied (forecast/exceedance, json/csv)", "get_varied_1worker", c, 1),
        ("GET varied (forecast/exceedance, json/csv)", "get_varied_2workers", c, 2),
        ("mlflow models serve /invocations", "mlflow_invocations", c, 1),
    ]
    lines = [
        f"Issue date {r['issue_date']}; wrk -t1, {r['duration_s']} s per run"
        f"{' (--quick)' if r['quick'] else ''}.\n",
        "| # | endpoint | workers | connections | requests | req/s | p50 ms | p90 ms | p99 ms "
        "| non-2xx |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    commands: list[str] = []
    for name, key, conns, workers in rows:
        if key not in r:
            continue
        m = r[key]
        commands.append(f"{len(commands) + 1}. `{m['command']}`")
        lines.append(
            f"| {len(commands)} | {name} | {workers} | {conns} | {m['requests']} | {m['rps']:.0f} "
            f"| {m['p50_ms']:.2f} | {m['p90_ms']:.2f} | {m['p99_ms']:.2f} | {m['non_2xx']} |"
        )
    return lines, commands


def _memory_lines(mem: dict[str, Any]) -> list[str]:
    return [
        "",
        "| memory (one worker, varied GETs) | requests | RSS MB |",
        "|---|---:|---:|",
        f"| ready | 0 | {mem['rss_ready_mb']:.1f} |",
        f"| after the first | {mem['first_requests']} | {mem['rss_first_mb']:.1f} |",
        f"| after all | {mem['requests']} | {mem['rss_all_mb']:.1f} |",
        f"| growth | | {mem['growth_mb']:+.1f} |",
    ]


def _sample_check_lines(sample_check: dict[str, Any]) -> list[str]:
    lines = []
    for kind, check in sample_check.items():
        bad = sum(n for code, n in check["statuses"].items() if code != "200")
        lines.append(f"\nSample check, {kind}: {check['checked']} requests, {bad} not 200.")
        lines += [
            f"- {f['status']} {f['method']} {f['path']} {f['body']}: {f['answer']}"
            for f in check["failures"]
        ]
    return lines
