"""`crossings tune`: an Optuna study over a model's hyperparameters (the work is
`forecasting.tuning.study`). Registered on the app in `crossings.app`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crossings import output
from crossings.options import ClusterOpt, DataOpt, TrackingOpt
from forecasting.settings import get_settings

if TYPE_CHECKING:
    from forecasting.tuning.best import TuneResult

log = logging.getLogger(__name__)


def tune_command(
    config: Annotated[
        Path,
        typer.Option(
            "--config", "-c", help="Tuning config (YAML), e.g. experiments/tune-hurdle.yaml."
        ),
    ],
    trials: Annotated[
        int, typer.Option("--trials", "-n", help="Trials this process runs (per process).")
    ] = 10,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            envvar="CROSSINGS_TUNE_STORAGE",
            help="Study storage shared by several processes: postgresql+psycopg://USER@HOST/DB "
            "or sqlite:///FILE.db. Default: in memory (this process only).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where the best trial's experiment config goes (default: the tuning "
            "config's `output`, else tuned-<model>.yaml beside it).",
        ),
    ] = None,
    data: DataOpt = None,
    tracking_uri: TrackingOpt = None,
    cluster: ClusterOpt = None,
) -> None:
    """Tune a model's hyperparameters on the backtest's gate metric (honest forecast weather),
    pruning clearly worse trials over origins; write the best as a config for `train`.

    Exit codes: 0 done; 2 bad config, data or storage (before any trial); 4 MLflow
    unreachable or failed; 1 anything else.
    """
    from crossings.exits import job_exit
    from forecasting.evaluation.cluster import scheduler_address
    from forecasting.tuning.config import load_tune_config
    from forecasting.tuning.study import run_tune

    try:
        spec = load_tune_config(config)
        address = scheduler_address(cluster)
        with output.stage_progress() as update:
            result = run_tune(
                spec,
                data or get_settings().data_dir,
                trials,
                storage=storage,
                tracking_uri=tracking_uri,
                out=out,
                progress=update,
                cluster=address,
            )
    except Exception as exc:
        raise job_exit(exc) from exc
    _print_result(result)


def _print_result(result: TuneResult) -> None:
    """The study's counts, this process's trials and the best trial."""
    console = output.console
    console.print(
        f"study [bold]{result.study_name}[/]: {result.n_complete} complete, "
        f"{result.n_pruned} pruned, {result.n_failed} failed "
        f"(this process ran trials {', '.join(map(str, result.mine)) or 'none'})",
        highlight=False,
    )
    if result.best_number is None:
        console.print("no complete trial yet: nothing written", highlight=False)
        return
    console.print(
        f"best: trial {result.best_number}, {result.metric} {result.best_value:.4f}, "
        f"{result.best_params}",
        highlight=False,
    )
    console.print(f"written: {result.out} (crossings train --config {result.out})", highlight=False)
    console.print(
        f"MLflow: experiment {result.experiment_id}, parent run {result.parent_run_id}",
        highlight=False,
    )


__all__ = ["tune_command"]
