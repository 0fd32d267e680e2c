"""The champion gate: score a target's winner against the current champion on the same
backtest window and data, register it and tag the version, then move an alias
(``champion`` if it wins by the margin, otherwise ``challenger``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from forecasting import tracking
from forecasting.contract import CHALLENGER_ALIAS, CHAMPION_ALIAS
from forecasting.errors import ConfigError
from forecasting.evaluation.backtest import BacktestConfig, run_backtest
from forecasting.training.plan import GatePolicy
from forecasting.training.provenance import Provenance, TrainingData, full_params
from forecasting.training.results import GateDecision, ModelRun, ProgressFn
from forecasting.training.runlog import as_float

log = logging.getLogger(__name__)


def gate_key(gate: GatePolicy, bt: BacktestConfig, fingerprint: str) -> str:
    """A fingerprint of "the same backtest window and data": two gate scores are comparable
    exactly when their keys match. `fingerprint` identifies the data (`data_fingerprint`).

    The weather draws are part of the window: since issue 14 the forecast mode scores that
    many issued forecasts per origin, so a score from before (paths centred on the observed
    weather) never matches and the champion is re-run through this backtest."""
    fields = {
        "data": fingerprint,
        "target": bt.target,
        "start": str(bt.start.date()),
        "end": str(bt.end.date()),
        "step": bt.step,
        "horizon": bt.horizon,
        "n_samples": bt.n_samples,
        "seed": bt.seed,
        "levels": list(bt.levels_pct),
        "error_model": repr(bt.error_model),
        "metric": gate.metric,
        "weather_mode": gate.weather_mode,
        "weather_draws": bt.draws(gate.weather_mode),
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Candidate:
    """A target's winner, logged with its pyfunc but not yet registered."""

    registered_name: str
    backtest: BacktestConfig
    key: str  # gate_key of this job's window and data
    summary: pd.DataFrame
    run: ModelRun
    model_uri: str  # the pyfunc logged on the run
    trained_at: str


@dataclass(frozen=True)
class Registered:
    """A registered, tagged version whose alias has not moved yet."""

    candidate: Candidate
    decision: GateDecision
    record: dict[str, Any]  # the promotion-history record, if it is promoted


@dataclass(frozen=True)
class _Verdict:
    champion_version: str | None
    champion_score: float | None
    reevaluated: bool
    promote: bool
    reason: str

    @property
    def alias(self) -> str:
        return CHAMPION_ALIAS if self.promote else CHALLENGER_ALIAS


def decide(gate: GatePolicy, challenger: float, champion: float | None) -> tuple[bool, str]:
    """Whether the challenger's score beats the champion's by the policy's margin, and why."""
    if champion is None or not np.isfinite(champion):
        return True, "no comparable champion"
    margin = gate.min_improvement * abs(champion)
    verb = "beats" if challenger < champion - margin else "does not beat"
    return challenger < champion - margin, (
        f"{gate.metric} {challenger:.4g} {verb} the champion's {champion:.4g} "
        f"by more than {gate.min_improvement:.1%}"
    )


def champion_score(
    c: Candidate,
    champion: tracking.VersionInfo,
    gate: GatePolicy,
    data: TrainingData,
    progress: ProgressFn | None,
) -> tuple[float | None, bool, str]:
    """The champion's gate score on this job's backtest window and data.

    Reuses its recorded score when its gate key matches; else re-runs the champion's model
    name and hyperparameters through this backtest (or reuses this job's score for the
    same model and hyperparameters). Returns (score or None, re-evaluated?, note).
    """
    tags, bt = champion.tags, c.backtest
    if tags.get("gate.key") == c.key and as_float(tags.get("gate.score")) is not None:
        return float(tags["gate.score"]), False, "recorded score, same window and data"
    name = tags.get("model_name")
    try:
        params = json.loads(tags.get("model_params", "{}"))
    except ValueError:
        params = None
    if not name or not isinstance(params, dict):
        return None, False, "the champion has no model_name/model_params tags"
    try:
        champion_full = full_params(name, bt.target, params)
    except ConfigError as exc:
        return None, False, f"the champion's model cannot be rebuilt ({exc})"
    for cand in bt.models:
        if cand == name and full_params(cand, bt.target, bt.model_params[cand]) == champion_full:
            score = gate.score(c.summary, cand)
            return score, True, "same model and hyperparameters in this backtest"
    log.info("re-evaluating champion %s v%s on this window", name, champion.version)
    rebuilt = dataclasses.replace(
        bt, models=[name], weather_modes=(gate.weather_mode,), model_params={name: params}
    )

    def advance(done: int, total: int) -> None:
        if progress:
            progress(f"{bt.target}: re-evaluating champion", done, total)

    res = run_backtest(data.arrivals, data.weather, rebuilt, progress=advance)
    return gate.score(res.summary(), name), True, "re-run through this backtest"


def _judge(
    c: Candidate, gate: GatePolicy, data: TrainingData, progress: ProgressFn | None
) -> _Verdict:
    champion = tracking.get_version_by_alias(c.registered_name, CHAMPION_ALIAS)
    score: float | None = None
    reevaluated = False
    note = "no champion yet"
    if champion is not None:
        score, reevaluated, note = champion_score(c, champion, gate, data, progress)
    promote, reason = decide(gate, c.run.gate_score, score)
    if champion is None:
        reason = "first champion"
    elif score is None:
        reason = f"{reason}: {note}"
    version = champion.version if champion is not None else None
    return _Verdict(version, score, reevaluated, promote, reason)


def register(
    c: Candidate,
    gate: GatePolicy,
    provenance: Provenance,
    data: TrainingData,
    progress: ProgressFn | None,
) -> Registered:
    """Compare with the champion, register the winner and tag the version (no alias yet)."""
    if progress:
        progress(f"{c.backtest.target}: gate and register", 0, 1)
    v = _judge(c, gate, data, progress)
    run, name = c.run, c.registered_name
    version = tracking.register_model(c.model_uri, name)
    tracking.set_version_tags(
        name,
        version,
        {
            "model_name": run.model,
            "model_params": run.params,
            "target": run.target,
            "run_id": run.run_id,
            "gate.score": repr(run.gate_score),
            "gate.key": c.key,
            "trained_at": c.trained_at,
            **provenance.version_tags(),
            "gate.decision": v.alias,
            "gate.reason": v.reason,
            "gate.champion_version": v.champion_version or "",
            "gate.champion_score": "" if v.champion_score is None else repr(v.champion_score),
            "gate.champion_reevaluated": str(v.reevaluated).lower(),
        },
    )
    record = {
        "old_version": v.champion_version,
        "old_metric": v.champion_score,
        "new_metric": run.gate_score,
        "metric": gate.metric,
        "weather_mode": gate.weather_mode,
        "backtest_window": provenance.backtest_window,
        "manifest_sha256": provenance.manifest_sha256,
        "model_name": run.model,
        "run_id": run.run_id,
        "config_name": provenance.config_name,
        "reason": v.reason,
    }
    decision = GateDecision(
        registered_name=name,
        version=version,
        alias=v.alias,
        promoted=v.promote,
        challenger_score=run.gate_score,
        champion_version=v.champion_version,
        champion_score=v.champion_score,
        champion_reevaluated=v.reevaluated,
        reason=v.reason,
    )
    return Registered(c, decision, record)


def alias_move(r: Registered) -> tracking.AliasMove:
    """The alias this decision moves: ``champion`` if promoted, else ``challenger``; its
    record goes to the model's decision (and, if promoted, promotion) history."""
    d = r.decision
    record = {**r.record, "promoted": d.promoted, "decision": d.alias}
    return tracking.AliasMove(d.registered_name, d.alias, d.version, record)


def mark_trained(r: Registered, provenance: Provenance) -> None:
    """After every alias moved: note that this config has trained on this data."""
    d = r.decision
    tracking.set_registered_model_tag(
        d.registered_name,
        tracking.LAST_TRAINED_PREFIX + provenance.config_name,
        {
            "data_fingerprint": provenance.data_fingerprint,
            "manifest_sha256": provenance.manifest_sha256,
            "config_sha256": provenance.config_sha256,
            "version": d.version,
            "alias": d.alias,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    log.info("%s v%s -> %s (%s)", d.registered_name, d.version, d.alias, d.reason)


__all__ = [
    "Candidate",
    "Registered",
    "alias_move",
    "champion_score",
    "decide",
    "gate_key",
    "mark_trained",
    "register",
]
