"""The published page of benchmarks/outlook_benchmark.py (OUTLOOK.md, OUTLOOK_boats.md): issue
21's targets for the outlook's model, every model and horizon, the anchor window with
climatology and with the observed weather, and which model the outlook uses."""

from __future__ import annotations

from typing import Any

from forecasting import schema

if __package__:  # imported as benchmarks.outlook_report
    from .outlook_checks import (
        ANCHOR_CLIMATOLOGY_PCT,
        ANCHOR_OBSERVED_PCT,
        COVERAGE,
        COVERAGE_HORIZONS,
        MIX,
        MODELS,
        OLDER_TARGET_APE,
        OUTLOOK_MODEL,
        P_ZERO_FROM,
        P_ZERO_MAX,
        TARGET_APE,
    )
else:  # run as a script: benchmarks/ is first on sys.path
    from outlook_checks import (
        ANCHOR_CLIMATOLOGY_PCT,
        ANCHOR_OBSERVED_PCT,
        COVERAGE,
        COVERAGE_HORIZONS,
        MIX,
        MODELS,
        OLDER_TARGET_APE,
        OUTLOOK_MODEL,
        P_ZERO_FROM,
        P_ZERO_MAX,
        TARGET_APE,
    )


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _figure(t: dict[str, Any]) -> str:
    if t["target"].startswith("P(total = 0)"):
        if t["value"] == 0:
            return "0 (no path totals 0 at any origin)"
        return f"largest {t['value']:.4f} ({t['origin']})"
    if "coverage" in t["target"]:
        return f"{t['value']:.2f}"
    if t["target"].startswith("anchor"):
        return f"{t['value']:+.1f}%"
    return f"{t['value']:.1f}%"


def _intro(meta: dict[str, Any], verify: dict[str, Any]) -> list[str]:
    """The title, how to reproduce, the method and the recalibration check."""
    target = meta["target"]
    samples = meta["samples"]
    flag = "" if target == schema.PEOPLE else f" --target {target}"
    resolution = (
        f"; with {samples} paths a model's P(total = 0) < {P_ZERO_MAX} means no path at all, "
        f"the mix pools {2 * samples}"
        if samples * P_ZERO_MAX <= 1
        else ""
    )
    return [
        f"# Season outlook backtest ({target})",
        "",
        f"Reproduce: `.venv/bin/python benchmarks/outlook_benchmark.py{flag}` "
        f"({meta['seconds']:.0f} s on {meta['cpus']} cores, {meta['platform']}).",
        "",
        f"Origins: the 1st of each month {meta['first']} to {meta['last']}, fitted on the data "
        "before each; climatology weather from the origin on; "
        f"{samples} paths, seed {meta['seed']}. Median absolute % error of the "
        "cumulative total's median, the share of origins whose 80% band holds the actual, and "
        "P(total = 0), the share of paths whose cumulative total is 0 (its largest over the "
        f"origins{resolution}). The hurdle's people and boats share the "
        "crossing-day gate and its draws, so a path totals 0 for both or for neither: its "
        "P(total = 0) is the same on the people and the boats page.",
        "",
        "The hurdle is fitted with `recalibrate=False` for speed. Its P(any) calibration is "
        "drawn only on forecast days (lead ≥ 1), and every day of an outlook is climatology "
        "weather, read at lead 0, so the calibration never applies to an outlook. This run "
        f"checked it at origin {verify['origin']}: the hurdle's {verify['paths']} paths × "
        f"{verify['days']} days with the recalibrated fit and without it are "
        f"{'identical bit for bit' if verify['identical'] else '**not identical**'} "
        f"(fit {verify['fit_seconds_recalibrate']:.0f} s against "
        f"{verify['fit_seconds_no_recalibrate']:.0f} s).",
    ]


def _own_targets(targets: list[dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    """Issue 21's targets (and issue 10's older one) for the outlook's model, met or missed."""
    lines = [
        f"## Issue 21's targets for the outlook's model ({OUTLOOK_MODEL})",
        "",
        "| target | figure | |",
        "|---|---|---|",
    ]
    own = [t for t in targets if t["model"] == OUTLOOK_MODEL]
    for t in sorted(own, key=lambda t: t["issue"], reverse=True):
        label = t["target"] if t["issue"] == 21 else f"{t['target']} (issue 10's, older)"
        lines.append(f"| {label} | {_figure(t)} | {_met(t['met'])} |")
    met = sum(t["met"] for t in own if t["issue"] == 21)
    total = sum(t["issue"] == 21 for t in own)
    return [
        *lines,
        "",
        f"{met} of issue 21's {total} targets met. Every model's figure is in "
        f"{meta['results_file']} (`targets`, each with `met`).",
    ]


def _ape_ok(h: str, s: dict[str, Any]) -> str:
    goal, older = TARGET_APE.get(int(h)), OLDER_TARGET_APE.get(int(h))
    if goal is not None:
        return f"≤ {goal:.0f}%: {_met(s['median_ape_pct'] <= goal)}"
    if older is not None:
        return f"≤ {older:.0f}% (issue 10): {_met(s['median_ape_pct'] <= older)}"
    return "—"


def _every_model(summary: dict[str, Any]) -> list[str]:
    """Every model and horizon: error, coverage and P(total = 0) against their targets."""
    lo, hi = COVERAGE
    lines = [
        "## Every model and horizon",
        "",
        "| model | horizon (days) | origins | median abs % error | target | 80% coverage "
        f"| target {lo:.2f}–{hi:.2f} | largest P(total = 0) | < {P_ZERO_MAX} |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by_h in summary.items():
        for h, s in by_h.items():
            cov_ok = _met(lo <= s["coverage_80"] <= hi) if int(h) in COVERAGE_HORIZONS else "—"
            zero_ok = _met(s["max_p_zero"] < P_ZERO_MAX) if int(h) >= P_ZERO_FROM else "—"
            ape_ok = _ape_ok(h, s)
            lines.append(
                f"| {name} | {h} | {s['n_origins']} | {s['median_ape_pct']:.1f}% | {ape_ok} "
                f"| {s['coverage_80']:.2f} | {cov_ok} | {s['max_p_zero']:.4f} | {zero_ok} |"
            )
    return lines


def _anchor_section(anchor: dict[str, Any]) -> list[str]:
    """The anchor window with climatology weather and with the weather that happened."""
    zinb = anchor.get("zinb")
    said = (
        f"; the published ZINB model said {zinb:,} "
        f"({(zinb - anchor['actual']) / anchor['actual'] * 100:+.1f}%)"
        if zinb
        else ""
    )
    return [
        f"## The anchor: {anchor['origin']} to {anchor['until']}, data to the day before",
        "",
        f"Actual {anchor['actual']:,}{said}. Every model is fitted on the data before "
        f"{anchor['origin']}.",
        "",
        f"With climatology weather (the outlook as served), target ±{ANCHOR_CLIMATOLOGY_PCT:.0f}%:",
        "",
        f"| model | median | error | 80% band | mean | largest day on any path "
        f"| within ±{ANCHOR_CLIMATOLOGY_PCT:.0f}% |",
        "|---|---|---|---|---|---|---|",
        *(_anchor_row(name, anchor[name]) for name in (*MODELS, MIX)),
        "",
        "Hindsight bound: the same fitted models on the weather that happened on those days "
        "(`build_future_weather` in observed mode: one weather path, every day at lead 0), "
        f"target ±{ANCHOR_OBSERVED_PCT:.0f}%. The climatology baseline reads no weather, so "
        "its outlook is the one above; the mix pools it with the hurdle's.",
        "",
        f"| model | median | error | 80% band | mean | largest day on any path "
        f"| within ±{ANCHOR_OBSERVED_PCT:.0f}% |",
        "|---|---|---|---|---|---|---|",
        *(_anchor_row(name, a) for name, a in anchor["observed_weather"].items()),
    ]


def markdown(result: dict[str, Any]) -> str:
    """The published page, from the results (as written to the JSON)."""
    summary, anchor, meta = result["summary"], result["anchor"], result["meta"]
    lines = [
        *_intro(meta, result["recalibrate_check"]),
        "",
        *_own_targets(result["targets"], meta),
        "",
        *_every_model(summary),
        "",
        *_anchor_section(anchor),
        "",
        _tail_note(anchor, meta["target"]),
        "",
        "## Which model the outlook uses",
        "",
        _verdict(summary, anchor, meta),
    ]
    return "\n".join(lines) + "\n"


def _anchor_row(name: str, a: dict[str, Any]) -> str:
    b = a["bands"]["80"]
    return (
        f"| {name} | {a['median']:,} | {a['error_pct']:+.1f}% | {b['lo']:,}–{b['hi']:,} "
        f"| {a['mean']:,.0f} | {a['max_day']:,} | {_met(a['met'])} |"
    )


def _tail_note(anchor: dict[str, Any], target: str) -> str:
    """What the mean and the largest day say about the paths' upper tail."""
    rows = [anchor[OUTLOOK_MODEL], anchor["observed_weather"][OUTLOOK_MODEL]]
    ratio = max(a["mean"] / a["median"] for a in rows if a["median"])
    biggest = max(a["max_day"] for a in rows)
    text = (
        f"The largest day of {target} in the window was {anchor['actual_max_day']:,}, and "
        f"{anchor['history_max_day']:,} in all the data before it; the hurdle's largest day on "
        f"any path is {biggest:,} and its mean is up to {ratio:.2f}× its median."
    )
    if biggest > 3 * anchor["history_max_day"]:
        text += (
            " A few paths run away (a day far beyond anything seen), which the median and "
            "the 80% band do not feel but the mean and P(total ≥ X) for a large X do."
        )
    return text


def _verdict(summary: dict, anchor: dict, meta: dict) -> str:
    """The closing paragraph, from the figures."""
    hs = summary[OUTLOOK_MODEL]
    horizons = list(hs)
    best = [
        h
        for h in horizons
        if min(summary, key=lambda m: summary[m][h]["median_ape_pct"]) == OUTLOOK_MODEL
    ]
    covs = [hs[h]["coverage_80"] for h in horizons]
    zero = max(hs[h]["max_p_zero"] for h in horizons if int(h) >= P_ZERO_FROM)
    clim, obs = anchor[OUTLOOK_MODEL], anchor["observed_weather"][OUTLOOK_MODEL]
    errors = ", ".join(f"{hs[h]['median_ape_pct']:.1f}%" for h in horizons)
    if len(best) == len(horizons):
        rank = "the lowest of the three at every horizon"
    elif best:
        rank = f"the lowest of the three at {', '.join(best)} days"
    else:
        rank = "not the lowest of the three at any horizon"
    text = (
        "The hurdle with climatology weather (`crossings outlook` fits it; `GET /v1/outlook` "
        "runs the served champion, the hurdle on experiments/default.yaml). Its median "
        f"absolute error is {errors} at {', '.join(horizons)} days, {rank}; its 80% band "
        f"holds the actual at {min(covs):.2f}–{max(covs):.2f} of origins across the horizons. "
        "The shared crossing-day gate's P(any) calibration is drawn inside the simulation "
        "only on forecast days, so no outlook path is zeroed after the fact; the largest "
        f"P(total = 0) left at any origin and horizon is {zero:.4f} (target < {P_ZERO_MAX}). On "
        f"the anchor it says {clim['error_pct']:+.1f}% with climatology weather and "
        f"{obs['error_pct']:+.1f}% with the weather that happened"
    )
    moved = obs["error_pct"] - clim["error_pct"]
    text += (
        f": the weather that happened moves the median by {moved:+.1f} points against "
        f"climatology weather, and what is left ({obs['error_pct']:+.1f}%) is the level the "
        "fitted model carries into the season."
    )
    return text
