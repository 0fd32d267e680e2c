"""One model's nested MLflow run: params, metrics (overall and per lead day), charts, the
backtest forecasts, the next days' forecast after a refit on all the data (issued as the API
issues it: `forecasting.training.next_week`) and, for a winner that is to be registered, the
pyfunc model."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecasting import schema, tracking
from forecasting.contract import DEFAULT_LEVELS_PCT, WeatherMode, coverage_name, level_name
from forecasting.evaluation import metrics
from forecasting.evaluation.backtest import BacktestConfig, BacktestResult
from forecasting.ingest import ARRIVALS_FILE, WEATHER_FILE
from forecasting.models import Model, create
from forecasting.tracking.pyfunc import (
    DEFAULT_WEATHER_UNCERTAINTY,
    CrossingsModel,
    input_example,
    pip_requirements,
)
from forecasting.training import plots, plots_compare
from forecasting.training.headline import SUFFIX, interval_metrics
from forecasting.training.next_week import issue_next_week
from forecasting.training.plan import GatePolicy, NextDays
from forecasting.training.provenance import (
    Provenance,
    TrainingData,
    full_params,
    source_commit,
)
from forecasting.training.results import ModelRun

log = logging.getLogger(__name__)

SUMMARY_KEYS = (
    "crps",
    "wis",
    "pinball",
    "mae",
    "rmse",
    "mase",
    "brier",
    *(coverage_name(lv) for lv in DEFAULT_LEVELS_PCT),
    *(f"central_{coverage_name(lv)}" for lv in DEFAULT_LEVELS_PCT),
    *(f"width_{level_name(lv)}" for lv in DEFAULT_LEVELS_PCT),
    "n_forecasts",
)
HISTORY_TAIL_DAYS = 56
# The runs table's columns in the saved comparison view, per gate weather mode.
COMPARISON_KEYS = (
    "crps",
    f"crps_lo{SUFFIX}",
    f"crps_hi{SUFFIX}",
    "crps_skill",
    "brier",
    "coverage_80",
)
COMPARISON_VIEW = "model-comparison"


@dataclass(frozen=True)
class RunContext:
    """What every model's run in one job shares."""

    experiment_id: str
    data: TrainingData
    provenance: Provenance
    gate: GatePolicy
    next_days: NextDays
    register: bool  # whether each target's winner is logged as a model to register
    tmp: Path
    description: str = ""  # the experiment config's


@dataclass(frozen=True)
class LoggedRun:
    """A model's run and, for a winner to register, its logged pyfunc and when it was
    trained."""

    run: ModelRun
    model_uri: str | None = None
    trained_at: str | None = None


def as_float(v: Any) -> float | None:
    """`v` as a finite float, else None."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def summary_metrics(summary: pd.DataFrame, model: str) -> dict[str, float]:
    """A model's overall metrics, keyed ``<weather mode>/<metric>``."""
    out: dict[str, float] = {}
    for _, row in summary.loc[summary["model"] == model].iterrows():
        mode = row["weather_mode"]
        for key in SUMMARY_KEYS:
            if key in row and (v := as_float(row[key])) is not None:
                out[f"{mode}/{key}"] = v
    return out


def headline_metrics(all_rows: pd.DataFrame, summary: pd.DataFrame, model: str) -> dict[str, float]:
    """A model's overall metrics (`summary_metrics`), its CRPS skill against climatology and
    the bootstrap intervals over origins (`headline`): the same keys for every model of a
    backtest, logged at step 0 on its run."""
    skill = {k: v for k, v, _ in skill_metric_rows(all_rows, model) if "/by_lead/" not in k}
    return summary_metrics(summary, model) | skill | interval_metrics(all_rows, model)


def _lead_metric_rows(rows: pd.DataFrame) -> list[tuple[str, float, int]]:
    by_lead = metrics.aggregate_scores(rows, ["weather_mode", "lead"])
    out = []
    for _, row in by_lead.iterrows():
        for key in SUMMARY_KEYS:
            if key in row and (v := as_float(row[key])) is not None:
                out.append((f"{row['weather_mode']}/by_lead/{key}", v, int(row["lead"])))
    return out


def skill_metric_rows(
    all_rows: pd.DataFrame, model: str, baseline: str = "climatology"
) -> list[tuple[str, float, int]]:
    """CRPS skill against `baseline` on the same forecasts (origin, weather mode, draw,
    lead), 1 − CRPS/CRPS_baseline: ``<mode>/crps_skill`` overall (step 0) and
    ``<mode>/by_lead/crps_skill`` per lead (step = lead). Empty without the baseline."""
    keys = ["origin", "weather_mode", "weather_draw", "lead"]
    ours = all_rows.loc[all_rows["model"] == model, [*keys, "crps"]]
    base = all_rows.loc[all_rows["model"] == baseline, [*keys, "crps"]]
    if ours.empty or base.empty:
        return []
    both = ours.merge(base, on=keys, suffixes=("", "_base"))
    out: list[tuple[str, float, int]] = []
    for mode, g in both.groupby("weather_mode", sort=True):
        if (v := as_float(1 - g["crps"].mean() / g["crps_base"].mean())) is not None:
            out.append((f"{mode}/crps_skill", v, 0))
        by_lead = g.groupby("lead")[["crps", "crps_base"]].mean()
        for lead, row in by_lead.iterrows():
            if (v := as_float(1 - row["crps"] / row["crps_base"])) is not None:
                out.append((f"{mode}/by_lead/crps_skill", v, int(lead)))
    return out


def source_tags(provenance: Provenance) -> dict[str, str]:
    """``mlflow.source.git.commit`` for a run, when the commit is known."""
    commit = source_commit(provenance.git_commit)
    return {tracking.GIT_COMMIT_TAG: commit} if commit else {}


def uses_weather(name: str, target: str, params: dict[str, Any]) -> bool:
    """Whether model `name` reads the weather."""
    return bool(create(name, target=target, **params).weather_variables)


def log_training_data(data: TrainingData, weather: bool) -> None:
    """The daily tables the active run trained on, as MLflow dataset inputs: the arrivals,
    and the weather if `weather`."""
    tracking.log_dataset(data.arrivals, data.data_dir / ARRIVALS_FILE, "arrivals-daily")
    if weather:
        tracking.log_dataset(data.weather, data.data_dir / WEATHER_FILE, "weather-daily")


def log_comparison(rows: pd.DataFrame, target: str, winner: str, weather_mode: WeatherMode) -> None:
    """The cross-model charts of one target's backtest on the active (parent) run: the last
    origins' fans (one panel per model, in the gate's `weather_mode`), CRPS by lead, the
    P(any) reliability diagram and the weekly-total coverage."""
    folder = f"plots/compare/{target}"
    tracking.log_figure(
        plots.backtest_fan_chart(rows, weather_mode, title=f"{target}: last backtest origins"),
        f"{folder}/backtest_fan.png",
    )
    tracking.log_figure(
        plots_compare.crps_by_lead(rows, title=f"{target}: CRPS by lead day (winner {winner})"),
        f"{folder}/crps_by_lead.png",
    )
    tracking.log_figure(
        plots_compare.reliability_diagram(rows, title=f"{target}: P(any crossing) reliability"),
        f"{folder}/reliability.png",
    )
    tracking.log_figure(
        plots_compare.weekly_total_coverage(rows, title=f"{target}: weekly-total coverage"),
        f"{folder}/weekly_total_coverage.png",
    )


def _describe_run(name: str, target: str, params: dict[str, Any], config: str) -> str:
    """A model run's description: which model, target and hyperparameters, then the
    experiment config's description."""
    shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "defaults"
    if len(shown) > 600:
        shown = shown[:599] + "…"
    text = f"{name} forecasting daily {target}. Hyperparameters: {shown}."
    return f"{text}\n\n{config.strip()}" if config.strip() else text


def log_summary_table(summaries: list[pd.DataFrame], tmp: Path) -> None:
    """Every target's backtest summary as one CSV on the parent run."""
    table = pd.concat(summaries, ignore_index=True)
    cols = ["target", "model", "weather_mode", *[k for k in SUMMARY_KEYS if k in table]]
    tracking.log_table(
        table.loc[:, [*cols, "fit_seconds_median"]], "summary/backtest_summary.csv", tmp
    )


def log_model_run(
    ctx: RunContext, result: BacktestResult, summary: pd.DataFrame, name: str, winner: bool
) -> LoggedRun:
    """Log one model's nested run for the target of `result` (a backtest of all models)."""
    target = result.config.target
    configured = dict(result.config.model_params.get(name, {}))
    rows = result.rows.loc[result.rows["model"] == name].reset_index(drop=True)
    fits = result.fits.loc[result.fits["model"] == name, "fit_seconds"]
    params = full_params(name, target, configured)
    role = "winner" if winner else "candidate"
    with tracking.start_run(
        ctx.experiment_id,
        run_name=f"{target}-{name}",
        nested=True,
        tags={"target": target, "model": name, "role": role, **source_tags(ctx.provenance)},
        description=_describe_run(name, target, params, ctx.description),
    ) as run_id:
        weather = uses_weather(name, target, configured)
        log_training_data(ctx.data, weather)
        run = ModelRun(
            target=target,
            model=name,
            params=params,
            run_id=run_id,
            gate_score=ctx.gate.score(summary, name),
            metrics=headline_metrics(result.rows, summary, name),
            fit_seconds_median=float(fits.median()),
        )
        _log_scores(ctx, run, rows, fits, _shared_params(params, weather, result.config))
        tracking.log_metric_rows(
            [r for r in skill_metric_rows(result.rows, name) if "/by_lead/" in r[0]]
        )
        _log_backtest(ctx, run, rows)
        model, frame, history = _refit_and_forecast(ctx, run, configured)
        if winner and ctx.register:
            uri, trained_at = _log_pyfunc(ctx, run, model, frame, history)
            return LoggedRun(run, uri, trained_at)
    return LoggedRun(run)


def save_comparison_view(experiment_id: str, mode: str, runs: list[ModelRun]) -> str:
    """Save the experiment's "Model comparison" view of the runs table (`tracking.RunsView`):
    the models' runs grouped by target, sorted by CRPS, with the headline metrics in the
    gate's weather `mode` that the `runs` logged as columns. Returns the link that opens it."""
    logged = {k for run in runs for k in run.metrics}
    columns = [f"{mode}/{k}" for k in COMPARISON_KEYS if f"{mode}/{k}" in logged]
    order = f"{mode}/crps"
    view = tracking.RunsView(
        view_id=COMPARISON_VIEW,
        name="Model comparison",
        metrics=columns,
        params=("model", "inputs"),
        order_by_metric=order if order in logged else None,
        group_by_param="target",
    )
    tracking.save_runs_view(experiment_id, view)
    return tracking.view_url(experiment_id, COMPARISON_VIEW)


def _title(run: ModelRun) -> str:
    return f"{run.target} · {run.model}"


def _shared_params(params: dict[str, Any], weather: bool, bt: BacktestConfig) -> dict:
    """Params every model's run carries, whatever the model, so that MLflow's "Compare" lines
    the runs up (its parallel-coordinates plot starts from the first differing params by
    name): the model's hyperparameters in one line, what it reads and the origins scored."""
    return {
        "hyperparameters": ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "none",
        "inputs": "arrivals+weather" if weather else "arrivals",
        "backtest.n_origins": len(bt.origins),
    }


def _log_scores(
    ctx: RunContext, run: ModelRun, rows: pd.DataFrame, fits: pd.Series, shared: dict
) -> None:
    """Params (the shared ones, each hyperparameter and provenance) and metrics: overall,
    per lead day, gate score and fit times."""
    tracking.log_params(
        {
            "model": run.model,
            "target": run.target,
            **shared,
            **{f"model.{k}": v for k, v in run.params.items()},
            **ctx.provenance.run_params(),
        }
    )
    tracking.log_metric_rows(
        [(k, v, 0) for k, v in run.metrics.items()]
        + _lead_metric_rows(rows)
        + [
            ("gate_score", run.gate_score, 0),
            ("fit_seconds_median", float(fits.median()), 0),
            ("fit_seconds_mean", float(fits.mean()), 0),
            ("fit_seconds_total", float(fits.sum()), 0),
        ]
    )


def _log_backtest(ctx: RunContext, run: ModelRun, rows: pd.DataFrame) -> None:
    """Charts of the backtest, its per-forecast rows and the data manifest."""
    title = _title(run)
    tracking.log_figure(
        plots.backtest_fan_chart(
            rows, ctx.gate.weather_mode, title=f"{title}: last backtest origins"
        ),
        "plots/backtest_fan.png",
    )
    tracking.log_figure(
        plots.calibration_plot(rows, title=f"{title}: calibration"), "plots/calibration.png"
    )
    tracking.log_table(rows, "backtest/forecasts.parquet", ctx.tmp)
    tracking.log_artifact(ctx.data.manifest_path, "data")


def _refit_and_forecast(
    ctx: RunContext, run: ModelRun, configured: dict[str, Any]
) -> tuple[Model, pd.DataFrame, pd.DataFrame]:
    """Refit on all the data, issue the next days' forecast and log its fan chart and table.
    Returns the model, the next days' weather frame (the pyfunc's input example) and the
    recent history."""
    data, nd = ctx.data, ctx.next_days
    t0 = time.perf_counter()
    model = create(run.model, target=run.target, **configured)
    model.fit(data.arrivals, data.weather.loc[data.weather[schema.DATE] <= data.last_date])
    tracking.log_metrics({"refit_seconds": time.perf_counter() - t0})
    nw = issue_next_week(model, data, nd)
    history = data.arrivals.loc[:, [schema.DATE, run.target]].tail(HISTORY_TAIL_DAYS)
    tracking.log_figure(
        plots.next_week_fan_chart(
            history,
            nw.issued.forecast,
            title=f"{_title(run)}: {nw.label()}; labels: P(any)",
            sources=nw.issued.sources,
        ),
        "plots/next_week_fan.png",
    )
    tracking.log_table(nw.table(), "forecast/next_week.csv", ctx.tmp)
    return model, nw.example(), history


def _log_pyfunc(
    ctx: RunContext, run: ModelRun, model: Model, frame: pd.DataFrame, history: pd.DataFrame
) -> tuple[str, str]:
    """Log the refit model as a pyfunc on the run; returns its URI and training time."""
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    meta = ctx.provenance.model_metadata(run, trained_at)
    wrapped = CrossingsModel(model, meta, history)
    example = input_example(wrapped, frame)
    params = {"n_samples": 200, "seed": 0, "weather_uncertainty": DEFAULT_WEATHER_UNCERTAINTY}
    output = wrapped.predict(None, example, params)
    uri = tracking.log_pyfunc_model(
        wrapped,
        example,
        output,
        params={**params, "n_samples": ctx.next_days.n_samples},
        pip_requirements=pip_requirements(run.model),
        name=f"{run.target}-{run.model}",
    )
    return uri, trained_at


__all__ = [
    "COMPARISON_KEYS",
    "COMPARISON_VIEW",
    "SUMMARY_KEYS",
    "LoggedRun",
    "RunContext",
    "as_float",
    "headline_metrics",
    "log_comparison",
    "log_model_run",
    "log_summary_table",
    "log_training_data",
    "save_comparison_view",
    "skill_metric_rows",
    "source_tags",
    "summary_metrics",
    "uses_weather",
]
