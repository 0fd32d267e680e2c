"""The training job: backtest every model of an experiment config, log it, gate the winner.

Order of work, chosen so that an interrupted or failed job never moves a champion:

1. Validate the config against the processed tables, then check MLflow answers — all before
   any run exists.
2. Per target: one rolling-origin backtest of all the config's models; one nested MLflow run
   per model with its hyperparameters, provenance, metrics (overall and per lead day),
   charts, backtest forecasts and the data manifest. Each model is refit on all the data
   for its next-week chart; the winner (lowest gate metric in the gate weather mode) is also
   logged as a pyfunc model in its run.
3. Only then, per target: compare the winner with the current champion on the same backtest
   window and data, register it, tag the version, and finally move an alias
   (`champion` if it wins by the margin, otherwise `challenger`).

MLflow is reached only through `forecasting.tracking`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting import schema, tracking
from forecasting.errors import ConfigError
from forecasting.evaluation import metrics
from forecasting.evaluation.backtest import BacktestConfig, BacktestResult, run_backtest
from forecasting.ingest import MANIFEST_FILE, load_processed, sha256_file
from forecasting.models import create
from forecasting.tracking.pyfunc import CrossingsModel, input_example, summarise
from forecasting.training import plots
from forecasting.training.config import ExperimentConfig, check_data
from forecasting.weather.modes import future_weather

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
SUMMARY_KEYS = (
    "crps",
    "wis",
    "pinball",
    "mae",
    "rmse",
    "mase",
    "brier",
    "coverage_50",
    "coverage_80",
    "coverage_95",
    "central_coverage_50",
    "central_coverage_80",
    "central_coverage_95",
    "width_50",
    "width_80",
    "width_95",
    "n_forecasts",
)
HISTORY_TAIL_DAYS = 56


# -- results ---------------------------------------------------------------------------


@dataclass
class ModelRun:
    """One model's nested run for one target."""

    target: str
    model: str
    params: dict[str, Any]
    run_id: str
    gate_score: float
    metrics: dict[str, float]
    fit_seconds_median: float


@dataclass
class GateDecision:
    """What the gate decided for one target's winner."""

    registered_name: str
    version: str
    alias: str
    promoted: bool
    challenger_score: float
    champion_version: str | None
    champion_score: float | None
    champion_reevaluated: bool
    reason: str


@dataclass
class TargetResult:
    """A target's runs, winner and (if registered) the gate decision."""

    target: str
    runs: list[ModelRun]
    winner: str
    decision: GateDecision | None = None

    def run_for(self, model: str) -> ModelRun:
        """The run of `model`."""
        return next(r for r in self.runs if r.model == model)


@dataclass
class TrainResult:
    """Everything a caller (CLI, retrain, tests) needs to know about a training job."""

    config_name: str
    experiment_name: str
    experiment_id: str
    parent_run_id: str
    tracking_uri: str
    manifest_sha256: str
    data_fingerprint: str
    config_sha256: str
    data_vintage: str | None
    gate_metric: str = "crps"
    gate_weather_mode: str = "forecast"
    targets: dict[str, TargetResult] = field(default_factory=dict)

    @property
    def promoted(self) -> list[str]:
        """Registered model names whose champion moved in this job."""
        return [
            t.decision.registered_name
            for t in self.targets.values()
            if t.decision is not None and t.decision.promoted
        ]


@dataclass(frozen=True)
class TrainingData:
    """The processed tables and their provenance."""

    data_dir: Path
    arrivals: pd.DataFrame
    weather: pd.DataFrame
    manifest: dict[str, Any]
    manifest_sha256: str

    @property
    def fingerprint(self) -> str:
        """The data's identity for the gate and for "nothing new": a hash of the processed
        tables' hashes (unlike the manifest's own hash, blind to where the sources lay)."""
        return data_fingerprint(self.manifest)

    @property
    def vintage(self) -> str | None:
        """The Home Office file's vintage (publication date)."""
        return self.manifest["sources"]["arrivals"].get("vintage")

    @property
    def weather_source(self) -> str:
        """Where the weather came from."""
        return str(self.manifest["sources"]["weather"].get("source"))

    @property
    def weather_location(self) -> str:
        """Where the weather was measured."""
        return str(self.manifest["sources"]["weather"].get("location"))

    @property
    def last_date(self) -> pd.Timestamp:
        """The last day with arrivals."""
        return pd.Timestamp(self.arrivals[schema.DATE].iloc[-1])

    def provenance(self) -> dict[str, Any]:
        """Params every run logs about the data."""
        src = self.manifest["sources"]
        return {
            "data.vintage": self.vintage,
            "data.manifest_sha256": self.manifest_sha256,
            "data.fingerprint": self.fingerprint,
            "data.first_date": src["arrivals"]["first_date"],
            "data.last_date": src["arrivals"]["last_date"],
            "data.arrivals_sha256": src["arrivals"]["sha256"],
            "weather.source": self.weather_source,
            "weather.location": self.weather_location,
            "weather.vintage": src["weather"].get("vintage"),
        }


def data_fingerprint(manifest: dict[str, Any]) -> str:
    """Hash of the processed tables' sha256s listed in an ingest manifest."""
    outputs = {k: v.get("sha256") for k, v in sorted(manifest.get("outputs", {}).items())}
    return hashlib.sha256(json.dumps(outputs, sort_keys=True).encode()).hexdigest()


def load_data(data_dir: str | Path) -> TrainingData:
    """Read what `crossings ingest` wrote (InputError naming the folder if it is missing)."""
    d = Path(data_dir)
    arrivals, weather, manifest = load_processed(d)
    return TrainingData(d, arrivals, weather, manifest, sha256_file(d / MANIFEST_FILE))


# -- helpers ---------------------------------------------------------------------------


def git_commit() -> str:
    """The source commit: $CROSSINGS_GIT_COMMIT, else `git rev-parse HEAD` (+ "-dirty"),
    else "unknown". Read-only: git is told not to take optional locks."""
    if env := os.environ.get("CROSSINGS_GIT_COMMIT"):
        return env
    root = Path(__file__).resolve().parents[1]
    env_vars = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            env=env_vars,
        )
        if head.returncode != 0:
            return "unknown"
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            env=env_vars,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def full_params(name: str, target: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every hyperparameter of a model (defaults included), JSON-normalised, without target."""
    model = create(name, target=target, **params)
    out = {k: v for k, v in model.get_params().items() if k != "target"}
    normalised: dict[str, Any] = json.loads(json.dumps(out, default=str, sort_keys=True))
    return normalised


def gate_key(cfg: ExperimentConfig, bt: BacktestConfig, fingerprint: str) -> str:
    """A fingerprint of "the same backtest window and data": two gate scores are comparable
    exactly when their keys match. `fingerprint` identifies the data (`data_fingerprint`)."""
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
        "metric": cfg.gate.metric,
        "weather_mode": cfg.gate.weather_mode,
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:24]


def _score(summary: pd.DataFrame, model: str, mode: str, metric: str) -> float:
    row = summary.loc[(summary["model"] == model) & (summary["weather_mode"] == mode)]
    if row.empty:
        return float("nan")
    return float(row[metric].iloc[0])


def _as_float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def pip_requirements(model_name: str) -> list[str]:
    """Pinned requirements written with the pyfunc (informational with --env-manager local)."""
    pkgs = ["mlflow", "pandas", "numpy", "scipy", "statsmodels", "cloudpickle", "pyarrow"]
    if model_name.startswith("prophet"):
        pkgs.append("prophet")
    out = []
    for p in pkgs:
        try:
            out.append(f"{p}=={importlib_metadata.version(p)}")
        except importlib_metadata.PackageNotFoundError:
            out.append(p)
    return out


def _next_days_weather(
    data: TrainingData, dates: pd.DatetimeIndex, n_paths: int, seed: int
) -> tuple[Any, pd.DataFrame, str]:
    """Weather for the days after the data: paths for the fan chart, one frame for the
    input example, and which mode they came from. Uses the observed weather perturbed like
    a forecast where it exists (the weather file often runs ahead of the arrivals), else
    the same season of past years."""
    w = data.weather
    have = set(pd.DatetimeIndex(w.loc[w["wind_mean_ms"].notna(), schema.DATE]))
    rng = np.random.default_rng([seed, 7])
    if all(d in have for d in dates):
        fw = future_weather("forecast", w, dates, n_paths, rng)
        frame = w.set_index(schema.DATE).loc[dates].reset_index()
        return fw, frame, "forecast"
    past = w.loc[w[schema.DATE] < dates[0]]
    fw = future_weather("climatology", past, dates, n_paths, rng)
    return fw, fw.mean_frame(), "climatology"


def _summary_metrics(summary: pd.DataFrame, model: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for _, row in summary.loc[summary["model"] == model].iterrows():
        mode = row["weather_mode"]
        for key in SUMMARY_KEYS:
            if key in row and (v := _as_float(row[key])) is not None:
                out[f"{mode}/{key}"] = v
    return out


def _lead_metric_rows(rows: pd.DataFrame) -> list[tuple[str, float, int]]:
    by_lead = metrics.aggregate_scores(rows, ["weather_mode", "lead"])
    out = []
    for _, row in by_lead.iterrows():
        for key in SUMMARY_KEYS:
            if key in row and (v := _as_float(row[key])) is not None:
                out.append((f"{row['weather_mode']}/by_lead/{key}", v, int(row["lead"])))
    return out


# -- the job ---------------------------------------------------------------------------


def _log_model_run(
    cfg: ExperimentConfig,
    target: str,
    name: str,
    result: BacktestResult,
    summary: pd.DataFrame,
    data: TrainingData,
    common: dict[str, Any],
    experiment_id: str,
    is_winner: bool,
    tmp: Path,
) -> tuple[ModelRun, str | None, dict[str, Any] | None]:
    """One nested run. Returns the run and, for a winner that is to be registered, the
    logged pyfunc's URI and its metadata."""
    params = full_params(name, target, cfg.model_params(name))
    rows = result.rows.loc[result.rows["model"] == name].reset_index(drop=True)
    fits = result.fits.loc[result.fits["model"] == name, "fit_seconds"]
    gate_score = _score(summary, name, cfg.gate.weather_mode, cfg.gate.metric)
    overall = _summary_metrics(summary, name)
    fc_cfg = cfg.forecast
    with tracking.start_run(
        experiment_id,
        run_name=f"{target}-{name}",
        nested=True,
        tags={"target": target, "model": name, "role": "winner" if is_winner else "candidate"},
    ) as run_id:
        tracking.log_params(
            {
                "model": name,
                "target": target,
                **{f"model.{k}": v for k, v in params.items()},
                **common,
            }
        )
        lead_rows = _lead_metric_rows(rows)
        tracking.log_metric_rows(
            [(k, v, 0) for k, v in overall.items()]
            + lead_rows
            + [
                ("gate_score", gate_score, 0),
                ("fit_seconds_median", float(fits.median()), 0),
                ("fit_seconds_mean", float(fits.mean()), 0),
                ("fit_seconds_total", float(fits.sum()), 0),
            ]
        )
        title = f"{target} · {name}"
        tracking.log_figure(
            plots.backtest_fan_chart(
                rows, cfg.gate.weather_mode, title=f"{title}: last backtest origins"
            ),
            "plots/backtest_fan.png",
        )
        tracking.log_figure(
            plots.calibration_plot(rows, title=f"{title}: calibration"), "plots/calibration.png"
        )
        tracking.log_table(rows, "backtest/forecasts.parquet", tmp)
        tracking.log_artifact(data.data_dir / MANIFEST_FILE, "data")

        # Refit on all the data: next-week chart, and the registered model for the winner.
        t0 = time.perf_counter()
        model = create(name, target=target, **cfg.model_params(name))
        weather_hist = data.weather.loc[data.weather[schema.DATE] <= data.last_date]
        model.fit(data.arrivals, weather_hist)
        refit_seconds = time.perf_counter() - t0
        tracking.log_metrics({"refit_seconds": refit_seconds})
        dates = pd.date_range(data.last_date + pd.Timedelta(days=1), periods=fc_cfg.horizon)
        fw, frame, mode = _next_days_weather(data, dates, fc_cfg.n_samples, cfg.backtest.seed)
        fc = model.predict(fc_cfg.horizon, fw, fc_cfg.n_samples, seed=cfg.backtest.seed)
        history = data.arrivals.loc[:, [schema.DATE, target]].tail(HISTORY_TAIL_DAYS)
        tracking.log_figure(
            plots.next_week_fan_chart(
                history,
                fc,
                title=f"{title}: next {fc_cfg.horizon} days ({mode} weather); labels: P(any)",
            ),
            "plots/next_week_fan.png",
        )
        next_week = summarise(fc)
        next_week.insert(1, "weather", mode)
        tracking.log_table(next_week, "forecast/next_week.csv", tmp)

        model_uri = None
        meta = None
        if is_winner and cfg.registry.register_winner:
            start, end = cfg.window(data.arrivals)
            meta = {
                "model_name": name,
                "target": target,
                "params": params,
                "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "data_vintage": data.vintage,
                "manifest_sha256": data.manifest_sha256,
                "weather_source": data.weather_source,
                "weather_location": data.weather_location,
                "backtest_metrics": {
                    k.split("/", 1)[1]: v
                    for k, v in overall.items()
                    if k.startswith(f"{cfg.gate.weather_mode}/")
                },
                "gate": {
                    "metric": cfg.gate.metric,
                    "weather_mode": cfg.gate.weather_mode,
                    "score": gate_score,
                    "start": str(start.date()),
                    "end": str(end.date()),
                    "step": cfg.backtest.step,
                    "horizon": cfg.backtest.horizon,
                },
                "config_name": cfg.name,
                "run_id": run_id,
                "git_commit": common.get("git_commit"),
            }
            wrapped = CrossingsModel(model, meta, history)
            example = input_example(wrapped, frame)
            output = wrapped.predict(None, example, {"n_samples": 200, "seed": 0})
            model_uri = tracking.log_pyfunc_model(
                wrapped,
                example,
                output,
                params={"n_samples": fc_cfg.n_samples, "seed": 0},
                pip_requirements=pip_requirements(name),
            )
    run = ModelRun(
        target=target,
        model=name,
        params=params,
        run_id=run_id,
        gate_score=gate_score,
        metrics=overall,
        fit_seconds_median=float(fits.median()),
    )
    return run, model_uri, meta


def _champion_score(
    cfg: ExperimentConfig,
    bt: BacktestConfig,
    key: str,
    champion: tracking.VersionInfo,
    summary: pd.DataFrame,
    data: TrainingData,
    progress: ProgressFn | None,
) -> tuple[float | None, bool, str]:
    """The champion's gate score on this job's backtest window and data.

    Reuses its recorded score when its gate key matches; else re-runs the champion's model
    name and hyperparameters through this backtest (or reuses this job's score for the
    same model and hyperparameters). Returns (score or None, re-evaluated?, note).
    """
    tags = champion.tags
    if tags.get("gate.key") == key and _as_float(tags.get("gate.score")) is not None:
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
    for cand in cfg.models:
        if cand == name and full_params(cand, bt.target, cfg.model_params(cand)) == (champion_full):
            score = _score(summary, cand, cfg.gate.weather_mode, cfg.gate.metric)
            return score, True, "same model and hyperparameters in this backtest"
    log.info("re-evaluating champion %s v%s on this window", name, champion.version)
    rebuilt = BacktestConfig(
        models=[name],
        start=bt.start,
        end=bt.end,
        step=bt.step,
        horizon=bt.horizon,
        target=bt.target,
        weather_modes=(cfg.gate.weather_mode,),
        n_samples=bt.n_samples,
        seed=bt.seed,
        n_jobs=bt.n_jobs,
        model_params={name: params},
    )

    def advance(done: int, total: int) -> None:
        if progress:
            progress(f"{bt.target}: re-evaluating champion", done, total)

    res = run_backtest(data.arrivals, data.weather, rebuilt, progress=advance)
    score = _score(res.summary(), name, cfg.gate.weather_mode, cfg.gate.metric)
    return score, True, "re-run through this backtest"


def _decide(cfg: ExperimentConfig, challenger: float, champion: float | None) -> tuple[bool, str]:
    if champion is None or not np.isfinite(champion):
        return True, "no comparable champion"
    margin = cfg.gate.min_improvement * abs(champion)
    if challenger < champion - margin:
        return True, (
            f"{cfg.gate.metric} {challenger:.4g} beats the champion's {champion:.4g} "
            f"by more than {cfg.gate.min_improvement:.1%}"
        )
    return False, (
        f"{cfg.gate.metric} {challenger:.4g} does not beat the champion's {champion:.4g} "
        f"by more than {cfg.gate.min_improvement:.1%}"
    )


@dataclass
class _Pending:
    """A target's winner, logged but not yet registered."""

    target: str
    bt: BacktestConfig
    key: str
    summary: pd.DataFrame
    run: ModelRun
    model_uri: str
    meta: dict[str, Any]


@dataclass
class _Registered:
    """A registered, tagged version whose alias has not moved yet."""

    pending: _Pending
    decision: GateDecision
    record: dict[str, Any]


def _register(
    cfg: ExperimentConfig,
    p: _Pending,
    data: TrainingData,
    commit: str,
    progress: ProgressFn | None,
) -> _Registered:
    """Compare with the champion, register the winner and tag the version (no alias yet)."""
    name = cfg.registered_name(p.target)
    if progress:
        progress(f"{p.target}: gate and register", 0, 1)
    champion = tracking.get_version_by_alias(name, tracking.CHAMPION)
    champ_score: float | None = None
    reevaluated = False
    note = "no champion yet"
    if champion is not None:
        champ_score, reevaluated, note = _champion_score(
            cfg, p.bt, p.key, champion, p.summary, data, progress
        )
    promote, reason = _decide(cfg, p.run.gate_score, champ_score)
    if champion is None:
        reason = "first champion"
    elif champ_score is None:
        reason = f"{reason}: {note}"
    version = tracking.register_model(p.model_uri, name)
    alias = tracking.CHAMPION if promote else tracking.CHALLENGER
    tracking.set_version_tags(
        name,
        version,
        {
            "model_name": p.run.model,
            "model_params": p.run.params,
            "target": p.target,
            "config_name": cfg.name,
            "config_sha256": cfg.sha256(),
            "run_id": p.run.run_id,
            "gate.metric": cfg.gate.metric,
            "gate.weather_mode": cfg.gate.weather_mode,
            "gate.score": repr(p.run.gate_score),
            "gate.key": p.key,
            "backtest.start": str(p.bt.start.date()),
            "backtest.end": str(p.bt.end.date()),
            "backtest.step": p.bt.step,
            "backtest.horizon": p.bt.horizon,
            "backtest.n_samples": p.bt.n_samples,
            "backtest.seed": p.bt.seed,
            "data.manifest_sha256": data.manifest_sha256,
            "data.fingerprint": data.fingerprint,
            "data.vintage": data.vintage,
            "trained_at": p.meta["trained_at"],
            "git_commit": commit,
            "gate.decision": alias,
            "gate.reason": reason,
            "gate.champion_version": champion.version if champion else "",
            "gate.champion_score": "" if champ_score is None else repr(champ_score),
            "gate.champion_reevaluated": str(reevaluated).lower(),
        },
    )
    record = {
        "old_version": champion.version if champion else None,
        "old_metric": champ_score,
        "new_metric": p.run.gate_score,
        "metric": cfg.gate.metric,
        "weather_mode": cfg.gate.weather_mode,
        "backtest_window": f"{p.bt.start.date()}..{p.bt.end.date()} every {p.bt.step}d",
        "manifest_sha256": data.manifest_sha256,
        "model_name": p.run.model,
        "run_id": p.run.run_id,
        "config_name": cfg.name,
        "reason": reason,
    }
    decision = GateDecision(
        registered_name=name,
        version=version,
        alias=alias,
        promoted=promote,
        challenger_score=p.run.gate_score,
        champion_version=champion.version if champion else None,
        champion_score=champ_score,
        champion_reevaluated=reevaluated,
        reason=reason,
    )
    return _Registered(p, decision, record)


def _move_alias(cfg: ExperimentConfig, r: _Registered, data: TrainingData) -> None:
    """The last step for a target: promote (history record, then alias) or mark the
    challenger; then note that this config has trained on this data."""
    d = r.decision
    if d.promoted:
        tracking.promote(d.registered_name, d.version, r.record)
    else:
        tracking.set_alias(d.registered_name, tracking.CHALLENGER, d.version)
    tracking.set_registered_model_tag(
        d.registered_name,
        tracking.LAST_TRAINED_PREFIX + cfg.name,
        {
            "data_fingerprint": data.fingerprint,
            "manifest_sha256": data.manifest_sha256,
            "config_sha256": cfg.sha256(),
            "version": d.version,
            "alias": d.alias,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    log.info("%s v%s -> %s (%s)", d.registered_name, d.version, d.alias, d.reason)


def prepare(cfg: ExperimentConfig, data_dir: str | Path) -> TrainingData:
    """Load the processed tables and check the config against them (no MLflow involved)."""
    data = load_data(data_dir)
    check_data(cfg, data.arrivals, data.weather)
    return data


def train(
    cfg: ExperimentConfig,
    data_dir: str | Path,
    tracking_uri: str | None = None,
    progress: ProgressFn | None = None,
) -> TrainResult:
    """Run the whole training job for `cfg` on the tables in `data_dir` (see module doc).

    Raises ConfigError / InputError before any run exists if the config or data are bad,
    and tracking.TrackingUnavailable if MLflow does not answer.
    """
    data = prepare(cfg, data_dir)
    uri = tracking.configure(tracking_uri)
    tracking.check_reachable(uri)
    experiment_id = tracking.ensure_experiment(cfg.experiment_name)
    commit = git_commit()
    started = datetime.now(UTC)
    result = TrainResult(
        config_name=cfg.name,
        experiment_name=cfg.experiment_name,
        experiment_id=experiment_id,
        parent_run_id="",
        tracking_uri=uri,
        manifest_sha256=data.manifest_sha256,
        data_fingerprint=data.fingerprint,
        config_sha256=cfg.sha256(),
        data_vintage=data.vintage,
        gate_metric=cfg.gate.metric,
        gate_weather_mode=cfg.gate.weather_mode,
    )
    start, end = cfg.window(data.arrivals)
    common = {
        **data.provenance(),
        "git_commit": commit,
        "config.name": cfg.name,
        "config.sha256": cfg.sha256(),
        "backtest.start": str(start.date()),
        "backtest.end": str(end.date()),
        "backtest.step": cfg.backtest.step,
        "backtest.horizon": cfg.backtest.horizon,
        "backtest.weather_modes": ",".join(cfg.backtest.weather_modes),
        "backtest.n_samples": cfg.backtest.n_samples,
        "backtest.seed": cfg.backtest.seed,
        "gate.metric": cfg.gate.metric,
        "gate.weather_mode": cfg.gate.weather_mode,
    }
    pending: list[_Pending] = []
    with (
        tempfile.TemporaryDirectory(prefix="crossings-train-") as tmp_name,
        tracking.start_run(
            experiment_id,
            run_name=f"{cfg.name}-{started:%Y%m%d-%H%M%S}",
            tags={"config": cfg.name, "data.vintage": str(data.vintage)},
        ) as parent_id,
    ):
        tmp = Path(tmp_name)
        result.parent_run_id = parent_id
        tracking.log_params(
            {
                **common,
                "targets": ",".join(cfg.targets),
                "models": ",".join(cfg.models),
                "gate.min_improvement": cfg.gate.min_improvement,
                "registry.register": cfg.registry.register_winner,
            }
        )
        tracking.log_dict(cfg.model_dump(mode="json", by_alias=True), "config/experiment.yaml")
        if cfg.path is not None:
            tracking.log_artifact(cfg.path, "config")
        tracking.log_artifact(data.data_dir / MANIFEST_FILE, "data")
        summaries = []
        for target in cfg.targets:
            bt = cfg.backtest_config(target, data.arrivals)

            def advance(done: int, total: int, target: str = target) -> None:
                if progress:
                    progress(f"{target}: backtest", done, total)

            log.info("backtest %s: %d origins × %d models", target, len(bt.origins), len(bt.models))
            if progress:
                progress(f"{target}: backtest", 0, len(bt.origins))
            bt_result = run_backtest(data.arrivals, data.weather, bt, progress=advance)
            summary = bt_result.summary()
            scores = {
                name: _score(summary, name, cfg.gate.weather_mode, cfg.gate.metric)
                for name in cfg.models
            }
            finite = {k: v for k, v in scores.items() if np.isfinite(v)}
            if not finite:
                raise ConfigError(
                    f"gate.metric: no model has a finite {cfg.gate.metric} for {target}"
                )
            winner = min(finite, key=lambda k: finite[k])
            runs = []
            for i, name in enumerate(cfg.models):
                if progress:
                    progress(f"{target}: logging {name}", i, len(cfg.models))
                run, model_uri, meta = _log_model_run(
                    cfg,
                    target,
                    name,
                    bt_result,
                    summary,
                    data,
                    common,
                    experiment_id,
                    name == winner,
                    tmp,
                )
                runs.append(run)
                if model_uri is not None and meta is not None:
                    pending.append(
                        _Pending(
                            target,
                            bt,
                            gate_key(cfg, bt, data.fingerprint),
                            summary,
                            run,
                            model_uri,
                            meta,
                        )
                    )
            result.targets[target] = TargetResult(target, runs, winner)
            tracking.log_metrics({f"{target}/winner_{cfg.gate.metric}": finite[winner]})
            tracking.set_tags({f"winner.{target}": winner})
            summaries.append(summary.assign(target=target))
        table = pd.concat(summaries, ignore_index=True)
        cols = ["target", "model", "weather_mode", *[k for k in SUMMARY_KEYS if k in table]]
        tracking.log_table(
            table.loc[:, [*cols, "fit_seconds_median"]], "summary/backtest_summary.csv", tmp
        )
        # Registry last: everything above succeeded, so gate decisions are safe to act on.
        # All versions are registered and tagged before any alias moves.
        registered = [_register(cfg, p, data, commit, progress) for p in pending]
        for r in registered:
            _move_alias(cfg, r, data)
            result.targets[r.pending.target].decision = r.decision
            if progress:
                progress(f"{r.pending.target}: gate and register", 1, 1)
        tracking.set_tags(
            {
                f"registered.{r.pending.target}": (
                    f"{r.decision.registered_name} v{r.decision.version} ({r.decision.alias})"
                )
                for r in registered
            }
        )
    return result


__all__ = [
    "GateDecision",
    "ModelRun",
    "TargetResult",
    "TrainResult",
    "TrainingData",
    "data_fingerprint",
    "gate_key",
    "git_commit",
    "load_data",
    "prepare",
    "train",
]
