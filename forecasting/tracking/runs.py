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
GIT_COMMIT_TAG = "mlflow.source.git.commit"
NOTE_TAG = "mlflow.note.content"


@contextmanager
def start_run(
    experiment_id: str,
    run_name: str,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    description: str | None = None,
) -> Iterator[str]:
    """A (nested) run as a context; yields its id. The run ends FAILED on an exception.
    `parent_run_id` nests it under a run that need not be active in this process;
    `description` is the run's note in the MLflow UI (``mlflow.note.content``)."""
    with mlflow.start_run(
        experiment_id=experiment_id,
        run_name=run_name,
        nested=nested,
        parent_run_id=parent_run_id,
        tags=dict(tags or {}),
        description=description or None,
        log_system_metrics=False,
    ) as run:
        yield run.info.run_id


def create_run(experiment_id: str, run_name: str, tags: Mapping[str, Any] | None = None) -> str:
    """Create a run without making it active (other processes may nest runs under it);
    returns its id. End it with `end_run_by_id`."""
    run = client().create_run(
        experiment_id, run_name=run_name, tags={k: param_value(v) for k, v in (tags or {}).items()}
    )
    return str(run.info.run_id)


def end_run_by_id(run_id: str, status: str = "FINISHED") -> None:
    """Mark a run created by `create_run` as ended (FINISHED, FAILED or KILLED)."""
    client().set_terminated(run_id, status=status)


def log_to_run(
    run_id: str,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
) -> None:
    """Log params, metrics (step 0; non-finite skipped) and tags on a run by id, active or not."""
    now = int(time.time() * 1000)
    client().log_batch(
        run_id,
        params=[Param(str(k), param_value(v)) for k, v in (params or {}).items()],
        metrics=[
            Metric(str(k), float(v), now, 0)
            for k, v in (metrics or {}).items()
            if v is not None and math.isfinite(float(v))
        ],
        tags=[RunTag(str(k), param_value(v)) for k, v in (tags or {}).items()],
    )


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


def log_dict(obj: Mapping[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Log a JSON (or YAML, by extension) artifact on the active run, or on run `run_id`
    (active or ended)."""
    if run_id is None:
        mlflow.log_dict(dict(obj), artifact_file)
    else:
        client().log_dict(run_id, dict(obj), artifact_file)


def load_run_dict(run_id: str, artifact_file: str) -> dict[str, Any] | None:
    """A JSON artifact logged on a run, or None if it cannot be read."""
    from mlflow.exceptions import MlflowException

    try:
        loaded = mlflow.artifacts.load_dict(f"runs:/{run_id}/{artifact_file}")
    except (MlflowException, OSError, ValueError) as exc:
        log.warning("cannot read %s of run %s: %s", artifact_file, run_id, exc)
        return None
    return dict(loaded) if isinstance(loaded, dict) else None


def describe_experiment(experiment_id: str, text: str) -> None:
    """Set an experiment's description (its note in the MLflow UI)."""
    client().set_experiment_tag(experiment_id, NOTE_TAG, text)


def log_dataset(
    frame: pd.DataFrame, source: str | Path, name: str, context: str = "training"
) -> None:
    """Log `frame` as a dataset input of the active run (`mlflow.log_input`): its schema,
    row count and digest, with `source` (the file it was read from) and `name`."""
    import warnings

    from mlflow.data.pandas_dataset import from_pandas

    with warnings.catch_warnings():
        # Noise here: a local path matches two equal source types, and the hint about
        # integer columns concerns model signatures, not a record of the training data.
        warnings.filterwarnings("ignore", message="The specified dataset source can be")
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        dataset = from_pandas(frame, source=str(source), name=name)
        mlflow.log_input(dataset, context=context)


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
    name: str = MODEL_ARTIFACT,
) -> str:
    """Log `python_model` on the active run as `name` (e.g. ``people-hurdle``); returns
    its URI (``models:/<model id>``, what `register_model` takes).

    The model carries a signature (inputs, outputs and predict params inferred from the
    examples), the input example, its pinned requirements and the `forecasting` package as
    code, so it loads in a fresh environment (``mlflow models serve --env-manager
    virtualenv``) as well as in this one. Registration is a separate step
    (`register_model`).
    """
    from forecasting.tracking.pyfunc import code_paths

    signature = infer_signature(input_example, output_example, params=dict(params))
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=python_model,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        code_paths=code_paths(),
    )
    return str(info.model_uri)
