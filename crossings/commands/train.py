"""`crossings train`: backtest a config's models, log them to MLflow, register and gate."""

from __future__ import annotations

from pathlib import Path

from crossings import output
from crossings.exits import job_exit
from crossings.options import ConfigOpt, DataOpt, TrackingOpt
from forecasting.settings import get_settings


def train(
    config: ConfigOpt = Path("experiments/default.yaml"),
    data: DataOpt = None,
    tracking_uri: TrackingOpt = None,
) -> None:
    """Backtest a config's models, log them to MLflow, register the winner, gate it.

    Exit codes: 0 done; 2 bad config or data (before any run is created); 4 MLflow
    unreachable or failed; 1 anything else.
    """
    from forecasting.training.config import load_config
    from forecasting.training.job import train as run_train

    data_dir = data or get_settings().data_dir
    try:
        cfg = load_config(config)
        with output.stage_progress() as update:
            result = run_train(cfg, data_dir, tracking_uri=tracking_uri, progress=update)
    except Exception as exc:
        raise job_exit(exc) from exc
    output.print_train_result(result)
