"""MLflow tracking and registry: the only module that talks to MLflow about runs and models.

Where runs go:

- by default a local SQLite store, ``sqlite:///mlruns.db``, with artifacts under
  ``./mlartifacts`` (``mlflow ui --backend-store-uri sqlite:///mlruns.db`` shows both);
- ``MLFLOW_TRACKING_URI`` (or an explicit URI) selects another store, e.g. a remote
  ``mlflow server``; its artifact location is then the server's.

The registry side keeps the gate's promise that nothing is ever half-promoted: a promotion
first writes its history record (a registered-model tag ``promotion.<UTC time>``), then moves
the ``champion`` alias, and removes the record again if the alias cannot be moved.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.pyfunc.model import PythonModel

log = logging.getLogger(__name__)

DEFAULT_TRACKING_URI = "sqlite:///mlruns.db"
DEFAULT_ARTIFACT_ROOT = Path("mlartifacts")
CHAMPION = "champion"
CHALLENGER = "challenger"
PROMOTION_PREFIX = "promotion."
LAST_TRAINED_PREFIX = "last_trained."
HEALTH_TIMEOUT_S = 5.0
_MAX_PARAM_LEN = 6000
_BATCH_PARAMS = 100
_BATCH_METRICS = 1000

_state: dict[str, Any] = {"uri": None, "artifact_root": None}


class TrackingUnavailable(RuntimeError):
    """MLflow could not be reached or refused a request; says where and what to do."""


@dataclass(frozen=True)
class VersionInfo:
    """A registered model version: its number, run, tags and aliases."""

    name: str
    version: str
    run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


# -- set-up ----------------------------------------------------------------------------


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The tracking URI to use: `uri`, else $MLFLOW_TRACKING_URI, else the local SQLite store."""
    return uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def is_local(uri: str) -> bool:
    """True for stores on this machine (SQLite file or a file path)."""
    scheme = urlparse(uri).scheme
    return scheme in ("sqlite", "file", "")


def configure(uri: str | None = None, artifact_root: str | Path | None = None) -> str:
    """Point MLflow (tracking and registry) at `uri`; returns the URI in force.

    `artifact_root` (default $CROSSINGS_ARTIFACT_ROOT, else ``./mlartifacts``) is where
    experiments created in a local store keep their artifacts; a remote server decides its
    own.
    """
    resolved = resolve_tracking_uri(uri)
    mlflow.set_tracking_uri(resolved)
    mlflow.set_registry_uri(resolved)
    _state["uri"] = resolved
    root = artifact_root or os.environ.get("CROSSINGS_ARTIFACT_ROOT") or DEFAULT_ARTIFACT_ROOT
    _state["artifact_root"] = Path(root)
    _quiet_pickle_warning()
    return resolved


class _DropPickleWarning(logging.Filter):
    """MLflow warns on every pyfunc logged as a Python object; ours is by design (the
    forecaster's classes come from the installed package), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but the CloudPickle warning."""
        return "serialized using CloudPickle" not in record.getMessage()


def _quiet_pickle_warning() -> None:
    lg = logging.getLogger("mlflow.pyfunc")
    if not any(isinstance(f, _DropPickleWarning) for f in lg.filters):
        lg.addFilter(_DropPickleWarning())


def current_uri() -> str:
    """The configured tracking URI (configuring the default if nothing was set)."""
    return str(_state["uri"] or configure())


def _redact(uri: str) -> str:
    """The URI without a password, for messages."""
    return re.sub(r"//([^:/@]+):[^@/]+@", r"//\1:***@", uri)


def check_reachable(uri: str | None = None) -> None:
    """Raise TrackingUnavailable, naming the URI and the fix, unless MLflow answers.

    A remote server gets a quick ``/health`` request (seconds, not MLflow's minutes of
    retries); any store then answers one cheap query.
    """
    target = uri or current_uri()
    shown = _redact(target)
    hint = (
        "Start the server, fix MLFLOW_TRACKING_URI, or unset it to use the local store "
        f"{DEFAULT_TRACKING_URI}"
    )
    scheme = urlparse(target).scheme
    if scheme in ("http", "https"):
        import httpx

        try:
            resp = httpx.get(target.rstrip("/") + "/health", timeout=HEALTH_TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise TrackingUnavailable(
                f"MLflow tracking server {shown} is unreachable ({type(exc).__name__}: {exc}). "
                f"{hint}"
            ) from exc
        if resp.status_code != 200:
            raise TrackingUnavailable(
                f"MLflow tracking server {shown} answered /health with HTTP "
                f"{resp.status_code}. {hint}"
            )
    elif scheme == "sqlite":
        db = Path(target.removeprefix("sqlite:///"))
        if not db.parent.exists():
            raise TrackingUnavailable(
                f"the folder of the MLflow store {shown} does not exist; create it or pick "
                "another MLFLOW_TRACKING_URI"
            )
    try:
        MlflowClient(tracking_uri=target).search_experiments(max_results=1)
    except Exception as exc:  # any store error means we cannot track
        raise TrackingUnavailable(f"MLflow store {shown} does not answer ({exc}). {hint}") from exc


def client() -> MlflowClient:
    """An MlflowClient on the configured store."""
    uri = current_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(name: str) -> str:
    """The id of experiment `name`, creating it (with a local artifact folder) if needed."""
    c = client()
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            c.restore_experiment(exp.experiment_id)
        return str(exp.experiment_id)
    location = None
    if is_local(current_uri()):
        root = Path(_state["artifact_root"] or DEFAULT_ARTIFACT_ROOT).resolve()
        location = (root / name).as_uri()
    return str(c.create_experiment(name, artifact_location=location))


# -- runs ------------------------------------------------------------------------------


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


def _param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _MAX_PARAM_LEN else text[: _MAX_PARAM_LEN - 3] + "..."


def log_params(params: Mapping[str, Any]) -> None:
    """Log params on the active run (values JSON-encoded unless strings), in batches."""
    run_id = _active_run_id()
    items = [Param(str(k), _param_value(v)) for k, v in params.items()]
    c = client()
    for i in range(0, len(items), _BATCH_PARAMS):
        c.log_batch(run_id, params=items[i : i + _BATCH_PARAMS])


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set tags on the active run."""
    run_id = _active_run_id()
    items = [RunTag(str(k), _param_value(v)) for k, v in tags.items()]
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


# -- registry --------------------------------------------------------------------------


def log_pyfunc_model(
    python_model: PythonModel,
    input_example: pd.DataFrame,
    output_example: pd.DataFrame,
    params: Mapping[str, Any],
    pip_requirements: list[str],
) -> str:
    """Log `python_model` on the active run as ``model``, with a signature (inputs, outputs
    and predict params inferred from the examples) and the input example; returns its URI.
    Registration is a separate step (`register_model`)."""
    signature = infer_signature(input_example, output_example, params=dict(params))
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=python_model,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
    )
    return str(info.model_uri)


def register_model(model_uri: str, name: str) -> str:
    """Register a logged model as a new version of `name` (created if new); returns the
    version number. No alias is set."""
    mv = mlflow.register_model(model_uri, name)
    return str(mv.version)


def set_version_tags(name: str, version: str, tags: Mapping[str, Any]) -> None:
    """Tag a registered model version (values JSON-encoded unless strings)."""
    c = client()
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, _param_value(value))


def get_version_by_alias(name: str, alias: str) -> VersionInfo | None:
    """The version `alias` points to, or None if the model or alias does not exist."""
    c = client()
    try:
        mv = c.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            return None
        raise
    return VersionInfo(
        name=name,
        version=str(mv.version),
        run_id=mv.run_id,
        tags=dict(mv.tags or {}),
        aliases=tuple(getattr(mv, "aliases", ()) or ()),
    )


def get_version(name: str, version: str) -> VersionInfo:
    """One registered model version."""
    mv = client().get_model_version(name, version)
    return VersionInfo(
        name, str(mv.version), mv.run_id, dict(mv.tags or {}), tuple(mv.aliases or ())
    )


def registered_model_tags(name: str) -> dict[str, str]:
    """The tags of registered model `name` ({} if it does not exist)."""
    try:
        rm = client().get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return {}
        raise
    return dict(rm.tags or {})


def set_registered_model_tag(name: str, key: str, value: Any) -> None:
    """Set one tag on a registered model (value JSON-encoded unless a string)."""
    client().set_registered_model_tag(name, key, _param_value(value))


def _timestamp_key() -> tuple[str, str]:
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ"), now.isoformat(timespec="seconds")


def promote(name: str, version: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Make `version` the champion of `name`, recording the promotion first.

    The history record (registered-model tag ``promotion.<UTC time>``, JSON of `record` plus
    ``time`` and ``new_version``) is written before the alias moves; if the alias move
    fails, the record is removed again (best effort) and the error re-raised, so a reader
    never sees a promotion that did not happen. Returns the stored record.
    """
    key, when = _timestamp_key()
    entry = {**record, "new_version": str(version), "time": when}
    tag = PROMOTION_PREFIX + key
    c = client()
    c.set_registered_model_tag(name, tag, json.dumps(entry, sort_keys=True, default=str))
    try:
        c.set_registered_model_alias(name, CHAMPION, str(version))
    except BaseException:
        try:
            c.delete_registered_model_tag(name, tag)
        except Exception:  # the store is down; the caller sees the original error
            log.warning("could not remove promotion record %s from %s", tag, name)
        raise
    log.info("promoted %s version %s to %s", name, version, CHAMPION)
    return entry


def set_alias(name: str, alias: str, version: str) -> None:
    """Point `alias` of registered model `name` at `version`."""
    client().set_registered_model_alias(name, alias, str(version))


def promotion_history(name: str) -> list[dict[str, Any]]:
    """Every promotion of registered model `name`, oldest first: dicts with time,
    old_version, new_version, old_metric, new_metric, metric and more."""
    tags = registered_model_tags(name)
    out = []
    for key in sorted(k for k in tags if k.startswith(PROMOTION_PREFIX)):
        try:
            entry = json.loads(tags[key])
        except ValueError:
            log.warning("unreadable promotion record %s on %s", key, name)
            continue
        entry.setdefault("key", key)
        out.append(entry)
    return out


def run_url(run_id: str, experiment_id: str) -> str | None:
    """A link to the run in the MLflow UI for remote servers (None for local stores)."""
    uri = current_uri()
    if is_local(uri) or not uri.startswith("http"):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "DEFAULT_ARTIFACT_ROOT",
    "DEFAULT_TRACKING_URI",
    "TrackingUnavailable",
    "VersionInfo",
    "check_reachable",
    "client",
    "configure",
    "current_uri",
    "ensure_experiment",
    "get_version",
    "get_version_by_alias",
    "log_artifact",
    "log_dict",
    "log_figure",
    "log_metric_rows",
    "log_metrics",
    "log_params",
    "log_pyfunc_model",
    "log_table",
    "log_text",
    "promote",
    "promotion_history",
    "register_model",
    "registered_model_tags",
    "resolve_tracking_uri",
    "set_alias",
    "set_registered_model_tag",
    "set_tags",
    "set_version_tags",
    "start_run",
]
