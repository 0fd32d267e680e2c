"""Runs: start one, log params, tags, metrics, figures, tables and the pyfunc model on it."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow.entities import Metric, Param, RunTag
from mlflow.models import infer_signature
from mlflow.pyfunc.model import PythonModel

from forecasting.tracking.store import client, param_value

log = logging.getLogger(__name__)

_BATCH_PARAMS = 100
_BATCH_METRICS = 1000
MODEL_ARTIFACT = "model"


@contextmanager
def start_run(
    experiment_id: str,
    run_name: str,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
) -> Iterator[str]:
    """A (nested) run as a context; yields its id. The run ends FAILED on an exception."""
    with mlflow.start_run(
        experiment_id=experiment_id,
        run_name=run_name,
        nested=nested,
        tags=dict(tags or {}),
        log_system_metrics=False,
    ) as run:
        yield run.info.run_id


def _active_run_id() -> str:
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run")
    return run.info.run_id


def log_params(params: Mapping[str, Any]) -> None:
    """Log params on the active run (values JSON-encoded unless strings), in batches."""
    run_id = _active_run_id()
    items = [Param(str(k), param_value(v)) for k, v in params.items()]
    c = client()
    for i in range(0, len(items), _BATCH_PARAMS):
        c.log_batch(run_id, params=items[i : i + _BATCH_PARAMS])


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set tags on the active run."""
    run_id = _active_run_id()
    items = [RunTag(str(k), param_value(v)) for k, v in tags.items()]
    c = client()
    for i in range(0, len(items), _BATCH_PARAMS):
        c.log_batch(run_id, tags=items[i : i + _BATCH_PARAMS])


def log_metrics(metrics: Mapping[str, float], step: int = 0) -> None:
    """Log metrics on the active run at one step; None and non-finite values are skipped."""
    log_metric_rows([(k, v, step) for k, v in metrics.items()])


def log_metric_rows(rows: list[tuple[str, float, int]]) -> None:
    """Log (key, value, step) rows on the active run in batches (e.g. per lead day)."""
    run_id = _active_run_id()
    now = int(time.time() * 1000)
    items = [
        Metric(key, float(value), now, int(step))
        for key, value, step in rows
        if value is not None and math.isfinite(float(value))
    ]
    c = client()
    for i in range(0, len(items), _BATCH_METRICS):
        c.log_batch(run_id, metrics=items[i : i + _BATCH_METRICS])


def log_figure(figure: Any, artifact_file: str) -> None:
    """Log a matplotlib figure as an image artifact of the active run."""
    mlflow.log_figure(figure, artifact_file)


def log_artifact(path: str | Path, artifact_path: str | None = None) -> None:
    """Log a local file as an artifact of the active run."""
    mlflow.log_artifact(str(path), artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """Log a text artifact on the active run."""
    mlflow.log_text(text, artifact_file)


def log_dict(obj: Mapping[str, Any], artifact_file: str) -> None:
    """Log a JSON (or YAML, by extension) artifact on the active run."""
    mlflow.log_dict(dict(obj), artifact_file)


def log_table(frame: pd.DataFrame, artifact_file: str, tmp_dir: Path) -> None:
    """Log a frame as a Parquet (or CSV, by extension) artifact on the active run."""
    path = tmp_dir / Path(artifact_file).name
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    parent = str(Path(artifact_file).parent)
    log_artifact(path, None if parent == "." else parent)


def load_run_table(run_id: str, artifact_file: str) -> pd.DataFrame | None:
    """A Parquet (or CSV) table logged on a run, or None if it cannot be read."""
    import tempfile

    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory(prefix="crossings-table-") as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=artifact_file, dst_path=tmp
            )
        except (MlflowException, OSError) as exc:
            log.warning("cannot read %s of run %s: %s", artifact_file, run_id, exc)
            return None
        if local.endswith(".csv"):
            return pd.read_csv(local)
        return pd.read_parquet(local)


def log_pyfunc_model(
    python_model: PythonModel,
    input_example: pd.DataFrame,
    output_example: pd.DataFrame,
    params: Mapping[str, Any],
    pip_requirements: list[str],
) -> str:
    """Log `python_model` on the active run as ``model``; returns its URI.

    The model carries a signature (inputs, outputs and predict params inferred from the
    examples), the input example, its pinned requirements and the `forecasting` package as
    code, so it loads in a fresh environment (``mlflow models serve --env-manager
    virtualenv``) as well as in this one. Registration is a separate step
    (`register_model`).
    """
    from forecasting.tracking.pyfunc import code_paths

    signature = infer_signature(input_example, output_example, params=dict(params))
    info = mlflow.pyfunc.log_model(
        name=MODEL_ARTIFACT,
        python_model=python_model,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        code_paths=code_paths(),
    )
    return str(info.model_uri)
