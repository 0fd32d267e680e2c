"""Where runs and models go: the tracking URI, a client on it, experiments, reachability.

- By default a local SQLite store, ``sqlite:///mlruns.db``, with artifacts under
  ``./mlartifacts`` (``mlflow ui --backend-store-uri sqlite:///mlruns.db`` shows both).
- ``MLFLOW_TRACKING_URI`` (or an explicit URI) selects another store, e.g. a remote
  ``mlflow server``; its artifact location is then the server's.

Calls to a remote server fail fast: `configure` sets MLflow's own HTTP settings
(``MLFLOW_HTTP_REQUEST_TIMEOUT``, ``_MAX_RETRIES``, ``_BACKOFF_FACTOR``, ``_BACKOFF_JITTER``)
from `TrackingSettings` (``CROSSINGS_MLFLOW_HTTP_*``) unless they are set in the environment,
so a server that stops answering surfaces within `TrackingSettings.worst_case_seconds`
(default at most 36 s per call) instead of MLflow's minutes of retries.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TRACKING_URI = "sqlite:///mlruns.db"
DEFAULT_ARTIFACT_ROOT = Path("mlartifacts")
HEALTH_TIMEOUT_S = 5.0
_MAX_PARAM_LEN = 6000
# MLflow 3's UI opens an experiment without a kind on its GenAI pages (Overview, Traces).
# The tag key and value are the UI's (MLflow defines no Python constant for them): classic
# model development shows the runs table.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"

_state: dict[str, Any] = {"uri": None, "artifact_root": None}


class TrackingSettings(BaseSettings):
    """Bounded retries and timeouts on MLflow HTTP calls (``CROSSINGS_MLFLOW_HTTP_*``)."""

    model_config = SettingsConfigDict(env_prefix="CROSSINGS_MLFLOW_HTTP_", extra="ignore")

    timeout_s: int = Field(default=10, ge=1, description="Seconds per HTTP request.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries per request.")
    backoff_factor: int = Field(default=1, ge=0, description="urllib3 backoff factor.")
    backoff_jitter: float = Field(default=0.0, ge=0.0, description="Random extra backoff.")

    def mlflow_env(self) -> dict[str, str]:
        """MLflow's own environment variables for these settings."""
        return {
            "MLFLOW_HTTP_REQUEST_TIMEOUT": str(self.timeout_s),
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(self.max_retries),
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(self.backoff_factor),
            "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": str(self.backoff_jitter),
        }

    def worst_case_seconds(self) -> float:
        """The longest one MLflow call can take against a server that stopped answering:
        every attempt times out, with urllib3's backoff between them (none before the
        first retry)."""
        attempts = self.max_retries + 1
        backoff = sum(self.backoff_factor * 2 ** (n - 1) for n in range(2, attempts + 1))
        return attempts * self.timeout_s + backoff + self.max_retries * self.backoff_jitter


def apply_http_settings(settings: TrackingSettings | None = None) -> dict[str, str]:
    """Set MLflow's HTTP timeout and retry variables from our settings, leaving any the
    environment already sets; returns the values in force."""
    env = (settings or TrackingSettings()).mlflow_env()
    for key, value in env.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in env}


@contextlib.contextmanager
def single_attempt() -> Iterator[None]:
    """MLflow calls without retries inside the block (cleanup after a failure: one try
    each, so an outage does not cost the retry budget twice)."""
    key = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
    before = os.environ.get(key)
    os.environ[key] = "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


class TrackingUnavailable(RuntimeError):
    """MLflow could not be reached or refused a request; says where and what to do."""


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
    apply_http_settings()
    mlflow.set_tracking_uri(resolved)
    mlflow.set_registry_uri(resolved)
    _state["uri"] = resolved
    root = artifact_root or os.environ.get("CROSSINGS_ARTIFACT_ROOT") or DEFAULT_ARTIFACT_ROOT
    _state["artifact_root"] = Path(root)
    _quiet_pickle_warning()
    return resolved


class _DropPickleWarning(logging.Filter):
    """MLflow warns on every pyfunc logged as a Python object; ours is by design (the
    forecaster's classes ship with the model as code), so the warning is noise."""

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


def redact(uri: str) -> str:
    """The URI without a password, for messages."""
    return re.sub(r"//([^:/@]+):[^@/]+@", r"//\1:***@", uri)


def sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///PATH`` URI (None for other URIs and in-memory)."""
    if urlparse(uri).scheme != "sqlite":
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if uri.startswith("sqlite:///") and path and path != ":memory:":
        return Path(path)
    return None


def require_existing_store(uri: str) -> None:
    """Refuse a SQLite store whose file does not exist, for commands that only read it
    (serving, reissuing): MLflow would quietly create an empty store there, so a typo in
    MLFLOW_TRACKING_URI would serve no model instead of failing. Raises TrackingUnavailable
    naming the path and the fix; other URIs pass (`crossings train` creates its store)."""
    db = sqlite_file(uri)
    if db is None or db.is_file():
        return
    raise TrackingUnavailable(
        f"the MLflow store {redact(uri)} does not exist (no file {db.resolve()}); nothing "
        "was created. Set MLFLOW_TRACKING_URI to the store `crossings train` wrote to (by "
        f"default {DEFAULT_TRACKING_URI}, relative to the folder it ran in), or run "
        "`crossings train` first to create it"
    )


def check_reachable(uri: str | None = None) -> None:
    """Raise TrackingUnavailable, naming the URI and the fix, unless MLflow answers.

    A remote server gets a quick ``/health`` request (seconds, not MLflow's minutes of
    retries); any store then answers one cheap query.
    """
    target = uri or current_uri()
    shown = redact(target)
    hint = (
        "Start the server, fix MLFLOW_TRACKING_URI, or unset it to use the local store "
        f"{DEFAULT_TRACKING_URI}"
    )
    scheme = urlparse(target).scheme
    if scheme in ("http", "https"):
        _check_health(target, shown, hint)
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


def _check_health(url: str, shown: str, hint: str) -> None:
    import httpx

    try:
        resp = httpx.get(url.rstrip("/") + "/health", timeout=HEALTH_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise TrackingUnavailable(
            f"MLflow tracking server {shown} is unreachable ({type(exc).__name__}: {exc}). {hint}"
        ) from exc
    if resp.status_code != 200:
        raise TrackingUnavailable(
            f"MLflow tracking server {shown} answered /health with HTTP {resp.status_code}. {hint}"
        )


def client() -> MlflowClient:
    """An MlflowClient on the configured store."""
    uri = current_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(name: str) -> str:
    """The id of experiment `name`, creating it (with a local artifact folder) if needed,
    tagged as classic model development (EXPERIMENT_KIND), existing experiments too."""
    c = client()
    exp = c.get_experiment_by_name(name)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            c.restore_experiment(exp.experiment_id)
        if exp.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
            c.set_experiment_tag(exp.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
        return str(exp.experiment_id)
    location = None
    if is_local(current_uri()):
        root = Path(_state["artifact_root"] or DEFAULT_ARTIFACT_ROOT).resolve()
        location = (root / name).as_uri()
    tags = {EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}
    return str(c.create_experiment(name, artifact_location=location, tags=tags))


def run_url(run_id: str, experiment_id: str) -> str | None:
    """A link to the run in the MLflow UI for remote servers (None for local stores)."""
    uri = current_uri()
    if is_local(uri) or not uri.startswith("http"):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def param_value(value: Any) -> str:
    """A param, tag or tag-like value as MLflow stores it: strings as they are, anything else
    as JSON; cut to MLflow's length limit."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _MAX_PARAM_LEN else text[: _MAX_PARAM_LEN - 3] + "..."
