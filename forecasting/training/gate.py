"""The champion gate: score a target's winner against the current champion on the same
backtest window and data, register it and tag the version, then move an alias
(``champion`` if it wins by the margin and a paired test over origins finds the gain
significant, otherwise ``challenger``).

The paired test (`forecasting.training.paired`) compares both models' per-origin scores:
the challenger's come from this job's backtest rows, the champion's from the same rows (same
model and hyperparameters), from its run's logged backtest rows (same gate key), or from
re-running it through this backtest."""

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
from forecasting.training.paired import PairedTest, diebold_mariano, origin_scores
from forecasting.training.plan import GatePolicy
from forecasting.training.provenance import Provenance, TrainingData, full_params
from forecasting.training.results import GateDecision, ModelRun, ProgressFn
from forecasting.training.runlog import as_float

log = logging.getLogger(__name__)

PROVENANCE_ARTIFACT = "provenance.json"
TAG_LIMIT = 200  # registry tags stay short; the long values are in PROVENANCE_ARTIFACT


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
    rows: pd.DataFrame | None = None  # this job's backtest rows (all models), for the test

    def origin_scores(self, model: str, gate: GatePolicy) -> pd.Series | None:
        """`model`'s per-origin gate score in this job's backtest, if it has rows."""
        if self.rows is None:
            return None
        scores = origin_scores(self.rows, model, gate.weather_mode, gate.metric)
        return scores if len(scores) else None


@dataclass(frozen=True)
class Registered:
    """A registered, tagged version whose alias has not moved yet."""

    candidate: Candidate
    decision: GateDecision
    record: dict[str, Any]  # the promotion-history record, if it is promoted


@dataclass(frozen=True)
class Verdict:
    """The gate's comparison of a candidate with its champion, before registration."""

    champion_version: str | None
    champion_score: float | None
    reevaluated: bool
    promote: bool
    reason: str
    test: PairedTest | None = None

    @property
    def alias(self) -> str:
        """The alias this verdict moves."""
        return CHAMPION_ALIAS if self.promote else CHALLENGER_ALIAS


def decide(
    gate: GatePolicy, challenger: float, champion: float | None, test: PairedTest | None = None
) -> tuple[bool, str]:
    """Whether the challenger's score beats the champion's by the policy's margin and, given
    a paired `test`, significantly at the policy's level; and why. Without a test (no
    per-origin scores to pair) the margin alone decides, and the reason says so."""
    if champion is None or not np.isfinite(champion):
        return True, "no comparable champion"
    margin = gate.min_improvement * abs(champion)
    beats = challenger < champion - margin
    verb = "beats" if beats else "does not beat"
    reason = (
        f"{gate.metric} {challenger:.4g} {verb} the champion's {champion:.4g} "
        f"by more than {gate.min_improvement:.1%}"
    )
    if test is None:
        return beats, f"{reason}; no paired test (no per-origin scores)"
    significant = test.p_value < gate.significance
    word = "significant" if significant else "not significant"
    reason = (
        f"{reason}; paired test over {test.n_origins} origins p = {test.p_value:.3g}, "
        f"{word} at {gate.significance:g}"
    )
    return beats and significant, reason


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
    score, reevaluated, note, _ = champion_scores(c, champion, gate, data, progress)
    return score, reevaluated, note


def _champion_params(champion: tracking.VersionInfo) -> dict[str, Any] | None:
    """The champion's hyperparameters: from its provenance artifact, or from the
    ``model_params`` tag that versions registered before the artifact carry."""
    raw = champion.tags.get("model_params")
    if raw is not None:
        try:
            params = json.loads(raw)
        except ValueError:
            return None
        return params if isinstance(params, dict) else None
    run_id = champion.tags.get("run_id") or champion.run_id
    record = tracking.load_run_dict(run_id, PROVENANCE_ARTIFACT) if run_id else None
    params = (record or {}).get("model_params")
    return params if isinstance(params, dict) else None


def _recorded_origin_scores(champion: tracking.VersionInfo, gate: GatePolicy) -> pd.Series | None:
    """The champion's per-origin scores from its run's logged backtest rows, if readable."""
    run_id, name = champion.tags.get("run_id"), champion.tags.get("model_name")
    if not run_id or not name:
        return None
    rows = tracking.load_run_table(run_id, "backtest/forecasts.parquet")
    if rows is None or gate.metric not in rows:
        return None
    scores = origin_scores(rows, name, gate.weather_mode, gate.metric)
    return scores if len(scores) else None


def champion_scores(
    c: Candidate,
    champion: tracking.VersionInfo,
    gate: GatePolicy,
    data: TrainingData,
    progress: ProgressFn | None,
) -> tuple[float | None, bool, str, pd.Series | None]:
    """As `champion_score`, plus the champion's per-origin scores for the paired test. A
    recorded score is reused only with its per-origin scores (its run's backtest rows);
    without them the champion is re-run through this backtest."""
    tags, bt = champion.tags, c.backtest
    if tags.get("gate.key") == c.key and as_float(tags.get("gate.score")) is not None:
        per_origin = _recorded_origin_scores(champion, gate)
        if per_origin is not None or c.rows is None:
            note = "recorded score, same window and data"
            return float(tags["gate.score"]), False, note, per_origin
    name = tags.get("model_name")
    params = _champion_params(champion)
    if not name or not isinstance(params, dict):
        return None, False, "the champion has no model_name/model_params tags", None
    try:
        champion_full = full_params(name, bt.target, params)
    except ConfigError as exc:
        return None, False, f"the champion's model cannot be rebuilt ({exc})", None
    for cand in bt.models:
        if cand == name and full_params(cand, bt.target, bt.model_params[cand]) == champion_full:
            score = gate.score(c.summary, cand)
            note = "same model and hyperparameters in this backtest"
            return score, True, note, c.origin_scores(cand, gate)
    log.info("re-evaluating champion %s v%s on this window", name, champion.version)
    rebuilt = dataclasses.replace(
        bt, models=[name], weather_modes=(gate.weather_mode,), model_params={name: params}
    )

    def advance(done: int, total: int) -> None:
        if progress:
            progress(f"{bt.target}: re-evaluating champion", done, total)

    res = run_backtest(data.arrivals, data.weather, rebuilt, progress=advance)
    per_origin = origin_scores(res.rows, name, gate.weather_mode, gate.metric)
    return gate.score(res.summary(), name), True, "re-run through this backtest", per_origin


def judge(
    c: Candidate, gate: GatePolicy, data: TrainingData, progress: ProgressFn | None
) -> Verdict:
    """What the gate decides for `c` against its champion (not yet registered)."""
    champion = tracking.get_version_by_alias(c.registered_name, CHAMPION_ALIAS)
    score: float | None = None
    reevaluated = False
    note = "no champion yet"
    test: PairedTest | None = None
    if champion is not None:
        score, reevaluated, note, theirs = champion_scores(c, champion, gate, data, progress)
        ours = c.origin_scores(c.run.model, gate)
        if ours is not None and theirs is not None and score is not None:
            bt = c.backtest
            test = diebold_mariano(ours, theirs, bt.horizon, bt.step)
    promote, reason = decide(gate, c.run.gate_score, score, test)
    if champion is None:
        reason = "first champion"
    elif score is None:
        reason = f"{reason}: {note}"
    version = champion.version if champion is not None else None
    return Verdict(version, score, reevaluated, promote, reason, test)


def _short(text: str, limit: int = TAG_LIMIT) -> str:
    """`text` cut to `limit` characters for a tag (the whole text is in the artifact)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _version_tags(
    c: Candidate, v: Verdict, gate: GatePolicy, provenance: Provenance, record_uri: str
) -> dict[str, Any]:
    """A version's tags, each short: what the gate and a reader of the registry need, and
    where the long provenance is."""
    run = c.run
    return {
        "model_name": run.model,
        "target": run.target,
        "run_id": run.run_id,
        "gate.score": repr(run.gate_score),
        "gate.key": c.key,
        "trained_at": c.trained_at,
        **provenance.version_tags(),
        "gate.decision": v.alias,
        "gate.reason": _short(v.reason),
        "gate.champion_version": v.champion_version or "",
        "gate.champion_score": "" if v.champion_score is None else repr(v.champion_score),
        "gate.champion_reevaluated": str(v.reevaluated).lower(),
        "gate.p_value": "" if v.test is None else f"{v.test.p_value:.4g}",
        "gate.significance": f"{gate.significance:g}",
        "provenance": record_uri,
    }


def _log_provenance(
    c: Candidate, v: Verdict, gate: GatePolicy, provenance: Provenance, data: TrainingData
) -> str:
    """Log the long provenance (full params, manifest, hashes, the gate's full reasoning) as
    ``provenance.json`` on the winner's run; returns its URI for the version's tag."""
    run = c.run
    decision = {
        "key": c.key,
        "score": run.gate_score,
        **dataclasses.asdict(gate),
        "decision": v.alias,
        "reason": v.reason,
        "champion_version": v.champion_version,
        "champion_score": v.champion_score,
        "champion_reevaluated": v.reevaluated,
        "paired_test": None if v.test is None else dataclasses.asdict(v.test),
    }
    record = provenance.version_record(run, c.trained_at, data.manifest, decision)
    tracking.log_dict(record, PROVENANCE_ARTIFACT, run_id=run.run_id)
    return f"runs:/{run.run_id}/{PROVENANCE_ARTIFACT}"


def register(
    c: Candidate,
    gate: GatePolicy,
    provenance: Provenance,
    data: TrainingData,
    progress: ProgressFn | None,
    description: str = "",
    verdict: Verdict | None = None,
) -> Registered:
    """Compare with the champion, register the winner, log its provenance artifact, tag and
    describe the version (no alias yet). `description` is the experiment config's; `hold`, a
    reason to keep it a challenger whatever the comparison says (`joint_gate`)."""
    if progress:
        progress(f"{c.backtest.target}: gate and register", 0, 1)
    v = verdict if verdict is not None else judge(c, gate, data, progress)
    run, name = c.run, c.registered_name
    version = tracking.register_model(c.model_uri, name)
    record_uri = _log_provenance(c, v, gate, provenance, data)
    tracking.set_version_tags(name, version, _version_tags(c, v, gate, provenance, record_uri))
    # Descriptions from the experiment config on the version and the registered model.
    said = f"{v.alias}; {v.reason}"
    tracking.describe_version(
        name,
        version,
        provenance.version_description(run, c.trained_at, said, description, record_uri),
    )
    tracking.describe_registered_model(name, provenance.model_description(run.target, description))
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
        "p_value": None if v.test is None else v.test.p_value,
        "significance": gate.significance,
        "paired_test": None if v.test is None else dataclasses.asdict(v.test),
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
        p_value=None if v.test is None else v.test.p_value,
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
    "PROVENANCE_ARTIFACT",
    "Candidate",
    "Registered",
    "alias_move",
    "champion_score",
    "champion_scores",
    "decide",
    "gate_key",
    "mark_trained",
    "register",
]
