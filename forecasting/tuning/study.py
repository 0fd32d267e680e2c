"""Hyperparameter sweeps: an Optuna study whose objective is the backtest's gate metric.

Each trial backtests the tuned model (`tune_config`: the base experiment's window, shrunk by
the tuning config's overrides, in honest `forecast` weather) over its origins in chunks of
`study.origins_per_step`, oldest first, reporting the running score after each chunk so the
pruner can stop a trial that is clearly worse than earlier ones at the same point. A trial
that runs to the end scores exactly what one backtest over all its origins would: each
origin's random streams are keyed by seed, origin and draw, not by the chunk.

Optuna is the distributed engine: with an RDB storage (``--storage postgresql+psycopg://…``
or ``sqlite:///…``) every `crossings tune` process on one study name asks the storage for
its next trial, so trial numbers are unique across processes and machines. The process
that creates the study creates one MLflow parent run and records its id on the study;
every trial, from any process, is a nested run under it (params, running and final score,
state, trial number). The best complete trial is written as an experiment config for
`crossings train`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecasting import tracking
from forecasting.errors import ConfigError
from forecasting.evaluation.backtest import BacktestConfig, BacktestResult, run_backtest
from forecasting.training.config import check_data
from forecasting.training.plan import GatePolicy
from forecasting.training.provenance import TrainingData, load_data
from forecasting.tuning.best import TuneResult, summarize, write_best
from forecasting.tuning.config import (
    HONEST_MODE,
    CategoricalParam,
    FloatParam,
    TuneSpec,
)
from forecasting.tuning.storage import open_storage, redact

if TYPE_CHECKING:
    import optuna

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
PARENT_ATTR = "mlflow_parent_run_id"
EXPERIMENT_ATTR = "mlflow_experiment_id"
PARENT_WAIT_S = 60.0
# A trial whose model cannot be fitted with its parameters fails alone; the study goes on.
TRIAL_ERRORS: tuple[type[Exception], ...] = (ValueError, ArithmeticError)


def import_optuna() -> Any:
    """Optuna, or a ConfigError saying how to install the `tune` extra."""
    try:
        import optuna
    except ImportError as exc:
        raise ConfigError(
            "crossings tune needs Optuna; install it with pip install '.[tune]'"
        ) from exc
    optuna.logging.disable_default_handler()  # Optuna logs through ours
    optuna.logging.enable_propagation()
    return optuna


def make_sampler(spec: TuneSpec, shared: bool) -> Any:
    """The seeded sampler. On a shared storage each process mixes its pid into the seed, so
    processes do not propose the same parameters in the same order."""
    optuna = import_optuna()
    s = spec.cfg.study.sampler
    seed = (s.seed * 1_000_003 + os.getpid()) % 2**31 if shared else s.seed
    if shared:
        log.info("sampler seed %d (study seed %d mixed with pid %d)", seed, s.seed, os.getpid())
    if s.type == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(spec: TuneSpec) -> Any:
    """The pruner: median (default), a percentile, or none."""
    optuna = import_optuna()
    p = spec.cfg.study.pruner
    if p.type == "none":
        return optuna.pruners.NopPruner()
    kw = {"n_startup_trials": p.n_startup_trials, "n_warmup_steps": p.n_warmup_steps}
    if p.type == "percentile":
        return optuna.pruners.PercentilePruner(p.percentile, **kw)
    return optuna.pruners.MedianPruner(**kw)


def open_study(spec: TuneSpec, storage_url: str | None) -> tuple[optuna.Study, bool]:
    """Create the study, or load it if another process already did; returns it and whether
    this process created it (study creation is atomic in the storage)."""
    optuna = import_optuna()
    storage = open_storage(storage_url)
    kw = {
        "study_name": spec.study_name,
        "storage": storage,
        "sampler": make_sampler(spec, shared=storage is not None),
        "pruner": make_pruner(spec),
    }
    try:
        study = optuna.create_study(direction=spec.cfg.study.direction, **kw)
        return study, True
    except optuna.exceptions.DuplicatedStudyError:
        log.info("joining study %s on %s", spec.study_name, redact(storage_url or ""))
        return optuna.load_study(**kw), False


def _parent_run(study: optuna.Study, spec: TuneSpec, created: bool, storage: str | None) -> str:
    """The study's MLflow parent run: created by the process that created the study, read
    from the study's attributes by every other one (waiting briefly for it)."""
    deadline = time.monotonic() + (0 if created else PARENT_WAIT_S)
    while PARENT_ATTR not in study.user_attrs and time.monotonic() < deadline:
        time.sleep(0.5)
    if PARENT_ATTR in study.user_attrs:
        return str(study.user_attrs[PARENT_ATTR])
    if not created:
        log.warning("study %s has no MLflow parent run; creating one", spec.study_name)
    experiment_id = tracking.ensure_experiment(f"crossings-{spec.study_name}")
    parent = tracking.create_run(
        experiment_id,
        f"study-{spec.study_name}",
        tags={"optuna.study": spec.study_name, "tune.role": "study"},
    )
    space = {k: v.model_dump() for k, v in spec.cfg.search_space.items()}
    tracking.log_to_run(
        parent,
        params={
            "study": spec.study_name,
            "model": spec.cfg.model,
            "target": spec.target,
            "metric": spec.metric,
            "weather_mode": HONEST_MODE,
            "storage": redact(storage or "in-memory"),
            "search_space": space,
            "sampler": spec.cfg.study.sampler.model_dump(),
            "pruner": spec.cfg.study.pruner.model_dump(),
            "origins_per_step": spec.cfg.study.origins_per_step,
        },
    )
    study.set_user_attr(PARENT_ATTR, parent)
    study.set_user_attr(EXPERIMENT_ATTR, experiment_id)
    return parent


def suggest(trial: optuna.Trial, spec: TuneSpec) -> dict[str, Any]:
    """A trial's parameters from the search space."""
    out: dict[str, Any] = {}
    for key, p in spec.cfg.search_space.items():
        if isinstance(p, CategoricalParam):
            out[key] = trial.suggest_categorical(key, p.choices)
        elif isinstance(p, FloatParam):
            out[key] = trial.suggest_float(key, p.low, p.high, step=p.step, log=p.log)
        else:
            out[key] = trial.suggest_int(key, p.low, p.high, step=p.step, log=p.log)
    return out


@dataclasses.dataclass
class Objective:
    """Scores one trial: a chunked backtest, reported step by step, in one MLflow run."""

    spec: TuneSpec
    data: TrainingData
    backtest: BacktestConfig
    experiment_id: str
    parent_run_id: str
    progress: ProgressFn | None = None

    def __call__(self, trial: optuna.Trial) -> float:
        """The trial's gate score (TrialPruned if the pruner stops it)."""
        optuna = import_optuna()
        params = suggest(trial, self.spec)
        tags = {"optuna.study": self.spec.study_name, "optuna.trial_number": trial.number}
        state = "FAIL"
        with tracking.start_run(
            self.experiment_id,
            run_name=f"trial-{trial.number}",
            tags={k: str(v) for k, v in tags.items()},
            parent_run_id=self.parent_run_id,
        ):
            tracking.log_params(params)
            try:
                value, pruned = self._score(trial, params)
                state = "PRUNED" if pruned else "COMPLETE"
            finally:
                tracking.set_tags({"optuna.state": state})
            if not pruned:
                tracking.log_metrics({self.spec.metric: value})
        log.info("trial %d %s: %s -> %s %.4f", trial.number, state, params, self.spec.metric, value)
        if pruned:
            raise optuna.TrialPruned(f"{self.spec.metric} {value:.4f} when pruned")
        return value

    def _score(self, trial: optuna.Trial, params: dict[str, Any]) -> tuple[float, bool]:
        """Backtest the origins chunk by chunk; after each, report the running score and
        stop if the pruner says so. Returns (score so far, pruned)."""
        model = self.spec.cfg.model
        cfg = dataclasses.replace(
            self.backtest, model_params={model: self.spec.model_params(params)}
        )
        origins = cfg.origins
        size = self.spec.cfg.study.origins_per_step
        gate = GatePolicy(self.spec.metric, HONEST_MODE, 0.0)
        rows: list[pd.DataFrame] = []
        fits: list[pd.DataFrame] = []
        value = float("nan")
        for first in range(0, len(origins), size):
            chunk = origins[first : first + size]
            part = run_backtest(
                self.data.arrivals,
                self.data.weather,
                dataclasses.replace(cfg, start=chunk[0], end=chunk[-1]),
            )
            rows.append(part.rows)
            fits.append(part.fits)
            done = first + len(chunk)
            so_far = BacktestResult(cfg, pd.concat(rows), pd.concat(fits)).summary()
            value = gate.score(so_far, model)
            trial.report(value, done)
            tracking.log_metrics({f"{self.spec.metric}_running": value}, step=done)
            if self.progress:
                self.progress(f"trial {trial.number}: origins", done, len(origins))
            if done < len(origins) and trial.should_prune():
                return value, True
        return value, False


def run_tune(
    spec: TuneSpec,
    data_dir: str | Path,
    trials: int,
    storage: str | None = None,
    tracking_uri: str | None = None,
    out: Path | None = None,
    progress: ProgressFn | None = None,
    cluster: str | None = None,
) -> TuneResult:
    """Run `trials` trials of the study in this process (more processes may share it through
    `storage`), with the origins on the Dask scheduler at `cluster` if given; then write the
    study's best complete trial as an experiment config.

    Raises ConfigError / InputError before any trial if the config, data, storage or cluster
    are bad, and tracking.TrackingUnavailable if MLflow does not answer.
    """
    from forecasting.evaluation.cluster import backend

    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {trials}")
    data = load_data(data_dir)
    check_data(spec.trial_experiment, data.arrivals, data.weather)
    backtest = spec.trial_experiment.backtest_config(spec.target, data.arrivals, data.weather)
    if cluster is not None:
        backtest = dataclasses.replace(backtest, n_jobs=-1)  # every worker of the cluster
    with backend(cluster):
        uri = tracking.configure(tracking_uri)
        tracking.check_reachable(uri)
        study, created = open_study(spec, storage)
        parent = _parent_run(study, spec, created, storage)
        recorded = study.user_attrs.get(EXPERIMENT_ATTR)
        experiment_id = (
            str(recorded)
            if recorded
            else tracking.ensure_experiment(f"crossings-{spec.study_name}")
        )
        objective = Objective(spec, data, backtest, experiment_id, parent, progress)
        mine = _optimize(study, objective, trials, progress, parent if created else None)
    result = summarize(study, spec, parent, experiment_id, mine)
    tracking.log_to_run(parent, metrics=result.parent_metrics(spec.metric), tags=result.tags())
    if created:
        tracking.end_run_by_id(parent)
    if result.best_number is not None:
        result.out = write_best(spec, study, spec.output_path(out))
    return result


def _optimize(
    study: optuna.Study,
    objective: Objective,
    trials: int,
    progress: ProgressFn | None,
    owned_parent: str | None,
) -> list[int]:
    """Run the trials; returns their numbers. If interrupted or broken, the parent run this
    process owns is marked KILLED so it does not look alive."""
    mine: list[int] = []

    def done(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        mine.append(trial.number)
        if progress:
            progress("trials", len(mine), trials)

    if progress:
        progress("trials", 0, trials)
    try:
        study.optimize(objective, n_trials=trials, callbacks=[done], catch=TRIAL_ERRORS)
    except BaseException:
        if owned_parent is not None:
            tracking.end_run_by_id(owned_parent, "KILLED")
        raise
    return mine


__all__ = ["Objective", "import_optuna", "make_pruner", "make_sampler", "open_study", "run_tune"]
