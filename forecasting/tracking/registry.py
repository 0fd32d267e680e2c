"""The model registry: versions, their tags, aliases, promotions and loading a version.

A promotion never leaves the registry half-promoted: it first writes its history record (a
registered-model tag ``promotion.<UTC time>``), then moves the champion alias, and removes
the record again if the alias cannot be moved.

`MlflowRegistry` is what the API serves champions from: it asks one store which version an
alias points at and loads that pinned version, with its own client and without touching
MLflow's process-wide URIs, so several stores can be read from one process at once.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import mlflow
import mlflow.artifacts
import mlflow.pyfunc
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from forecasting.contract import CHALLENGER_ALIAS, CHAMPION_ALIAS
from forecasting.models.base import Model
from forecasting.tracking.store import client, param_value

log = logging.getLogger(__name__)

CHAMPION = CHAMPION_ALIAS
CHALLENGER = CHALLENGER_ALIAS
PROMOTION_PREFIX = "promotion."
LAST_TRAINED_PREFIX = "last_trained."
_MISSING = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")
_SYS_PATH_LOCK = threading.Lock()


@dataclass(frozen=True)
class VersionInfo:
    """A registered model version: its number, run, tags and aliases."""

    name: str
    version: str
    run_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


def _version_info(name: str, mv: Any) -> VersionInfo:
    return VersionInfo(
        name=name,
        version=str(mv.version),
        run_id=mv.run_id,
        tags=dict(mv.tags or {}),
        aliases=tuple(getattr(mv, "aliases", ()) or ()),
    )


# -- versions and tags -----------------------------------------------------------------


def register_model(model_uri: str, name: str) -> str:
    """Register a logged model as a new version of `name` (created if new); returns the
    version number. No alias is set."""
    mv = mlflow.register_model(model_uri, name)
    return str(mv.version)


def set_version_tags(name: str, version: str, tags: Mapping[str, Any]) -> None:
    """Tag a registered model version (values JSON-encoded unless strings)."""
    c = client()
    for key, value in tags.items():
        c.set_model_version_tag(name, version, key, param_value(value))


def describe_version(name: str, version: str, text: str) -> None:
    """Set a registered model version's description (shown in the MLflow UI)."""
    client().update_model_version(name, str(version), description=text)


def describe_registered_model(name: str, text: str) -> None:
    """Set a registered model's description (shown in the MLflow UI)."""
    client().update_registered_model(name, description=text)


def get_version_by_alias(name: str, alias: str) -> VersionInfo | None:
    """The version `alias` points to, or None if the model or alias does not exist."""
    try:
        mv = client().get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in _MISSING:
            return None
        raise
    return _version_info(name, mv)


def get_version(name: str, version: str) -> VersionInfo:
    """One registered model version."""
    return _version_info(name, client().get_model_version(name, version))


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
    client().set_registered_model_tag(name, key, param_value(value))


# -- aliases and promotions ------------------------------------------------------------


def set_alias(name: str, alias: str, version: str) -> None:
    """Point `alias` of registered model `name` at `version`."""
    client().set_registered_model_alias(name, alias, str(version))


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


# -- loading a version for serving -----------------------------------------------------


class MlflowRegistry:
    """Champions from one MLflow registry: which version an alias points at, and loading a
    pinned version (``models:/NAME/VERSION``) as a fitted forecaster with its metadata."""

    def __init__(self, tracking_uri: str, alias: str = CHAMPION_ALIAS) -> None:
        self.tracking_uri = tracking_uri
        self.alias = alias

    def _client(self) -> MlflowClient:
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def champion_version(self, name: str) -> str:
        """Ask the registry which version the alias points at."""
        return str(self._client().get_model_version_by_alias(name, self.alias).version)

    def missing_models(self, names: Iterable[str]) -> list[str]:
        """The names the registry answers that it has no registered model of. A registry out
        of reach proves nothing, so its names are not counted as missing."""
        from forecasting.tracking.store import single_attempt

        client, missing = self._client(), []
        with single_attempt():  # the refresh before this already waited out any retries
            for name in names:
                try:
                    client.get_registered_model(name)
                except MlflowException as exc:
                    if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                        missing.append(name)
                except Exception:  # unreachable: not a proof that it does not exist
                    continue
        return missing

    def load(self, name: str, version: str) -> tuple[Model, dict[str, Any]]:
        """Load a pinned version (not the alias: it may move while we load)."""
        wrapped = self._load_python_model(name, version)
        forecaster = getattr(wrapped, "forecaster", None)
        if not isinstance(forecaster, Model):
            raise TypeError(
                f"models:/{name}/{version} is not a CrossingsModel: it has no fitted "
                "`forecaster` (register models with `crossings train`)"
            )
        metadata = dict(getattr(wrapped, "metadata", None) or {})
        return forecaster, metadata

    def _load_python_model(self, name: str, version: str) -> Any:
        """The unwrapped python model of a version: its artifacts are resolved and downloaded
        with this registry's URIs into a temporary folder, then loaded from there."""
        source = self._client().get_model_version_download_uri(name, version)
        with tempfile.TemporaryDirectory(prefix="crossings-model-") as tmp:
            local = mlflow.artifacts.download_artifacts(
                artifact_uri=source, dst_path=tmp, tracking_uri=self.tracking_uri
            )
            return load_local_model(local).unwrap_python_model()


def load_local_model(path: str) -> Any:
    """`mlflow.pyfunc.load_model` on a model folder, leaving `sys.path` as it was.

    MLflow puts a model's shipped code folder first on `sys.path` so that a fresh
    environment can import `forecasting`; here the package is already imported, so the
    entry would only pile up (one per reload) and point at a deleted folder. One load at a
    time, so that two loads never remove each other's entry."""
    with _SYS_PATH_LOCK:
        before = set(sys.path)
        try:
            return mlflow.pyfunc.load_model(path)
        finally:
            for entry in [p for p in sys.path if p not in before]:
                sys.path.remove(entry)
