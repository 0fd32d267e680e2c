"""The training job: backtest every model of an experiment config, log it, gate the winner.

Order of work, chosen so that an interrupted or failed job never moves a champion:

1. Validate the config against the processed tables, then check MLflow answers — all before
   any run exists. The config is then resolved once (`plan.resolve`) into per-target
   backtests, the gate policy and the job's provenance record.
2. Per target: one rolling-origin backtest of all the config's models; one nested MLflow run
   per model (`runlog`) with its hyperparameters, provenance, metrics (overall and per lead
   day), charts, backtest forecasts and the data manifest. Each model is refit on all the
   data for its next-week chart; the winner (lowest gate metric in the gate weather mode) is
   also logged as a pyfunc model in its run.
3. Only then, per target (`gate`): compare the winner with the current champion on the same
   backtest window and data, register it, tag the version, and finally move an alias
   (`champion` if it wins by the margin, otherwise `challenger`).

MLflow is reached only through `forecasting.tracking`.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting import tracking
from forecasting.errors import ConfigError
from forecasting.evaluation.backtest import run_backtest
from forecasting.training import gate, gate_report, joint_gate
from forecasting.training.config import ExperimentConfig, check_data
from forecasting.training.plan import JobPlan, TargetPlan, resolve
from forecasting.training.provenance import TrainingData, git_commit, load_data
from forecasting.training.results import (
    ModelRun,
    ProgressFn,
    TargetResult,
    TrainResult,
)
from forecasting.training.runlog import (
    COMPARISON_VIEW,
    RunContext,
    log_comparison,
    log_model_run,
    log_summary_table,
    log_training_data,
    save_comparison_view,
    source_tags,
    uses_weather,
)
from forecasting.training.vintages import VintageDiff

log = logging.getLogger(__name__)
# The link to the saved comparison view is for the person who ran the job: shown at INFO even
# when the application logs only warnings (configure this logger to silence it).
links = logging.getLogger(f"{__name__}.links")
if links.level == logging.NOTSET:
    links.setLevel(logging.INFO)


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
    vintage: VintageDiff | None = None,
) -> TrainResult:
    """Run the whole training job for `cfg` on the tables in `data_dir` (see module doc).

    `vintage` (from `retrain`) is what changed since the previous processed table; it is
    logged on the parent run with the backtest window and the weather lag.

    Raises ConfigError / InputError before any run exists if the config or data are bad,
    and tracking.TrackingUnavailable if MLflow does not answer.
    """
    data = prepare(cfg, data_dir)
    uri = tracking.configure(tracking_uri)
    tracking.check_reachable(uri)
    experiment_id = _open_experiment(cfg)
    plan = resolve(cfg, data, git_commit())
    started = datetime.now(UTC)
    result = _new_result(cfg, plan, experiment_id, uri)
    with (
        tempfile.TemporaryDirectory(prefix="crossings-train-") as tmp_name,
        tracking.start_run(
            experiment_id,
            run_name=f"{cfg.name}-{started:%Y%m%d-%H%M%S}",
            tags={"config": cfg.name, "data.vintage": str(data.vintage)}
            | source_tags(plan.provenance),
            description=_describe_job(cfg, plan),
        ) as parent_id,
    ):
        result.parent_run_id = parent_id
        _log_config(cfg, plan, data)
        log_training_data(data, _any_weather(plan))
        _log_vintage(plan, vintage, Path(tmp_name))
        ctx = RunContext(
            experiment_id=experiment_id,
            data=data,
            provenance=plan.provenance,
            gate=plan.gate,
            next_days=plan.next_days,
            register=plan.register,
            tmp=Path(tmp_name),
            description=cfg.description,
        )
        candidates: list[gate.Candidate] = []
        summaries = []
        for tp in plan.targets:
            result.targets[tp.target], candidate, summary = _train_target(ctx, tp, progress)
            if candidate is not None:
                candidates.append(candidate)
            summaries.append(summary.assign(target=tp.target))
        log_summary_table(summaries, ctx.tmp)
        runs = [run for tr in result.targets.values() for run in tr.runs]
        link = save_comparison_view(experiment_id, plan.gate.weather_mode, runs)
        links.info("Compare the models in the MLflow UI: %s", link)
        _gate_and_promote(ctx, candidates, result, progress)
    return result


def _open_experiment(cfg: ExperimentConfig) -> str:
    """The config's experiment (created if new), described by the config's description and
    a link to its saved comparison view (`runlog.save_comparison_view`)."""
    experiment_id = tracking.ensure_experiment(cfg.experiment_name)
    view = tracking.view_path(experiment_id, COMPARISON_VIEW)
    link = f"[Compare the models]({view}): their runs by target, sorted by CRPS."
    about = cfg.description.strip()
    tracking.describe_experiment(experiment_id, f"{about}\n\n{link}" if about else link)
    return experiment_id


def _new_result(cfg: ExperimentConfig, plan: JobPlan, experiment_id: str, uri: str) -> TrainResult:
    """The job's result before any run: its identity, window and weather lag."""
    prov = plan.provenance
    result = TrainResult(
        config_name=cfg.name,
        experiment_name=cfg.experiment_name,
        experiment_id=experiment_id,
        parent_run_id="",
        tracking_uri=uri,
        manifest_sha256=prov.manifest_sha256,
        data_fingerprint=prov.data_fingerprint,
        config_sha256=prov.config_sha256,
        data_vintage=prov.data_vintage,
        gate_metric=plan.gate.metric,
        gate_weather_mode=plan.gate.weather_mode,
    )
    if plan.window is not None:
        log.info("backtest window: %s", plan.window.reason())
        result.window = plan.window.as_dict()
    if plan.weather_lag is not None:
        result.weather_lag = plan.weather_lag.as_dict()
        if (warning := plan.weather_lag.message()) is not None:
            log.warning("weather lag: %s", warning)
    return result


def _describe_job(cfg: ExperimentConfig, plan: JobPlan) -> str:
    """The parent run's description: the config's own, then what the job compares."""
    g = plan.gate
    what = (
        f"Config '{cfg.name}': {', '.join(cfg.models)} for {', '.join(cfg.targets)}; "
        f"backtest {plan.provenance.backtest_window} in "
        f"{', '.join(plan.provenance.backtest_weather_modes)} weather; gate on {g.metric} "
        f"({g.weather_mode} weather), at least {g.min_improvement:.1%} better and "
        f"significant at {g.significance:g}."
    )
    return f"{cfg.description.strip()}\n\n{what}" if cfg.description.strip() else what


def _any_weather(plan: JobPlan) -> bool:
    """Whether any model of the job reads the weather."""
    return any(
        uses_weather(name, tp.target, tp.backtest.model_params.get(name, {}))
        for tp in plan.targets
        for name in tp.backtest.models
    )


def _log_config(cfg: ExperimentConfig, plan: JobPlan, data: TrainingData) -> None:
    """The parent run's params and the config and manifest files."""
    tracking.log_params(
        {
            **plan.provenance.run_params(),
            "targets": ",".join(cfg.targets),
            "models": ",".join(cfg.models),
            "gate.min_improvement": plan.gate.min_improvement,
            "registry.register": plan.register,
        }
    )
    tracking.log_dict(cfg.model_dump(mode="json", by_alias=True), "config/experiment.yaml")
    if cfg.path is not None:
        tracking.log_artifact(cfg.path, "config")
    tracking.log_artifact(data.manifest_path, "data")


def _log_vintage(plan: JobPlan, vintage: VintageDiff | None, tmp: Path) -> None:
    """The window and why, the weather lag and the revisions since the previous vintage."""
    tags: dict[str, str] = {}
    if plan.window is not None:
        tracking.log_dict(plan.window.as_dict(), "data/window.json")
        tags["window.reason"] = plan.window.reason()
        tracking.log_metrics({"window.state_only_days": plan.window.state_only_days})
    if plan.weather_lag is not None:
        tracking.log_metrics({"weather_lag.days": plan.weather_lag.days})
        if (warning := plan.weather_lag.message()) is not None:
            tags["weather_lag.warning"] = warning
    if vintage is not None:
        tracking.log_dict(vintage.as_dict(), "data/vintage.json")
        tracking.log_table(vintage.revised, "data/revisions.csv", tmp)
        tags["vintage.changes"] = vintage.describe()
        tracking.log_metrics(
            {
                "vintage.days_added": vintage.days_added,
                "vintage.days_revised": vintage.days_revised,
                **{f"vintage.revised_total.{t}": v for t, v in vintage.revised_totals.items()},
            }
        )
    if tags:
        tracking.set_tags(tags)


def _train_target(
    ctx: RunContext, tp: TargetPlan, progress: ProgressFn | None
) -> tuple[TargetResult, gate.Candidate | None, pd.DataFrame]:
    """Backtest a target's models, log one run each and pick the winner."""
    bt, target = tp.backtest, tp.target

    def advance(done: int, total: int) -> None:
        if progress:
            progress(f"{target}: backtest", done, total)

    log.info("backtest %s: %d origins × %d models", target, len(bt.origins), len(bt.models))
    advance(0, len(bt.origins))
    bt_result = run_backtest(ctx.data.arrivals, ctx.data.weather, bt, progress=advance)
    summary = bt_result.summary()
    scores = {name: ctx.gate.score(summary, name) for name in bt.models}
    finite = {k: v for k, v in scores.items() if np.isfinite(v)}
    if not finite:
        raise ConfigError(f"gate.metric: no model has a finite {ctx.gate.metric} for {target}")
    winner = min(finite, key=lambda k: finite[k])
    runs: list[ModelRun] = []
    candidate = None
    for i, name in enumerate(bt.models):
        if progress:
            progress(f"{target}: logging {name}", i, len(bt.models))
        logged = log_model_run(ctx, bt_result, summary, name, winner=name == winner)
        runs.append(logged.run)
        if logged.model_uri and logged.trained_at and tp.registered_name:
            candidate = gate.Candidate(
                registered_name=tp.registered_name,
                backtest=bt,
                key=gate.gate_key(ctx.gate, bt, ctx.data.fingerprint),
                summary=summary,
                run=logged.run,
                model_uri=logged.model_uri,
                trained_at=logged.trained_at,
                rows=bt_result.rows,
            )
    log_comparison(bt_result.rows, target, winner, ctx.gate.weather_mode)
    tracking.log_metrics({f"{target}/winner_{ctx.gate.metric}": finite[winner]})
    tracking.set_tags({f"winner.{target}": winner})
    return TargetResult(target, runs, winner), candidate, summary


def _gate_and_promote(
    ctx: RunContext,
    candidates: list[gate.Candidate],
    result: TrainResult,
    progress: ProgressFn | None,
) -> None:
    """Registry last: everything before succeeded, so gate decisions are safe to act on.
    Targets sharing the crossing-day gate are promoted together (`joint_gate`). All
    versions are registered and tagged before any alias moves; then every target's
    alias moves in one transaction (`tracking.move_together`): all targets or none."""
    tracking.recover([c.registered_name for c in candidates])
    verdicts = [gate.judge(c, ctx.gate, ctx.data, progress) for c in candidates]
    holds = joint_gate.held_back(
        {
            c.backtest.target: joint_gate.Judged(c.run.model, v.promote, v.champion_version is None)
            for c, v in zip(candidates, verdicts, strict=True)
        }
    )
    registered = [
        gate.register(
            c,
            ctx.gate,
            ctx.provenance,
            ctx.data,
            progress,
            ctx.description,
            joint_gate.hold(v, holds.get(c.backtest.target)),
        )
        for c, v in zip(candidates, verdicts, strict=True)
    ]
    if registered:
        txn = tracking.move_together([gate.alias_move(r) for r in registered])
        tracking.set_tags({"promotion.txn": txn})
    _report_gate(ctx, registered, result, progress)


def _report_gate(
    ctx: RunContext,
    registered: list[gate.Registered],
    result: TrainResult,
    progress: ProgressFn | None,
) -> None:
    """After the aliases moved: the decisions in words as tags on the winners' runs and the
    parent (`gate_report`), the p-values as metrics and ``gate_summary.md`` on the parent."""
    words: dict[str, dict[str, str]] = {}
    for r in registered:
        gate.mark_trained(r, ctx.provenance)
        target = r.candidate.backtest.target
        words[target] = gate_report.readable(r, ctx.gate)
        tracking.log_to_run(
            r.candidate.run.run_id, tags={f"gate.{k}": v for k, v in words[target].items()}
        )
        result.targets[target].decision = r.decision
        if progress:
            progress(f"{target}: gate and register", 1, 1)
    tracking.log_metrics(
        {
            f"{r.candidate.backtest.target}/gate_p_value": r.decision.p_value
            for r in registered
            if r.decision.p_value is not None
        }
    )
    tracking.set_tags(
        {
            f"registered.{r.candidate.backtest.target}": (
                f"{r.decision.registered_name} v{r.decision.version} ({r.decision.alias})"
            )
            for r in registered
        }
        | {f"gate.{t}.{k}": v for t, w in words.items() for k, v in w.items()}
    )
    tracking.log_text(
        gate_report.summary_markdown(result, registered, words, ctx.gate),
        gate_report.SUMMARY_ARTIFACT,
    )


__all__ = ["prepare", "train"]
