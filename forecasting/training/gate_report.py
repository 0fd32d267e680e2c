"""The gate's decisions in words: run tags a person reads in the MLflow runs table and a
markdown summary (``gate_summary.md``) on the job's parent run.

Tags, set after the aliases moved so they say what happened: on the winner's run
``gate.decision`` (promoted, or kept: the champion stays), ``gate.reason`` (the gate's
sentence), ``gate.p_value`` and ``gate.compared_with``; on the parent run the same per target,
``gate.<target>.decision`` and so on.

The p-value is the gate's own paired test against the champion (`paired.diebold_mariano`
over the backtest origins). A first champion has nothing to be compared with; its p-value
is then the same one-sided test on the same backtest against the climatology baseline (or,
for climatology itself, the runner-up), and ``gate.compared_with`` says so. Without a second
model, or with too few origins, it stays empty.
"""

from __future__ import annotations

import logging

from forecasting.training.gate import Registered
from forecasting.training.headline import BASELINE, LEVEL, interval_text
from forecasting.training.paired import diebold_mariano, origin_scores
from forecasting.training.plan import GatePolicy
from forecasting.training.results import TargetResult, TrainResult

log = logging.getLogger(__name__)

SUMMARY_ARTIFACT = "gate_summary.md"


def reference_test(r: Registered, policy: GatePolicy) -> tuple[float | None, str]:
    """The p-value that the winner beats what it was compared with, and what that was."""
    d, c = r.decision, r.candidate
    if d.p_value is not None:
        return d.p_value, f"champion v{d.champion_version}"
    if c.rows is None:
        return None, ""
    winner = c.run.model
    others = {m: policy.score(c.summary, m) for m in c.summary["model"].unique() if m != winner}
    if not others:
        return None, ""
    ref = BASELINE if BASELINE in others else min(others, key=lambda m: others[m])
    test = diebold_mariano(
        origin_scores(c.rows, winner, policy.weather_mode, policy.metric),
        origin_scores(c.rows, ref, policy.weather_mode, policy.metric),
        c.backtest.horizon,
        c.backtest.step,
    )
    if test is None:
        return None, ""
    why = "no champion yet" if d.champion_version is None else "champion not comparable"
    return test.p_value, f"{ref} ({why})"


def readable(r: Registered, policy: GatePolicy) -> dict[str, str]:
    """One target's decision as short tag values: decision, reason, p_value, compared_with."""
    d = r.decision
    p, against = reference_test(r, policy)
    return {
        "decision": "promoted" if d.promoted else "kept",
        "reason": d.reason,
        "p_value": "" if p is None else f"{p:.4g}",
        "compared_with": against,
    }


def _decision_rows(registered: list[Registered], words: dict[str, dict[str, str]]) -> list[str]:
    rows = [
        "| target | winner | version | decision | p-value | compared with | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in registered:
        d, target = r.decision, r.candidate.backtest.target
        w = words[target]
        rows.append(
            f"| {target} | {r.candidate.run.model} | {d.registered_name} v{d.version} → "
            f"{d.alias} | {w['decision']} | {w['p_value'] or '–'} | "
            f"{w['compared_with'] or '–'} | {d.reason.replace('|', '/')} |"
        )
    return rows


def _score_rows(tr: TargetResult, mode: str) -> list[str]:
    rows = [
        f"| model | CRPS | CRPS skill vs {BASELINE} | Brier P(any) | 80% coverage |",
        "|---|---|---|---|---|",
    ]
    for run in sorted(tr.runs, key=lambda r: r.gate_score):
        m = run.metrics
        name = f"**{run.model}** (winner)" if run.model == tr.winner else run.model
        rows.append(
            f"| {name} | {interval_text(m, mode, 'crps')} | "
            f"{interval_text(m, mode, 'crps_skill', '.3f')} | "
            f"{interval_text(m, mode, 'brier', '.3f')} | "
            f"{interval_text(m, mode, 'coverage_80', '.2f')} |"
        )
    return rows


def summary_markdown(
    result: TrainResult,
    registered: list[Registered],
    words: dict[str, dict[str, str]],
    policy: GatePolicy,
) -> str:
    """The parent run's ``gate_summary.md``: each target's decision, then every model's
    headline scores with their bootstrap intervals over origins."""
    mode = policy.weather_mode
    lines = [
        f"# Gate decisions: {result.config_name}",
        "",
        f"Gate: {policy.metric} in {mode} weather; a winner is promoted when it beats the "
        f"champion by more than {policy.min_improvement:.1%} and a one-sided paired test "
        f"over the backtest origins finds it better at {policy.significance:g}.",
        "",
    ]
    if registered:
        lines += _decision_rows(registered, words)
    else:
        lines.append("Nothing was registered (registry.register is off).")
    lines += [
        "",
        f"## Scores ({mode} weather; [{LEVEL:.0%} bootstrap interval over origins])",
    ]
    for target, tr in result.targets.items():
        lines += ["", f"### {target}", "", *_score_rows(tr, mode)]
    return "\n".join(lines) + "\n"


__all__ = ["SUMMARY_ARTIFACT", "readable", "reference_test", "summary_markdown"]
